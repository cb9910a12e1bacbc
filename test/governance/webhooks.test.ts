/**
 * Signed webhooks on the local stack: a receiver on loopback verifies each signature with the secret the owner
 * reads, the first failure is retried, and every delivery is recorded for the owner (and only the owner).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifyWebhook } from '../../shared/notify/webhook-signature';
import { createWorkflow, startRun, waitFor, waitForNode, waitForRun } from '../runs/helpers';
import { gatedWorkflow, startGovernanceStack, type TestStack } from './helpers';

interface Received { headers: Record<string, string | string[] | undefined>; body: string }

describe('webhooks', () => {
  let stack: TestStack;
  let receiver: Server;
  let url: string;
  const received: Received[] = [];
  let failNext = 1;
  beforeAll(async () => {
    stack = await startGovernanceStack();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(503).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // Webhooks go through the egress guard: the loopback receiver must be allowlisted, as an operator would.
    stack.egress.allowlist.add(new URL(url).host);
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('delivers signed, retried, recorded notifications for a gate and the run', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'hank', gatedWorkflow({}, { notify: { webhookUrl: url } }));
    const runId = await startRun(stack, 'hank', wf);
    await waitForNode(stack, 'hank', runId, 'ask', 'waiting');

    // Act
    await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'hank', body: { comment: 'go' } });
    await waitForRun(stack, 'hank', runId, ['succeeded']);
    await stack.notifier.idle();
    const view = await waitFor(async () => {
      const res = await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'hank' });
      return res.body.deliveries?.length >= 3 ? res : undefined;
    }, 'three deliveries recorded');
    const stranger = await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'sam' });

    // Assess
    const secret = view.body.secret as string;
    expect(view.body.webhookUrl).toBe(url);
    const ok = received.filter((r) => verifyWebhook(secret, r.headers[SIGNATURE_HEADER] as string, r.body));
    expect(ok).toHaveLength(received.length);
    expect(verifyWebhook('whsec_wrong', received[0]!.headers[SIGNATURE_HEADER] as string, received[0]!.body)).toBe(false);
    expect(verifyWebhook(secret, received[0]!.headers[SIGNATURE_HEADER] as string, `${received[0]!.body} `)).toBe(false);
    const types = received.map((r) => JSON.parse(r.body).type as string);
    expect(new Set(types)).toEqual(new Set(['gate.opened', 'gate.decided', 'run.finished']));
    // The first attempt got a 503 and was retried with the same delivery id.
    expect(received.length).toBe(4);
    const retried = view.body.deliveries.find((d: any) => d.attempts.length === 2);
    expect(retried).toMatchObject({ outcome: 'delivered', attempts: [{ status: 503 }, { status: 204 }] });
    expect(view.body.deliveries.every((d: any) => d.outcome === 'delivered')).toBe(true);
    expect(stranger.status).toBe(404);
  });

  it('refuses a webhook to a loopback address the operator did not allow, once, and records why', async () => {
    // Prepare
    const denied = 'http://127.0.0.2:9/hooks';
    const wf = await createWorkflow(stack, 'jon', gatedWorkflow({}, { notify: { webhookUrl: denied } }));
    const runId = await startRun(stack, 'jon', wf);
    await waitForNode(stack, 'jon', runId, 'ask', 'waiting');

    // Act
    await stack.notifier.idle();
    const view = await waitFor(async () => {
      const res = await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'jon' });
      return res.body.deliveries?.length >= 1 ? res : undefined;
    }, 'the refused delivery recorded');

    // Assess
    expect(view.body.deliveries[0]).toMatchObject({ type: 'gate.opened', outcome: 'failed', attempts: [{ error: expect.stringMatching(/^Braid\.EgressDenied/) }] });
  });

  it('lets the owner rotate the secret; an editor may not read it', async () => {
    // Prepare
    const wf = await createWorkflow(stack, 'ida', gatedWorkflow({}, { notify: { webhookUrl: url } }));
    await stack.call('PUT', `/api/v1/workflows/${wf}/permissions/ed`, { as: 'ida', body: { role: 'editor' } });
    const before = (await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'ida' })).body.secret;

    // Act
    const rotated = await stack.call('POST', `/api/v1/workflows/${wf}/webhook/rotate`, { as: 'ida' });
    const after = (await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'ida' })).body.secret;
    const editor = await stack.call('GET', `/api/v1/workflows/${wf}/webhook`, { as: 'ed' });

    // Assess
    expect(rotated.body.secret).toBe(after);
    expect(after).not.toBe(before);
    expect(editor.status).toBe(403);
  });
});
