import { routeKey } from '../../shared/definition/route-key';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeDef, NodeDef, WorkflowDefinition } from '../../shared/definition/schema';
import { WorkflowDefinitionSchema } from '../../shared/definition/schema';
import { executeNode, resolveInputs, type BindingScope, type ExecutionResult } from '../../shared/executors';
import { startDemoAgent } from '../../examples/demo-agent';
import { startDemoTool, type DemoServer } from '../../examples/demo-tool';
import hotelBooking from '../../examples/hotel-booking.json';
import { allowTestServer, testExecutorDeps } from '../support/egress';

let tool: DemoServer;
let agent: DemoServer;
let workflow: WorkflowDefinition;

beforeAll(async () => {
  [tool, agent] = await Promise.all([startDemoTool({ port: 0 }), startDemoAgent({ port: 0 })]);
  allowTestServer(tool.url);
  allowTestServer(agent.url);
  // Point the example at the servers' ephemeral ports, as `npm run dev` points it at the fixed ones.
  const text = JSON.stringify(hotelBooking).replaceAll('http://127.0.0.1:4401', tool.url).replaceAll('http://127.0.0.1:4402', agent.url);
  workflow = WorkflowDefinitionSchema.parse(JSON.parse(text));
});

afterAll(async () => {
  await Promise.all([tool.close(), agent.close()]);
});

function node(id: string): NodeDef {
  const found = workflow.nodes.find((n) => n.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

/** Runs one node the way the executor Lambda does: resolve its bindings, then execute it. */
async function run(id: string, scope: BindingScope): Promise<ExecutionResult> {
  const n = node(id);
  const outEdges: EdgeDef[] = workflow.edges.filter((e) => e.from === id);
  const inputs = await resolveInputs('inputs' in n ? n.inputs : undefined, scope);
  const result = await executeNode(n, inputs, {
    runId: 'demo-run',
    nodeId: id,
    attempt: 0,
    signal: new AbortController().signal,
    deadline: Date.now() + 10_000,
    scope,
    routeKeys: outEdges.map(routeKey),
  }, testExecutorDeps());
  scope.outputs[id] = result.output;
  return result;
}

describe('the demo workflow on the demo agent and tool', () => {
  it('books the cheap Oslo hotel without asking anyone', async () => {
    // Prepare
    const scope: BindingScope = { context: { city: 'Oslo', nights: 2 }, outputs: {} };

    // Act
    await run('search', scope);
    const pick = await run('pick', scope);
    const pricey = await run('pricey', scope);
    const book = await run('book', scope);

    // Assess
    expect(pick.output).toStrictEqual({ text: 'Fjord Inn at $120/night is the cheapest of 3.', data: { name: 'Fjord Inn', price: 120 }, taskState: 'completed' });
    expect(pick.cost).toStrictEqual({ usd: 0.000498, inputTokens: 76, outputTokens: 18 });
    expect(pricey.route).toBe('w:false');
    expect(book.output).toStrictEqual({ hotel: 'Fjord Inn', city: 'Oslo', nights: 2, total: 240 });
  });

  it('routes the pricey Paris pick to the human gate', async () => {
    // Prepare
    const scope: BindingScope = { context: { city: 'Paris' }, outputs: {} };

    // Act
    await run('search', scope);
    await run('pick', scope);
    const pricey = await run('pricey', scope);

    // Assess
    expect(scope.outputs.pick).toMatchObject({ data: { name: 'Rive Gauche', price: 210 } });
    expect(pricey.route).toBe('w:true');
  });
});
