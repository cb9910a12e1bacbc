/**
 * The compiled contract: a whole-output fixture, the contract agrees with the ASL it was rendered from, it is
 * deterministic whatever the order of nodes and edges, the error-name registry matches ARCHITECTURE.md, and
 * the Task payload the compiler renders is what the executor's schema accepts.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileContract, compileWorkflow } from '../../shared/compiler/compile';
import { ERROR_NAMES, ERROR_REGISTRY } from '../../shared/contract/error-names';
import { isVirtualContract } from '../../shared/contract/node-contract';
import { serviceRetrier, toAslRetrier } from '../../shared/contract/retriers';
import { TaskPayloadSchema } from '../../shared/contract/task-payload';
import type { AslState } from '../../shared/compiler/asl-types';
import { cond, gate, tool, workflow } from '../support/asl-harness';

const FN = 'executor';

/** a -> c (condition) -> {b when 1, x default} -> j (join any) -> z; a -> p (parallel root-less fan) -> g (gate). */
const DEF = workflow(
  [
    tool('a', { retry: { maxAttempts: 3, intervalSeconds: 2, backoffRate: 1.5, maxDelaySeconds: 10, jitter: 'FULL' } }),
    cond('c', '$context.q'),
    tool('b', { onError: 'continue', timeoutSeconds: 30 }),
    tool('x'),
    { id: 'j', type: 'join', mode: 'any' },
    tool('z'),
    { id: 'p', type: 'parallel' },
    gate('g', 600),
  ],
  ['a->c', { from: 'c', to: 'b', when: 1 }, { from: 'c', to: 'x', default: true }, 'b->j', 'x->j', 'j->z', 'a->p', 'p->g'],
  { defaults: { retry: { maxAttempts: 2 } } },
);

/** Every Task state of a state machine, nested ones included, by name. */
function tasks(states: Record<string, AslState>): Map<string, AslState & { Type: 'Task' }> {
  const out = new Map<string, AslState & { Type: 'Task' }>();
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') out.set(name, state);
    if (state.Type === 'Parallel') for (const branch of state.Branches) for (const [n, s] of tasks(branch.States)) out.set(n, s);
  }
  return out;
}

describe('the compiled contract', () => {
  it('is the whole decision of the compiler, per node', () => {
    // Act
    const { contract } = compileWorkflow(DEF, { executorArn: FN });
    // Assess
    const service = serviceRetrier();
    const nodeRetry = (extra: object = {}) => ({ kind: 'node', errorEquals: ['Braid.NodeFailed', 'States.Timeout'], maxAttempts: 1, intervalSeconds: 1, backoffRate: 2, ...extra });
    expect(contract).toStrictEqual({
      format: 1,
      order: ['a', 'c', 'p', 'b', 'g', 'x', 'j', 'z'],
      nodes: {
        a: { type: 'tool_call', retriers: [service, nodeRetry({ maxAttempts: 2, intervalSeconds: 2, backoffRate: 1.5, maxDelaySeconds: 10, jitter: 'FULL' })], timeoutSeconds: 300, onError: 'fail', tracked: false, live: 'always', settles: [] },
        c: { type: 'condition', retriers: [service, nodeRetry()], timeoutSeconds: 300, onError: 'fail', tracked: true, live: 'always', routeKeys: ['default', 'w:1'], settles: [] },
        p: { type: 'parallel', mode: 'all', predecessors: ['a'], live: 'always' },
        b: { type: 'tool_call', retriers: [service, nodeRetry()], timeoutSeconds: 30, onError: 'continue', tracked: true, live: [{ kind: 'route', node: 'c', key: 'w:1' }], settles: [] },
        g: { type: 'human_gate', retriers: [service], timeoutSeconds: 600, onError: 'fail', tracked: false, live: 'always', settles: ['p'] },
        x: { type: 'tool_call', retriers: [service, nodeRetry()], timeoutSeconds: 300, onError: 'fail', tracked: true, live: [{ kind: 'route', node: 'c', key: 'default' }], settles: [] },
        j: { type: 'join', mode: 'any', predecessors: ['b', 'x'], live: [{ kind: 'notSkipped', node: 'b' }, { kind: 'notSkipped', node: 'x' }] },
        z: { type: 'tool_call', retriers: [service, nodeRetry()], timeoutSeconds: 300, onError: 'fail', tracked: true, live: [{ kind: 'notSkipped', node: 'b' }, { kind: 'notSkipped', node: 'x' }], settles: ['j'] },
      },
      terminal: ['g', 'z'],
    });
  });

  it('agrees with the ASL it was rendered from (retriers and timeouts of every Task)', () => {
    for (const strategy of ['levels', 'critical-path'] as const) {
      // Act
      const { asl, contract } = compileWorkflow(DEF, { executorArn: FN, strategy });
      // Assess
      const states = tasks(asl.States as Record<string, AslState>);
      for (const [id, node] of Object.entries(contract.nodes)) {
        if (isVirtualContract(node)) {
          expect(states.has(id), `${id} has no state`).toBe(false);
          continue;
        }
        const state = states.get(id);
        expect(state?.Retry, id).toStrictEqual(node.retriers.map(toAslRetrier));
        expect(state?.TimeoutSeconds, id).toBe(node.timeoutSeconds);
      }
    }
  });

  it('is deterministic whatever the order of nodes and edges, and equals compileContract', () => {
    // Prepare
    const shuffled = { ...DEF, nodes: [...DEF.nodes].reverse(), edges: [...DEF.edges].reverse() };
    // Act
    const a = JSON.stringify(compileWorkflow(DEF, { executorArn: FN }).contract);
    const b = JSON.stringify(compileWorkflow(shuffled, { executorArn: FN, strategy: 'levels' }).contract);
    // Assess
    expect(b).toBe(a);
    expect(JSON.stringify(compileContract(DEF))).toBe(a);
  });
});

describe('the error-name registry', () => {
  it('lists every Braid error name once, and ARCHITECTURE.md lists exactly the registry', () => {
    // Prepare
    const doc = readFileSync(new URL('../../ARCHITECTURE.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('**Error names**'));
    const rows = [...section.matchAll(/^\| `(Braid\.[A-Za-z]+)` \| (.+?) \| (.+?) \|$/gm)].map((m) => m[1]);
    // Assess
    expect(new Set(ERROR_REGISTRY.map((e) => e.name))).toStrictEqual(new Set(Object.values(ERROR_NAMES)));
    expect(ERROR_REGISTRY).toHaveLength(Object.values(ERROR_NAMES).length);
    expect(rows).toStrictEqual(ERROR_REGISTRY.map((e) => e.name));
    for (const entry of ERROR_REGISTRY) expect(section).toContain(`| \`${entry.name}\` | ${entry.meaning} |`);
  });

  it('spells no Braid error name as a literal outside the registry', () => {
    // Prepare: every source file of shared/ and functions/ (tests and docs may spell names)
    const files = execSync('git ls-files shared functions', { cwd: new URL('../..', import.meta.url) }).toString().trim().split('\n')
      .filter((f) => f.endsWith('.ts') && !f.startsWith('shared/contract/') && f !== 'shared/live/drain.ts');
    // Act
    const code = (f: string) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8').split('\n').filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l));
    const offenders = files.filter((f) => code(f).some((line) => /['"]Braid\.[A-Z][A-Za-z]+['"]/.test(line)));
    // Assess
    expect(offenders).toStrictEqual([]);
  });
});

describe('the Task payload', () => {
  it('accepts what the compiled Task states send once Step Functions resolves the paths', () => {
    // Prepare
    const { asl } = compileWorkflow(DEF, { executorArn: FN });
    const context = { runId: 'run-1', retryCount: 2, token: 'tok', redriveCount: 1 };
    const resolve = (payload: Record<string, unknown>) => Object.fromEntries(Object.entries(payload).map(([k, v]) => {
      if (!k.endsWith('.$')) return [k, v];
      const value = v === '$$.Execution.Input.runId' ? context.runId : v === '$$.State.RetryCount' ? context.retryCount : v === '$$.Task.Token' ? context.token : v === '$$.Execution.RedriveCount' ? context.redriveCount : { Error: 'Braid.NodeFailed', Cause: 'x' };
      return [k.slice(0, -2), value];
    }));
    // Act
    const parsed = [...tasks(asl.States as Record<string, AslState>).values()].map((s) => TaskPayloadSchema.safeParse(resolve((s.Parameters as { Payload: Record<string, unknown> }).Payload)));
    // Assess
    expect(parsed.every((p) => p.success)).toBe(true);
    expect(parsed.map((p) => p.data?.action).sort()).toStrictEqual(['execute', 'execute', 'execute', 'execute', 'execute', 'finalize', 'gate']);
    expect(TaskPayloadSchema.safeParse({ action: 'execute', runId: 'r', nodeId: 'n', attempt: -1 }).success).toBe(false);
  });
});
