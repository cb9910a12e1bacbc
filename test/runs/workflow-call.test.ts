/**
 * `workflow_call` through the local stack: a child run that succeeds (its output flows on), one that fails
 * (the node fails `Braid.ChildRunFailed`, or the run continues), a parent cancelled while its child waits at a
 * gate, the call depth limit (A→A recursion), permissions at create, at start and at run time, and the task
 * token never leaving the server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkflow, getEvents, getNodes, startRun, startRunStack, waitFor, waitForNode, waitForRun, type TestStack } from './helpers';
import { ERROR_NAMES } from '../../shared/contract/error-names';
import { LIMITS } from '../../shared/definition/schema';

const echo = { kind: 'builtin', name: 'echo' } as const;

/** A child that echoes its input's ticket. */
const childDefinition = {
  name: 'child',
  inputSchema: { type: 'object', required: ['ticket'] },
  nodes: [{ id: 'triaged', type: 'tool_call', tool: echo, inputs: { ticket: '$context.ticket', level: 2 } }],
  edges: [],
};

function parentDefinition(childId: string, call: Record<string, unknown> = {}) {
  return {
    name: 'parent',
    nodes: [
      { id: 'triage', type: 'workflow_call', workflow: { id: childId }, inputs: { ticket: '$context.ticket' }, timeoutSeconds: 30, ...call },
      { id: 'after', type: 'tool_call', tool: echo, inputs: { level: '$triage.triaged.level', ticket: '$triage.triaged.ticket' } },
    ],
    edges: [{ from: 'triage', to: 'after' }],
  };
}

describe('workflow_call', () => {
  let stack: TestStack;
  beforeAll(async () => { stack = await startRunStack(); });
  afterAll(async () => { await stack?.close(); });

  it('runs the child, links both ways, and passes its output on', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', childDefinition);
    const parent = await createWorkflow(stack, 'alice', parentDefinition(child));

    // Act
    const runId = await startRun(stack, 'alice', parent, { input: { ticket: 'T-1' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output).toEqual({ after: { level: 2, ticket: 'T-1' } });
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.triage).toMatchObject({ type: 'workflow_call', status: 'succeeded', output: { triaged: { ticket: 'T-1', level: 2 } } });
    const childRunId = nodes.triage.childRunId as string;
    expect(childRunId).toMatch(/^[0-9a-f-]{36}$/);
    const childRun = (await stack.call('GET', `/api/v1/workflows/runs/${childRunId}`, { as: 'alice' })).body;
    expect(childRun).toMatchObject({ workflowId: child, status: 'succeeded', startedBy: 'alice', parentRunId: runId, parentNodeId: 'triage', depth: 1, input: { ticket: 'T-1' } });
    const listed = (await stack.call('GET', `/api/v1/workflows/${child}/runs`, { as: 'alice' })).body.items as any[];
    expect(listed.find((r) => r.runId === childRunId)).toMatchObject({ parentRunId: runId, parentNodeId: 'triage' });
    const started = (await getEvents(stack, 'alice', runId)).find((e) => e.type === 'node.started' && e.nodeId === 'triage');
    expect(started.data).toMatchObject({ childRunId });
    // The token stays on the server: not in the child's view, listing or events.
    const texts = [JSON.stringify(childRun), JSON.stringify(listed), JSON.stringify(await getEvents(stack, 'alice', childRunId)), JSON.stringify(nodes)];
    for (const text of texts) expect(text).not.toMatch(/local-token|taskToken/);
  });

  it('fails the node with Braid.ChildRunFailed and the child error when the child fails', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', { name: 'failing', nodes: [{ id: 'boom', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' } }], edges: [] });
    const parent = await createWorkflow(stack, 'alice', parentDefinition(child));

    // Act
    const runId = await startRun(stack, 'alice', parent, { input: { ticket: 'T-2' } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('failed');
    expect(run.error.name).toBe(ERROR_NAMES.childRunFailed);
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.triage.status).toBe('failed');
    expect(nodes.triage.error).toMatchObject({ name: ERROR_NAMES.childRunFailed, details: { childRunId: nodes.triage.childRunId, status: 'failed', error: { name: ERROR_NAMES.nodeFailed } } });
    expect(nodes.after.status).not.toBe('succeeded');
  });

  it('goes on past a failed child under onError: continue', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', { name: 'failing', nodes: [{ id: 'boom', type: 'tool_call', tool: { kind: 'builtin', name: 'fail' } }], edges: [] });
    const parent = await createWorkflow(stack, 'alice', {
      name: 'tolerant',
      nodes: [
        { id: 'triage', type: 'workflow_call', workflow: { id: child, version: 1 }, onError: 'continue', timeoutSeconds: 30 },
        { id: 'after', type: 'tool_call', tool: echo, inputs: { done: true } },
      ],
      edges: [{ from: 'triage', to: 'after' }],
    });

    // Act
    const runId = await startRun(stack, 'alice', parent);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    expect(nodes.triage.error.name).toBe(ERROR_NAMES.childRunFailed);
    expect(nodes.after.status).toBe('succeeded');
  });

  it('cancels the child (and its gate) when the parent is cancelled', async () => {
    // Prepare
    const child = await createWorkflow(stack, 'alice', {
      name: 'gated child', nodes: [{ id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 60 }], edges: [],
    });
    const parent = await createWorkflow(stack, 'alice', parentDefinition(child, { inputs: {} }));
    const runId = await startRun(stack, 'alice', parent);
    const childRunId = await waitFor(async () => {
      const id = (await getNodes(stack, 'alice', runId)).triage.childRunId as string | undefined;
      return id && (await stack.call('GET', `/api/v1/workflows/runs/${id}`, { as: 'alice' })).status === 200 ? id : undefined;
    }, 'the child run', 10_000);
    await waitForNode(stack, 'alice', childRunId, 'ask', 'waiting');

    // Act
    const res = await stack.call('POST', `/api/v1/workflows/runs/${runId}/cancel`, { as: 'alice' });

    // Assess
    expect(res.status, res.text).toBe(200);
    const childRun = await waitForRun(stack, 'alice', childRunId, ['cancelled', 'succeeded', 'failed']);
    expect(childRun.status).toBe('cancelled');
    // The run is final a moment before its open nodes and gates are closed (two writes): wait for them.
    const childNodes = await waitFor(async () => {
      const nodes = await getNodes(stack, 'alice', childRunId);
      return nodes.ask.gate?.status === 'cancelled' ? nodes : undefined;
    }, 'the child gate cancelled');
    expect(childNodes.ask.status).toBe('cancelled');
    expect((await stack.call('GET', `/api/v1/workflows/runs/${runId}`, { as: 'alice' })).body.status).toBe('cancelled');
  });

  it('stops recursion at the call depth limit with Braid.DepthExceeded', async () => {
    // Prepare: a workflow whose second version calls itself.
    const wf = await createWorkflow(stack, 'alice', { name: 'loop', nodes: [{ id: 'a', type: 'tool_call', tool: echo }], edges: [] });
    const put = await stack.call('PUT', `/api/v1/workflows/${wf}`, { as: 'alice', body: {
      name: 'loop', nodes: [{ id: 'again', type: 'workflow_call', workflow: { id: wf }, timeoutSeconds: 60 }], edges: [],
    } });
    expect(put.status, put.text).toBe(200);

    // Act
    const runId = await startRun(stack, 'alice', wf);
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);

    // Assess: every level failed with its child, down to the one that may not call deeper.
    expect(run.status).toBe('failed');
    let current = runId;
    for (let depth = 0; depth < LIMITS.maxCallDepth; depth++) {
      const nodes = await getNodes(stack, 'alice', current);
      expect(nodes.again.error.name, `depth ${depth}`).toBe(ERROR_NAMES.childRunFailed);
      current = nodes.again.childRunId;
    }
    const deepest = await getNodes(stack, 'alice', current);
    expect((await stack.call('GET', `/api/v1/workflows/runs/${current}`, { as: 'alice' })).body.depth).toBe(LIMITS.maxCallDepth);
    expect(deepest.again.error).toMatchObject({ name: ERROR_NAMES.depthExceeded });
    expect(deepest.again.childRunId).toBeUndefined();
  });

  it('refuses at create a workflow that calls one the creator may not run, with a JSON pointer', async () => {
    // Prepare
    const hidden = await createWorkflow(stack, 'bob', childDefinition);
    const viewable = await createWorkflow(stack, 'bob', childDefinition);
    expect((await stack.call('PUT', `/api/v1/workflows/${viewable}/permissions/carol`, { as: 'bob', body: { role: 'viewer' } })).status).toBe(200);

    // Act
    const unknown = await stack.call('POST', '/api/v1/workflows', { as: 'carol', body: parentDefinition(hidden) });
    const forbidden = await stack.call('POST', '/api/v1/workflows', { as: 'carol', body: parentDefinition(viewable) });
    const noVersion = await stack.call('POST', '/api/v1/workflows', { as: 'bob', body: parentDefinition(viewable, { workflow: { id: viewable, version: 9 } }) });

    // Assess
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ code: 'unknown_workflow', path: '/nodes/0/workflow/id' })]);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'workflow_call_forbidden', path: '/nodes/0/workflow/id' });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.errors).toEqual([expect.objectContaining({ code: 'unknown_workflow_version', path: '/nodes/0/workflow/version' })]);
  });

  it('refuses a run by a user who may not run the child, and fails the node Braid.Forbidden when the grant goes while it runs', async () => {
    // Prepare: dave owns the parent and shares it with erin; erin may run the child only while her grant lasts.
    const child = await createWorkflow(stack, 'dave', childDefinition);
    const parent = await createWorkflow(stack, 'dave', {
      name: 'gated parent',
      nodes: [
        { id: 'ask', type: 'human_gate', prompt: 'go?', timeoutSeconds: 60 },
        { id: 'triage', type: 'workflow_call', workflow: { id: child }, inputs: { ticket: 'T-9' }, timeoutSeconds: 30 },
      ],
      edges: [{ from: 'ask', to: 'triage' }],
    });
    expect((await stack.call('PUT', `/api/v1/workflows/${parent}/permissions/erin`, { as: 'dave', body: { role: 'runner' } })).status).toBe(200);
    const refused = await stack.call('POST', `/api/v1/workflows/${parent}/run`, { as: 'erin', body: { input: {} } });
    expect((await stack.call('PUT', `/api/v1/workflows/${child}/permissions/erin`, { as: 'dave', body: { role: 'runner' } })).status).toBe(200);
    const runId = await startRun(stack, 'erin', parent);
    await waitForNode(stack, 'erin', runId, 'ask', 'waiting');

    // Act: the grant on the child is revoked while the run waits, then the gate is approved.
    expect((await stack.call('DELETE', `/api/v1/workflows/${child}/permissions/erin`, { as: 'dave' })).status).toBe(204);
    expect((await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'dave' })).status).toBe(200);
    const run = await waitForRun(stack, 'erin', runId, ['succeeded', 'failed']);

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'workflow_call_forbidden', path: '/nodes/1/workflow/id' });
    expect(run.status).toBe('failed');
    const nodes = await getNodes(stack, 'erin', runId);
    expect(nodes.triage.error.name).toBe(ERROR_NAMES.forbidden);
    expect(nodes.triage.childRunId).toBeUndefined();
  });

  it('fails the node Braid.ChildRunFailed when the child input is over 256 KiB, and starts the child at the limit', async () => {
    // Prepare: inputs of exactly 256 KiB of JSON ({"big":"xx…"} is 10 bytes around the string), and one byte more.
    const child = await createWorkflow(stack, 'alice', { name: 'sink', nodes: [{ id: 'n', type: 'tool_call', tool: echo, inputs: { size: '$length($context.big)' } }], edges: [] });
    const parentOf = (chars: number) => createWorkflow(stack, 'alice', {
      name: 'big', nodes: [{ id: 'triage', type: 'workflow_call', workflow: { id: child }, inputs: { big: `$pad('', ${chars}, 'x')` }, timeoutSeconds: 30 }], edges: [],
    });
    const [atLimit, over] = await Promise.all([parentOf(256 * 1024 - 10), parentOf(256 * 1024 - 9)]);

    // Act
    const [ok, refused] = await Promise.all([atLimit, over].map(async (wf) => waitForRun(stack, 'alice', await startRun(stack, 'alice', wf), ['succeeded', 'failed'])));

    // Assess
    expect(ok.status, JSON.stringify(ok.error)).toBe('succeeded');
    expect(refused.status).toBe('failed');
    expect(refused.error.name).toBe(ERROR_NAMES.childRunFailed);
    const nodes = await getNodes(stack, 'alice', refused.runId);
    expect(nodes.triage.error.details).toMatchObject({ bytes: 256 * 1024 + 1, limit: 256 * 1024 });
    expect(nodes.triage.childRunId).toBeUndefined();
  });

  it('pins the latest child version when the parent run starts', async () => {
    // Prepare: the parent waits at a gate; meanwhile the child gets a version 2.
    const child = await createWorkflow(stack, 'alice', childDefinition);
    const parent = await createWorkflow(stack, 'alice', {
      name: 'pinned',
      nodes: [
        { id: 'ask', type: 'human_gate', prompt: 'go?', timeoutSeconds: 60 },
        { id: 'triage', type: 'workflow_call', workflow: { id: child }, inputs: { ticket: 'T-3' }, timeoutSeconds: 30 },
      ],
      edges: [{ from: 'ask', to: 'triage' }],
    });
    const runId = await startRun(stack, 'alice', parent);
    await waitForNode(stack, 'alice', runId, 'ask', 'waiting');
    const put = await stack.call('PUT', `/api/v1/workflows/${child}`, { as: 'alice', body: { ...childDefinition, nodes: [{ id: 'v2', type: 'tool_call', tool: echo }] } });
    expect(put.status, put.text).toBe(200);

    // Act
    await stack.call('POST', `/api/v1/workflows/runs/${runId}/gates/ask/approve`, { as: 'alice' });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

    // Assess
    expect(run.status).toBe('succeeded');
    const nodes = await getNodes(stack, 'alice', runId);
    const childRun = (await stack.call('GET', `/api/v1/workflows/runs/${nodes.triage.childRunId}`, { as: 'alice' })).body;
    expect(childRun.version).toBe(1);
    expect(nodes.triage.output).toEqual({ triaged: { ticket: 'T-3', level: 2 } });
  });
});

describe('workflow_call: idempotent start', () => {
  let stack: TestStack;
  /** How the seam delivers `workflow_call` events: twice at once, or first as an earlier attempt with another token. */
  let mode: 'twice' | 'retried' = 'twice';
  beforeAll(async () => {
    stack = await startRunStack({
      wrapExecutor: (executor) => async (event) => {
        const e = event as Record<string, unknown>;
        if (e.action !== 'workflow_call') return executor(event);
        if (mode === 'twice') {
          const [first] = await Promise.all([executor(event), executor(structuredClone(event))]);
          return first;
        }
        // An attempt whose invocation was lost after it started the child: the Task's retry comes with a new token.
        await executor({ ...e, taskToken: 'local-token-lost-attempt' });
        return executor({ ...e, attempt: (e.attempt as number) + 1 });
      },
    });
  });
  afterAll(async () => { await stack?.close(); });

  for (const delivery of ['twice', 'retried'] as const) {
    it(`starts one child when the task is delivered ${delivery === 'twice' ? 'twice at once' : 'again as a retry with a new token'}`, async () => {
      // Prepare
      mode = delivery;
      const child = await createWorkflow(stack, 'alice', childDefinition);
      const parent = await createWorkflow(stack, 'alice', parentDefinition(child));

      // Act
      const runId = await startRun(stack, 'alice', parent, { input: { ticket: 'T-7' } });
      const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed']);

      // Assess
      expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
      const runs = (await stack.call('GET', `/api/v1/workflows/${child}/runs`, { as: 'alice' })).body.items as any[];
      expect(runs).toHaveLength(1);
      const nodes = await getNodes(stack, 'alice', runId);
      expect(nodes.triage.childRunId).toBe(runs[0].runId);
      expect(nodes.after.output).toEqual({ level: 2, ticket: 'T-7' });
      expect(nodes.triage.attempts.map((a: { status: string }) => a.status)).toEqual(delivery === 'twice' ? ['succeeded'] : ['failed', 'succeeded']);
    });
  }
});
