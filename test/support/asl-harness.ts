/**
 * Test helpers for the core: definition builders, asl-validator, and a recording `invoke` that
 * stands in for the executor when running compiled ASL on the local engine.
 */
import aslValidator from 'asl-validator';
import type { NodeDef, WorkflowDefinition } from '../../shared/definition/schema';
import type { InvokeFn, InvokeMeta } from '../../infra/local/asl-runner';
import { waitFor } from './poll';

/** The executor "ARN" used by test compilations. */
export const TEST_EXECUTOR = 'arn:aws:lambda:us-east-1:123456789012:function:braid-executor';

/** A builtin `echo` tool node. */
export function tool(id: string, extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'tool_call', tool: { kind: 'builtin', name: 'echo' }, ...extra } as NodeDef;
}

/** A condition node. */
export function cond(id: string, expression = '$context.flag', extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'condition', expression, ...extra } as NodeDef;
}

/** A human gate node. */
export function gate(id: string, timeoutSeconds = 3600, extra: Record<string, unknown> = {}): NodeDef {
  return { id, type: 'human_gate', prompt: 'ok?', timeoutSeconds, ...extra } as NodeDef;
}

/** A workflow from nodes and `"a->b"` edge shorthands (or full edge objects). */
export function workflow(nodes: NodeDef[], edges: Array<string | WorkflowDefinition['edges'][number]>, extra: Partial<WorkflowDefinition> = {}): WorkflowDefinition {
  return {
    name: 'test',
    nodes,
    edges: edges.map((e) => {
      if (typeof e !== 'string') return e;
      const [from, to] = e.split('->') as [string, string];
      return { from, to };
    }),
    ...extra,
  };
}

/** Runs asl-validator on a clone (it mutates its input) and returns its error text, '' when valid. */
export function aslErrors(asl: object): string {
  const result = aslValidator(structuredClone(asl));
  return result.isValid ? '' : result.errorsText('\n');
}

/** One recorded Task call. */
export interface Call {
  stateName: string;
  nodeId?: string;
  action: unknown;
  attempt: number;
  payload: Record<string, unknown>;
  start: number;
  end?: number;
  error?: string;
}

/** What a node does when invoked: return the executor's `{ route }` result or throw. */
export type Behaviour = (payload: Record<string, unknown>, meta: InvokeMeta) => unknown;

/** A recording `invoke`: every call is logged with times; nodes default to `{ route: 'ok' }` after `delayMs`. */
export function recorder(behaviours: Record<string, Behaviour> = {}, delayMs = 5): { calls: Call[]; invoke: InvokeFn; ran: () => string[] } {
  const calls: Call[] = [];
  const invoke: InvokeFn = async (_fn, payload, meta) => {
    const call: Call = { stateName: meta.stateName, action: payload.action, attempt: meta.attempt, payload, start: performance.now() };
    if (typeof payload.nodeId === 'string') call.nodeId = payload.nodeId;
    calls.push(call);
    try {
      await new Promise((r) => setTimeout(r, delayMs));
      const behaviour = call.nodeId !== undefined ? behaviours[call.nodeId] : undefined;
      return behaviour ? await behaviour(payload, meta) : { route: 'ok' };
    } catch (error) {
      call.error = error instanceof Error ? error.name : String(error);
      throw error;
    } finally {
      call.end = performance.now();
    }
  };
  const ran = () => [...new Set(calls.filter((c) => c.action === 'execute' || c.action === 'gate').map((c) => c.nodeId as string))];
  return { calls, invoke, ran };
}

/** An `Error` with an ASL error name, as the executor throws. */
export function braidError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Resolves with the promise's value, or rejects after `ms` (every wait in a test has a deadline). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value other than undefined, or throws after `ms`. */
export function pollUntil<T>(check: () => T | undefined, ms: number, what = 'condition'): Promise<T> {
  return waitFor(check, what, ms, 2);
}
