/**
 * Authenticated calls to real servers on loopback: bearer, API key, OAuth 2.0 client credentials and SigV4 on
 * http tools, bearer on an MCP server, and an A2A agent whose card declares its security.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, type ExecutorDeps } from '../../shared/executors';
import { startA2AAgent } from '../support/a2a-agent';
import { testExecutorDeps } from '../support/egress';
import { startHttpToolServer, type HttpToolServerHandle, type RecordedRequest } from '../support/http-tool-server';
import { startMcpServer } from '../support/mcp-server';

const SECRETS: Record<string, Record<string, string>> = {
  alice: { 'tool-token': 'tok-5f1d9c2a-alice', 'tool-key': 'key-77aa31-alice', 'client-secret': 'cs-0b8e44-alice' },
  bob: { 'client-secret': 'cs-wrong-bob' },
};
const DUMMY_CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

function deps(extra: ExecutorDeps = {}): ExecutorDeps {
  return testExecutorDeps({ secrets: async (owner, name) => SECRETS[owner]?.[name], ...extra });
}

function ctx(ownerId = 'alice', attempt = 0) {
  return { runId: 'run-auth', nodeId: 'call', attempt, ownerId, workflowId: 'wf-auth', signal: new AbortController().signal, deadline: Date.now() + 5_000 };
}

function httpNode(url: string, extra: Record<string, unknown>): NodeDef {
  return { id: 'call', type: 'tool_call', tool: { kind: 'http', url, method: 'POST', ...extra } } as NodeDef;
}

async function tool(accepts: (request: RecordedRequest) => boolean, body: unknown = { ok: true }): Promise<HttpToolServerHandle> {
  const server = await startHttpToolServer({ handler: (request) => (accepts(request) ? { body } : { status: 401, body: { error: 'unauthorized' } }) });
  open.push(server);
  return server;
}

async function failure(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  return error as Error & { details?: Record<string, unknown> };
}

describe('http tool auth', () => {
  it('sends a bearer token from the owner\'s secrets', async () => {
    // Prepare
    const server = await tool((r) => r.headers.authorization === 'Bearer tok-5f1d9c2a-alice');

    // Act
    const result = await executeNode(httpNode(server.url, { auth: { type: 'bearer', token: { secret: 'tool-token' } } }), {}, ctx(), deps());

    // Assess
    expect(result.output).toStrictEqual({ ok: true });
  });

  it('sends an API key header, and a secret-valued custom header', async () => {
    // Prepare
    const server = await tool((r) => r.headers['x-api-key'] === 'key-77aa31-alice' && r.headers['x-tenant-token'] === 'tok-5f1d9c2a-alice');

    // Act
    const result = await executeNode(
      httpNode(server.url, { auth: { type: 'apiKey', header: 'X-Api-Key', value: { secret: 'tool-key' } }, headers: { 'X-Tenant-Token': { secret: 'tool-token' } } }),
      {}, ctx(), deps(),
    );

    // Assess
    expect(result.output).toStrictEqual({ ok: true });
  });

  it('resolves secrets from the workflow owner\'s namespace only', async () => {
    // Prepare
    const server = await tool(() => true);

    // Act: bob owns the workflow and holds no "tool-token"
    const error = await failure(executeNode(httpNode(server.url, { auth: { type: 'bearer', token: { secret: 'tool-token' } } }), {}, ctx('bob'), deps()));

    // Assess
    expect(error.name).toBe('Braid.SecretNotFound');
    expect(server.requests).toHaveLength(0);
  });

  it('gets an OAuth 2.0 client-credentials token once and reuses it until it expires', async () => {
    // Prepare
    const issued = 'at-9d8c7b6a5f4e';
    const tokenServer = await startHttpToolServer({
      handler: (r) => {
        // RFC 6749 §2.3.1: the client id and secret are form-urlencoded before base64.
        const [id, secret] = Buffer.from(String(r.headers.authorization).replace(/^Basic /, ''), 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
        const form = new URLSearchParams(String(r.body));
        if (id !== 'braid-client' || secret !== 'cs-0b8e44-alice' || form.get('grant_type') !== 'client_credentials') return { status: 401, body: { error: 'invalid_client' } };
        return { body: { access_token: issued, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') } };
      },
    });
    open.push(tokenServer);
    const server = await tool((r) => r.headers.authorization === `Bearer ${issued}`, { ok: 'oauth' });
    const auth = { type: 'oauth2', tokenUrl: `${tokenServer.url}/token`, clientId: 'braid-client', clientSecret: { secret: 'client-secret' }, scopes: ['tools.read'] };

    // Act
    const first = await executeNode(httpNode(server.url, { auth }), {}, ctx(), deps());
    const second = await executeNode(httpNode(server.url, { auth }), {}, ctx('alice', 1), deps());
    const wrong = await failure(executeNode(httpNode(server.url, { auth }), {}, ctx('bob'), deps()));

    // Assess: alice's token was fetched once; bob's secret is wrong and he never reuses alice's cached token.
    expect([first.output, second.output]).toStrictEqual([{ ok: 'oauth' }, { ok: 'oauth' }]);
    expect(tokenServer.requests).toHaveLength(2);
    expect(new URLSearchParams(String(tokenServer.requests[0]?.body)).get('scope')).toBe('tools.read');
    expect(wrong.name).toBe('Braid.NodeFailed');
    expect(wrong.message).toContain('invalid_client');
    expect(wrong.message).not.toContain('cs-wrong-bob');
    expect(server.requests).toHaveLength(2);
  });

  it('signs with SigV4; the server verifies the signature with the same library and credentials', async () => {
    // Prepare: the server recomputes the signature; a request signed with other credentials is refused.
    const verify = async (r: RecordedRequest, credentials = DUMMY_CREDENTIALS): Promise<boolean> => {
      const authorization = String(r.headers.authorization ?? '');
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
      const amzDate = String(r.headers['x-amz-date'] ?? '');
      const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
      const headers = Object.fromEntries(signedHeaders.map((h) => [h, String(r.headers[h])]));
      const query = Object.fromEntries(Object.entries(r.query).map(([k, v]) => [k, v.length === 1 ? v[0]! : v]));
      const signer = new SignatureV4({ service: 'execute-api', region: 'eu-west-1', credentials, sha256: Sha256 });
      const expected = await signer.sign({ method: r.method, protocol: 'http:', hostname: '127.0.0.1', path: r.path, query, headers, body: JSON.stringify(r.body) }, { signingDate });
      return expected.headers.authorization === authorization;
    };
    const verdicts: boolean[] = [];
    const server = await startHttpToolServer({
      handler: async (r) => {
        const ok = await verify(r);
        verdicts.push(ok, await verify(r, { ...DUMMY_CREDENTIALS, secretAccessKey: 'other' }));
        return ok ? { body: { signed: true } } : { status: 403, body: { error: 'bad signature' } };
      },
    });
    open.push(server);

    // Act
    const result = await executeNode(
      httpNode(`${server.url}/prod/items?b=2&a=1`, { auth: { type: 'sigv4', service: 'execute-api', region: 'eu-west-1' } }),
      { item: 'x' }, ctx(), deps({ awsCredentials: DUMMY_CREDENTIALS }),
    );

    // Assess
    expect(result.output).toStrictEqual({ signed: true });
    expect(verdicts).toStrictEqual([true, false]);
    expect(server.requests[0]?.headers['x-amz-date']).toBeDefined();
  });

  it('refuses to sign for a target outside the service\'s hosts (no role lending)', async () => {
    // Act
    const lambdaApi = await failure(executeNode(
      httpNode('https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/braid-tool-x/invocations', { auth: { type: 'sigv4', service: 'lambda', region: 'us-east-1' } }),
      {}, ctx(), deps({ awsCredentials: DUMMY_CREDENTIALS }),
    ));
    const plainHttp = await failure(executeNode(
      httpNode('http://api.example.com/x', { auth: { type: 'sigv4', service: 'execute-api', region: 'us-east-1' } }),
      {}, ctx(), deps({ awsCredentials: DUMMY_CREDENTIALS }),
    ));

    // Assess
    expect(lambdaApi).toMatchObject({ name: 'Braid.EgressDenied', details: { rule: 'sigv4-target' } });
    expect(plainHttp).toMatchObject({ name: 'Braid.EgressDenied', details: { rule: 'sigv4-target' } });
  });
});

describe('MCP auth', () => {
  it('authenticates every request of the MCP session', async () => {
    // Prepare
    const mcp = await startMcpServer({ requireHeader: ['authorization', 'Bearer tok-5f1d9c2a-alice'] });
    open.push(mcp);
    const node = (auth?: object): NodeDef => ({ id: 'call', type: 'tool_call', tool: { kind: 'mcp', url: mcp.url, name: 'add', ...(auth ? { auth } : {}) } } as NodeDef);

    // Act
    const result = await executeNode(node({ type: 'bearer', token: { secret: 'tool-token' } }), { a: 1, b: 2 }, ctx(), deps());
    const refused = await failure(executeNode(node(), { a: 1, b: 2 }, ctx(), deps()));

    // Assess
    expect(result.output).toMatchObject({ sum: 3 });
    expect(refused.name).toBe('Braid.NodeFailed');
    expect(refused.details).toMatchObject({ status: 401 });
  });
});

describe('A2A agent security schemes', () => {
  async function securedAgent() {
    const agent = await startA2AAgent({
      reply: { text: 'secured' },
      security: {
        // The card as A2A 1.0 JSON (the SDK's server serves the card object as it is; its client parses this shape).
        schemes: { corp: { httpAuthSecurityScheme: { scheme: 'Bearer' } } } as never,
        requirements: [{ schemes: { corp: { list: [] } } }],
        accepts: (headers) => headers.authorization === 'Bearer tok-5f1d9c2a-alice',
      },
    });
    open.push(agent);
    return agent;
  }
  const agentNode = (url: string, auth?: object): NodeDef => ({ id: 'call', type: 'agent_call', agent: { url, ...(auth ? { auth } : {}) } } as NodeDef);

  it('calls an agent whose card requires a bearer token with the node\'s bearer auth', async () => {
    // Prepare
    const agent = await securedAgent();

    // Act
    const result = await executeNode(agentNode(agent.url, { type: 'bearer', token: { secret: 'tool-token' } }), { message: 'hi' }, ctx(), deps());

    // Assess
    expect(result.output).toMatchObject({ text: 'secured' });
  });

  it.each([
    ['no auth', undefined, 'none'],
    ['an API key', { type: 'apiKey', header: 'X-Key', value: { secret: 'tool-key' } }, 'apiKey'],
  ])('fails the node with Braid.AuthUnsupported when the card needs what the node cannot give (%s)', async (_case, auth, type) => {
    // Prepare
    const agent = await securedAgent();

    // Act
    const error = await failure(executeNode(agentNode(agent.url, auth), { message: 'hi' }, ctx(), deps()));

    // Assess
    expect(error.name).toBe('Braid.AuthUnsupported');
    expect(error.message).toContain('corp (http Bearer)');
    expect(error.details).toStrictEqual({ securitySchemes: ['corp'], auth: type });
    expect(agent.received).toHaveLength(0);
  });
});
