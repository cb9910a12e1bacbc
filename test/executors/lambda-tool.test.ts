import { InvokeCommand, LambdaClient, TooManyRequestsException, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { NodeDef } from '../../shared/definition/schema';
import { executeNode, NodeFailedError, NotExecutableError, TransientError } from '../../shared/executors';

// No local engine runs user Lambdas: the SDK client is mocked (AWS-only path).
const lambdaMock = mockClient(LambdaClient);
const client = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:price-check';
const node: NodeDef = { id: 'price', type: 'tool_call', tool: { kind: 'lambda', functionArn: ARN } };

function ctx() {
  return { runId: 'r1', nodeId: 'price', attempt: 0, signal: new AbortController().signal, deadline: Date.now() + 5_000, ownerId: 'alice', workflowId: 'wf-1' };
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

async function failure(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { details?: Record<string, unknown> };
}

beforeEach(() => {
  lambdaMock.reset();
});

describe('lambda tools', () => {
  it('invokes the function synchronously with the inputs and returns its JSON result', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ ok: true, total: 3 }) as never });

    // Act
    const result = await executeNode(node, { items: [1, 2] }, ctx(), { lambda: client });

    // Assess
    expect(result).toStrictEqual({ output: { ok: true, total: 3 } });
    const calls = lambdaMock.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect({ ...input, Payload: new TextDecoder().decode(input.Payload as Uint8Array), ClientContext: JSON.parse(Buffer.from(input.ClientContext!, 'base64').toString('utf8')) }).toStrictEqual({
      FunctionName: ARN,
      InvocationType: 'RequestResponse',
      Payload: '{"items":[1,2]}',
      ClientContext: { custom: { runId: 'r1', workflowId: 'wf-1', ownerId: 'alice', nodeId: 'price', attempt: 0 } },
    });
  });

  it.each([
    ['outside the deployment pattern', { functionPattern: 'braid-tool-*' }, 'lambda-pattern'],
    ['not in the owner\'s allowlist', { ownerAllow: { alice: ['arn:aws:lambda:us-east-1:123456789012:function:alice-*'] } }, 'lambda-allowlist'],
    ['for an owner with no allowlist entry', { ownerAllow: { bob: [ARN] } }, 'lambda-allowlist'],
  ])('refuses a function %s with Braid.EgressDenied, without invoking it', async (_case, lambdaTools, rule) => {
    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client, lambdaTools }));

    // Assess
    expect(error.name).toBe('Braid.EgressDenied');
    expect(error.details).toMatchObject({ host: 'price-check', rule });
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('invokes a function the pattern and the owner\'s allowlist both allow', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode(1) as never });

    // Act
    const result = await executeNode(node, {}, ctx(), { lambda: client, lambdaTools: { functionPattern: 'price-*', ownerAllow: { alice: [`${ARN}*`] } } });

    // Assess
    expect(result.output).toBe(1);
  });

  it('fails with Braid.NodeFailed when the function reports an error', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'RangeError', errorMessage: 'price out of range' }) as never,
    });

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.message).toMatch(/RangeError: price out of range/);
    expect(error.details).toStrictEqual({ functionError: 'Unhandled', errorType: 'RangeError', statusCode: 200 });
  });

  it('maps throttling to Braid.Transient', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error).toBeInstanceOf(TransientError);
    expect(error.name).toBe('Braid.Transient');
  });

  it('maps a missing function to Braid.NodeFailed', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    // Act
    const error = await failure(executeNode(node, {}, ctx(), { lambda: client }));

    // Assess
    expect(error.name).toBe('Braid.NodeFailed');
    expect(error.details).toStrictEqual({ lambdaError: 'ResourceNotFoundException' });
  });

  it('needs a Lambda client', async () => {
    // Act
    const error = await failure(executeNode(node, {}, ctx(), {}));

    // Assess
    expect(error).toBeInstanceOf(NotExecutableError);
  });
});
