/** The demo workflow, map step included, end to end on the local stack with the demo agent and tool. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoAgent } from '../../examples/demo-agent';
import { startDemoTool, type DemoServer } from '../../examples/demo-tool';
import hotelBooking from '../../examples/hotel-booking.json';
import { createWorkflow, getNodes, startRun, startRunStack, waitForRun, type TestStack } from '../runs/helpers';
import { allowTestServer } from '../support/egress';

describe('demo workflow with its map step', () => {
  let stack: TestStack;
  let tool: DemoServer;
  let agent: DemoServer;
  beforeAll(async () => {
    [stack, tool, agent] = await Promise.all([startRunStack(), startDemoTool({ port: 0 }), startDemoAgent({ port: 0 })]);
    allowTestServer(tool.url);
    allowTestServer(agent.url);
  });
  afterAll(async () => { await Promise.all([stack?.close(), tool?.close(), agent?.close()]); });

  it('quotes every Oslo hotel for the stay, then books the cheapest', async () => {
    // Prepare
    const text = JSON.stringify(hotelBooking).replaceAll('http://127.0.0.1:4401', tool.url).replaceAll('http://127.0.0.1:4402', agent.url);
    const wf = await createWorkflow(stack, 'alice', JSON.parse(text));
    // Act
    const runId = await startRun(stack, 'alice', wf, { input: { city: 'Oslo', nights: 2 } });
    const run = await waitForRun(stack, 'alice', runId, ['succeeded', 'failed'], 30_000);
    // Assess
    expect(run.status, JSON.stringify(run.error)).toBe('succeeded');
    expect(run.output).toEqual({ book: { hotel: 'Fjord Inn', city: 'Oslo', nights: 2, total: 240 } });
    const { quotes } = await getNodes(stack, 'alice', runId);
    expect(quotes.progress).toEqual({ total: 3, succeeded: 3, failed: 0, running: 0 });
    expect(quotes.output.results).toEqual([
      { hotel: 'Fjord Inn', rank: 0, total: 240 }, { hotel: 'Harbour Hotel', rank: 1, total: 360 }, { hotel: 'Grand Nordic', rank: 2, total: 520 },
    ]);
  }, 60_000);
});
