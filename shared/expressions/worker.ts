/**
 * The expression worker (`worker_threads`): evaluates a node's expressions one after another and answers with
 * their outcomes. It runs at the lowest CPU priority (on Linux the nice value is per thread), so a hostile
 * expression slows other users' requests as little as possible until the pool stops it at the node's budget
 * (`BRAID_EXPRESSION_WORKER_NICE`, default 19).
 * Messages: in `{ id, expressions, variables }`; out `{ type: 'ready' }`, `{ type: 'progress', id, index }`
 * before each expression, `{ type: 'done', id, results }`.
 * In the Lambda bundle this file is bundled on its own as `expression-worker.mjs` next to the handler.
 */
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { evaluateBounded, type EvaluationOutcome } from './evaluate.ts';

interface Request {
  id: number;
  expressions: string[];
  variables: Record<string, unknown>;
}

// `BRAID_EXPRESSION_WORKER_NICE` (0–19, default 19): the test suite runs at 0 so that a machine loaded by other
// processes cannot starve a worker past the budget of a benign expression.
const nice = Number(process.env.BRAID_EXPRESSION_WORKER_NICE ?? 19);
try {
  if (Number.isInteger(nice) && nice > 0 && nice <= 19) setPriority(nice);
} catch {
  // Not permitted here: run at normal priority.
}

const port = parentPort;
if (port) {
  port.on('message', (request: Request) => {
    void (async () => {
      const results: EvaluationOutcome[] = [];
      for (const [index, expression] of request.expressions.entries()) {
        port.postMessage({ type: 'progress', id: request.id, index });
        results.push(await evaluateBounded(expression, request.variables));
      }
      port.postMessage({ type: 'done', id: request.id, results });
    })();
  });
  port.postMessage({ type: 'ready' });
}
