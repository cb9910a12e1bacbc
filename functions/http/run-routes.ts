/**
 * Handlers of the run routes (api function) and the gate route (gate function): thin adapters that read the
 * request, call the run or gate service and return JSON. Errors propagate to `error-response.ts`.
 */
import type { GateService } from '../../shared/services/gate-service';
import type { ReplyService } from '../../shared/services/reply-service';
import type { RunService } from '../../shared/services/run-service';
import type { RouteHandlers } from './app';
import { callerOf, pathParam, queryOf, readJsonBody, type RouteContext } from './request';

/** Body limit of the run and gate routes: a run input or a decision's data. */
export const RUN_BODY_LIMIT_BYTES = 256 * 1024;

/** A JSON body, or `{}` when the request has none (no content type and no length). */
async function optionalJsonBody(c: RouteContext): Promise<unknown> {
  const length = c.req.header('content-length');
  if (c.req.header('content-type') === undefined && (length === undefined || length === '0')) return {};
  return readJsonBody(c, RUN_BODY_LIMIT_BYTES);
}

/** The api function's run routes. */
export function runRoutes(runs: RunService): RouteHandlers {
  return {
    startRun: async (c) => {
      const caller = callerOf(c);
      const workflowId = pathParam(c, 'id', 'workflow');
      const started = await runs.start(caller, workflowId, await optionalJsonBody(c));
      return c.json(started, 202, { location: `/api/v1/workflows/runs/${started.runId}` });
    },
    listRuns: async (c) => c.json(await runs.list(callerOf(c), pathParam(c, 'id', 'workflow'), queryOf(c)), 200),
    getRun: async (c) => c.json(await runs.get(callerOf(c), pathParam(c, 'runId', 'run')), 200),
    listNodeRuns: async (c) => c.json(await runs.nodes(callerOf(c), pathParam(c, 'runId', 'run'), queryOf(c)), 200),
    getNodeOutput: async (c) => c.json(await runs.nodeOutput(callerOf(c), pathParam(c, 'runId', 'run'), pathParam(c, 'nodeId', 'node')), 200),
    listMapItems: async (c) => c.json(await runs.items(callerOf(c), pathParam(c, 'runId', 'run'), pathParam(c, 'nodeId', 'node'), queryOf(c)), 200),
    listRunEvents: async (c) => c.json(await runs.events(callerOf(c), pathParam(c, 'runId', 'run'), queryOf(c)), 200),
    cancelRun: async (c) => c.json(await runs.cancel(callerOf(c), pathParam(c, 'runId', 'run')), 200),
    redriveRun: async (c) => c.json(await runs.redrive(callerOf(c), pathParam(c, 'runId', 'run')), 202),
    rerunRun: async (c) => {
      const started = await runs.rerun(callerOf(c), pathParam(c, 'runId', 'run'), await optionalJsonBody(c));
      return c.json(started, 202, { location: `/api/v1/workflows/runs/${started.runId}` });
    },
    getGate: async (c) => c.json(await runs.gate(callerOf(c), pathParam(c, 'runId', 'run'), pathParam(c, 'nodeId', 'gate'), queryOf(c).item), 200),
  };
}

/** The gate function's routes: a gate decision, and a reply to an agent that asked. */
export function gateRoutes(gates: GateService, replies: ReplyService): RouteHandlers {
  return {
    decideGate: async (c) => {
      const caller = callerOf(c);
      const runId = pathParam(c, 'runId', 'run');
      const nodeId = pathParam(c, 'nodeId', 'gate');
      const decision = pathParam(c, 'decision', 'decision');
      return c.json(await gates.decide(caller, runId, nodeId, decision, await optionalJsonBody(c), queryOf(c).item), 200);
    },
    replyToNode: async (c) => {
      const caller = callerOf(c);
      const runId = pathParam(c, 'runId', 'run');
      const nodeId = pathParam(c, 'nodeId', 'node');
      return c.json(await replies.reply(caller, runId, nodeId, await optionalJsonBody(c), queryOf(c).item), 200);
    },
  };
}
