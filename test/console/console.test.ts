/**
 * The web console in a real browser (headless Chromium from the system, playwright-core): sign in, add the demo
 * workflow, start a run, watch nodes change state live, approve the gate, see the run succeed; and a dropped
 * WebSocket that resumes by seq without losing or repeating an event. Skipped, saying why, without Chromium.
 * `BRAID_SCREENSHOTS=docs` saves the screenshots the README shows.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BraidHttpClient } from '../../client/http-client';
import { createEventLogRepository } from '../../shared/store/events';
import { waitFor } from '../support/poll';
import { findChromium, startConsoleFixture, type ConsoleFixture } from './console-stack';

const chromiumPath = findChromium();
if (!chromiumPath) console.warn('console browser tests skipped: no Chromium found (apt-get install -y chromium, or set BRAID_CHROMIUM)');
const screenshots = process.env.BRAID_SCREENSHOTS;

let fixture: ConsoleFixture;

beforeAll(async () => {
  if (chromiumPath) fixture = await startConsoleFixture(chromiumPath);
}, 120_000);
afterAll(async () => {
  await fixture?.close();
});

async function openSignedIn(user: string, hash = ''): Promise<Page> {
  const context = await fixture.browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${fixture.stack.httpUrl}/`);
  await page.fill('input[name=user]', user);
  await page.click('button[type=submit]');
  await page.waitForSelector(`.user[data-user="${user}"]`);
  if (hash) await page.goto(`${fixture.stack.httpUrl}/${hash}`);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  if (!screenshots) return;
  await mkdir(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `console-${name}.png`), fullPage: true });
}

const nodeIn = (id: string, status: string) => `svg.dag .node[data-node="${id}"][data-status="${status}"]`;

/** The seqs the timeline shows, in order. */
async function timelineSeqs(page: Page): Promise<number[]> {
  return page.$$eval('.timeline li', (rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
}

describe.skipIf(!chromiumPath)('web console in Chromium', { timeout: 90_000 }, () => {
  it('adds the demo workflow, runs it, shows nodes changing live, approves the gate and sees the run succeed', async () => {
    // Prepare
    const page = await openSignedIn('alice');
    await page.click('text=Add the demo workflow (hotel booking)');
    await page.waitForSelector('.run-card textarea.input-json');
    await shot(page, 'workflow');
    // Act: an input the schema refuses keeps Run disabled and names the field; a valid one starts the run.
    await page.fill('textarea.input-json', '{"nights": 2}');
    await page.waitForSelector('.problems li:has-text("city")');
    expect(await page.isDisabled('button.run-button')).toBe(true);
    await page.fill('textarea.input-json', '{"city": "Paris", "nights": 2}');
    await page.click('button.run-button');
    await page.waitForSelector(nodeIn('approve', 'waiting'));
    // Assess: nodes before the gate finished; the one after it has not started; the gate's form is shown.
    for (const id of ['search', 'pick', 'pricey']) await page.waitForSelector(nodeIn(id, 'succeeded'));
    expect(await page.getAttribute('svg.dag .node[data-node="book"]', 'data-status')).toBe('pending');
    await page.waitForSelector('.gate-banner:has-text("approve")');
    // The form shows a placeholder until the gate's view arrives: wait for the prompt itself.
    await page.waitForSelector('.gate-form .prompt:has-text("over $150 a night")');
    await shot(page, 'run-waiting');
    // Act: approve with a comment, in the browser.
    await page.fill('.gate-form textarea.comment', 'fine for the conference');
    await page.click('.gate-form button.approve');
    // Assess: the same page (no reload) sees the gate and the last node finish, then the run.
    await page.waitForSelector(nodeIn('approve', 'succeeded'));
    await page.waitForSelector(nodeIn('book', 'succeeded'));
    await page.waitForSelector('h1 .badge[data-status="succeeded"]');
    // The badge may come from a refresh before the timeline has drawn every event: wait for the decision's row.
    await page.waitForSelector('.timeline li:has-text("by alice: fine for the conference")');
    const seqs = await timelineSeqs(page);
    expect(seqs).toStrictEqual(seqs.map((_s, i) => i + 1));
    await page.click('svg.dag .node[data-node="book"]');
    await page.waitForSelector('.node-panel[data-node="book"] details.json pre:has-text("Rive Gauche")');
    await shot(page, 'run-succeeded');
    await page.click('.crumbs a:has-text("hotel-booking")');
    await page.waitForSelector('table.runs .badge[data-status="succeeded"]');
    await page.click('.main-nav a:has-text("Workflows")');
    await page.waitForSelector('table.list a:has-text("hotel-booking")');
    await shot(page, 'workflows');
    await page.context().close();
  });

  it('resumes by seq after the WebSocket drops: every event shown once, in order, and the run is seen to end', async () => {
    // Prepare: a run waiting at its gate, opened in the browser.
    const token = await fixture.stack.token('bob');
    const http = new BraidHttpClient({ url: fixture.stack.httpUrl, token });
    const workflow = await http.createWorkflow(fixture.demoWorkflow);
    const { runId } = await http.startRun(workflow.id, { city: 'Paris', nights: 1 });
    const page = await openSignedIn('bob', `#/runs/${runId}`);
    await page.waitForSelector(nodeIn('approve', 'waiting'));
    await page.waitForSelector('.live-pill[data-live="open"]');
    const before = (await timelineSeqs(page)).length;
    // Act: the connection drops; the gate is approved while the browser is disconnected.
    expect(fixture.stack.dropLiveConnections()).toBeGreaterThan(0);
    await http.decideGate(runId, 'approve', 'approve', { comment: 'while offline' });
    // Assess: the page reconnects, catches up and shows the end; the timeline equals the event log.
    await page.waitForSelector('h1 .badge[data-status="succeeded"]');
    await page.waitForSelector(nodeIn('book', 'succeeded'));
    const log = await http.allRunEvents(runId);
    await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.timeline li').length >= n, log.length);
    const seqs = await timelineSeqs(page);
    expect(seqs).toStrictEqual(log.map((e) => e.seq));
    expect(seqs.length).toBeGreaterThan(before);
    await page.context().close();
  });

  it('shows the API\'s error when an action is refused', async () => {
    // Prepare: carol may not see alice's run.
    const alice = new BraidHttpClient({ url: fixture.stack.httpUrl, token: await fixture.stack.token('alice') });
    const workflow = await alice.createWorkflow(fixture.demoWorkflow);
    const { runId } = await alice.startRun(workflow.id, { city: 'Oslo' });
    // Act
    const page = await openSignedIn('carol', `#/runs/${runId}`);
    // Assess
    const text = await page.textContent('.notice.error');
    expect(text).toContain('404');
    expect(text).toContain('not_found');
    await page.context().close();
  });

  it('streams agent text into the node panel and shows map progress on the graph as node.progress events arrive', async () => {
    // Prepare: a run waiting at its gate, open in the browser.
    const http = new BraidHttpClient({ url: fixture.stack.httpUrl, token: await fixture.stack.token('dave') });
    const workflow = await http.createWorkflow(fixture.demoWorkflow);
    const { runId } = await http.startRun(workflow.id, { city: 'Paris' });
    const page = await openSignedIn('dave', `#/runs/${runId}`);
    await page.waitForSelector(nodeIn('approve', 'waiting'));
    await page.click('svg.dag .node[data-node="pick"]');
    const log = createEventLogRepository(fixture.stack.table);
    const at = () => new Date().toISOString();
    // The demo agent streams its own answer: count the progress rows already shown, once the timeline holds the
    // whole log so far (the node statuses can be drawn from the nodes route before the timeline has caught up).
    const logged = (await http.allRunEvents(runId)).length;
    await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.timeline li').length >= n, logged);
    const before = await page.$$eval('.timeline li.ev-progress', (rows) => rows.length);
    // Act: progress events as a streaming agent and a map node would append them.
    await log.append(runId, 'progress:pick:1', { type: 'node.progress' as never, nodeId: 'pick', at: at(), data: { text: 'Rive Gauche is ' } });
    await log.append(runId, 'progress:pick:2', { type: 'node.progress' as never, nodeId: 'pick', at: at(), data: { text: 'the cheapest.' } });
    await log.append(runId, 'progress:search:1', { type: 'node.progress' as never, nodeId: 'search', at: at(), data: { progress: { total: 30, succeeded: 11, failed: 1, running: 3 } } });
    // Assess
    await page.waitForSelector('.node-panel[data-node="pick"] .stream-text:has-text("Rive Gauche is the cheapest.")');
    await page.waitForSelector('svg.dag .node[data-node="search"] .node-status:has-text("12/30")');
    await page.waitForSelector(`.timeline li.ev-progress >> nth=${before + 2}`);
    expect(await page.$$eval('.timeline li.ev-progress', (rows) => rows.length)).toBe(before + 3);
    await page.context().close();
  });

  it('links a workflow_call node to its child run, and the child run back to its parent', async () => {
    // Prepare: a parent whose call waits on a child at its gate.
    const http = new BraidHttpClient({ url: fixture.stack.httpUrl, token: await fixture.stack.token('gina') });
    const child = await http.createWorkflow({ name: 'child', nodes: [{ id: 'ask', type: 'human_gate', prompt: 'ok?', timeoutSeconds: 600 }], edges: [] });
    const parent = await http.createWorkflow({ name: 'parent', nodes: [{ id: 'triage', type: 'workflow_call', workflow: { id: child.id }, timeoutSeconds: 600 }], edges: [] });
    const { runId } = await http.startRun(parent.id, {});
    const page = await openSignedIn('gina', `#/runs/${runId}`);
    // Act
    await page.click('svg.dag .node[data-node="triage"]');
    // A selector, not an element handle: the panel re-renders as the run's events arrive, and a click by selector
    // finds the link again if it was replaced meanwhile (a held handle can be detached: a flaky click).
    await page.click('.node-panel[data-node="triage"] a.child-run');
    // Assess
    await page.waitForSelector(`a.parent-run:has-text("${runId.slice(0, 13)} / triage")`);
    await page.waitForSelector(nodeIn('ask', 'waiting'));
    await http.cancelRun(runId);
    await page.context().close();
  });

  it('lists an agent\'s question in the inbox with a reply box, and the question leaves once answered', async () => {
    // Prepare: the demo agent asks for a budget ("ask me"), so the run waits for a reply.
    const http = new BraidHttpClient({ url: fixture.stack.httpUrl, token: await fixture.stack.token('ivy') });
    const workflow = await http.createWorkflow(fixture.demoWorkflow);
    const { runId } = await http.startRun(workflow.id, { city: 'Paris', note: 'please ask me first' });
    const page = await openSignedIn('ivy', '#/inbox');
    const card = `.question-card[data-run="${runId}"][data-node="pick"]`;
    // The inbox loads once: refresh until the question is there.
    await waitFor(async () => {
      if (await page.$(card)) return true;
      await page.click('.page-head button.secondary');
      return undefined;
    }, 'the question in the inbox', 15_000, 200);
    await page.waitForSelector(`${card} .prompt:has-text("What is your budget")`);
    await shot(page, 'inbox-question');
    // Act
    await page.fill(`${card} textarea`, 'about 200');
    await page.click(`${card} button:has-text("Send reply")`);
    // Assess: the card leaves the inbox; the agent goes on with the reply and picks within it.
    await page.waitForSelector(card, { state: 'detached' });
    const picked = await waitFor(async () => (await http.listNodeRuns(runId)).find((n) => n.nodeId === 'pick' && n.status === 'succeeded')?.output, 'pick to succeed', 15_000, 100);
    expect(picked).toMatchObject({ text: expect.stringContaining('within $200') });
    await http.cancelRun(runId).catch(() => undefined);
    await page.context().close();
  });

  it('draws a map node with a body as a group holding the body nodes', async () => {
    // Prepare: the workflow route answers a definition with a map node (drawn generically from the definition).
    const page = await openSignedIn('erin');
    const definition = {
      name: 'reviews', nodes: [
        { id: 'fetch', type: 'tool_call' },
        { id: 'review', type: 'map', body: { nodes: [{ id: 'read', type: 'agent_call' }, { id: 'score', type: 'tool_call' }], edges: [{ from: 'read', to: 'score' }] } },
        { id: 'report', type: 'tool_call' },
      ],
      edges: [{ from: 'fetch', to: 'review' }, { from: 'review', to: 'report' }],
    };
    await page.route('**/api/v1/workflows/wf-map', (route) => route.fulfill({ json: {
      id: 'wf-map', ownerId: 'erin', name: 'reviews', visibility: 'private', isTemplate: false, version: 1, latestVersion: 1,
      createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), definition, warnings: [], role: 'owner',
    } }));
    await page.route(/\/api\/v1\/workflows\/wf-map\/(versions|runs)/, (route) => route.fulfill({ json: { items: [] } }));
    // Act
    await page.goto(`${fixture.stack.httpUrl}/#/w/wf-map`);
    // Assess
    await page.waitForSelector('svg.dag .group');
    for (const id of ['fetch', 'review', 'review/read', 'review/score', 'report']) await page.waitForSelector(`svg.dag .node[data-node="${id}"]`);
    expect(await page.textContent('svg.dag .group-label')).toContain('map review');
    await shot(page, 'map');
    await page.context().close();
  });

  it('signs in through a hosted UI with the authorization code flow and PKCE (S256) when config.json says cognito', async () => {
    // Prepare: config.json names a Cognito domain; its authorize and token endpoints are played by the test.
    const domain = 'https://braid-test.auth.example.test';
    const idToken = await fixture.stack.token('frank');
    const context = await fixture.browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    let challenge = '';
    let tokenRequest: URLSearchParams | undefined;
    await page.route('**/config.json', (route) => route.fulfill({ json: { apiUrl: '', wsUrl: fixture.stack.wsUrl, auth: { mode: 'cognito', domain, clientId: 'client-1' } } }));
    await page.route(`${domain}/oauth2/authorize*`, (route) => {
      const query = new URL(route.request().url()).searchParams;
      challenge = query.get('code_challenge') ?? '';
      expect(Object.fromEntries(query)).toMatchObject({ response_type: 'code', client_id: 'client-1', code_challenge_method: 'S256', redirect_uri: `${fixture.stack.httpUrl}/` });
      return route.fulfill({ status: 302, headers: { location: `${query.get('redirect_uri')}?code=the-code&state=${query.get('state')}` } });
    });
    await page.route(`${domain}/oauth2/token`, (route) => {
      tokenRequest = new URLSearchParams(route.request().postData() ?? '');
      return route.fulfill({ json: { id_token: idToken, token_type: 'Bearer' }, headers: { 'access-control-allow-origin': '*' } });
    });
    // Act
    await page.goto(`${fixture.stack.httpUrl}/`);
    await page.click('text=Sign in with your account');
    await page.waitForSelector('.user[data-user="frank"]');
    // Assess: the verifier sent to the token endpoint hashes to the challenge sent to authorize.
    expect(tokenRequest?.get('grant_type')).toBe('authorization_code');
    expect(tokenRequest?.get('code')).toBe('the-code');
    const verifier = tokenRequest?.get('code_verifier') ?? '';
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    expect(page.url()).toBe(`${fixture.stack.httpUrl}/`);
    await context.close();
  });
});
