/**
 * A small typed client for Braid's HTTP API (the routes in `functions/http/routes.ts`): workflows, versions,
 * runs, node runs, the event log, gates, node replies and secrets, with the bearer token on every request.
 * It runs in Node and in the browser (the CLI and the web console both use it).
 */
import type { BudgetLimit, Cost, ErrorInfo, Gate, NodeRun, Run, RunEvent, ValidationIssue, Workflow } from '../shared/model/types';
import type { GateInboxItem, InboxItem, QuestionInboxItem } from '../shared/services/inbox-service';
import type { WebhookView } from '../shared/services/webhook-service';
import type { VersionSummary } from '../shared/services/workflow-views';
import type { ReplyView } from '../shared/services/reply-service';

export type { GateInboxItem, InboxItem, QuestionInboxItem, WebhookView };

/** Options of `BraidHttpClient`. */
export interface HttpClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:3000` (the `/api/v1/...` paths are appended). */
  url: string;
  token: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A non-2xx answer, with the API's error code when it sent one. */
export class BraidHttpError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** A 409's stable reason (`already_voted`, `already_decided`, `run_finished`, ...). */
  readonly reason: string | undefined;
  readonly body: unknown;
  constructor(status: number, code: string | undefined, message: string, body: unknown, reason?: string) {
    super(message);
    this.name = 'BraidHttpError';
    this.status = status;
    this.code = code;
    this.reason = reason;
    this.body = body;
  }
}

/** A workflow as `POST /api/v1/workflows` returns it. */
export type CreatedWorkflow = Partial<Workflow> & { id: string; version?: number; warnings?: ValidationIssue[] };

/** What starting a run returns. */
export interface StartedRun {
  runId: string;
  status: Run['status'];
}

/** A gate decision. */
export type GateDecision = 'approve' | 'reject';

/** One page of a listing; pass `nextCursor` back as `cursor`. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Query of a paginated listing. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/** Listing scopes of `GET /api/v1/workflows`. */
export type WorkflowScope = 'mine' | 'shared' | 'public' | 'all';

/** A workflow in a listing. */
export type WorkflowSummary = Omit<Workflow, 'deletedAt'> & { role: string };

/** A workflow at one version, with its definition. */
export type WorkflowDetail = WorkflowSummary & { version: number; definition: Record<string, unknown> & { nodes: Record<string, unknown>[] }; warnings: ValidationIssue[] };

/** One entry of a version history (the API's own view type). */
export type { VersionSummary } from '../shared/services/workflow-views';

/** What validating a definition returns. */
export interface ValidationResult {
  valid: boolean;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** A run in a listing. */
export type RunSummary = Pick<Run, 'runId' | 'workflowId' | 'version' | 'startedBy' | 'status' | 'startedAt' | 'cost'> & { endedAt?: string; parentRunId?: string; parentNodeId?: string };

/** A run as `GET …/runs/{runId}` returns it (fields added by newer servers are kept). */
export type RunDetail = Omit<Run, 'ownerId' | 'calledBy' | 'callVersions'> & {
  parentRunId?: string;
  /** A child run (`workflow_call`): the parent run's node that started it. */
  parentNodeId?: string;
  parentItem?: string;
  redriveCount?: number;
  [extra: string]: unknown;
};

/** A gate as the API returns it (never its token). */
export type GateView = Omit<Gate, 'taskToken'> & { inputs?: Record<string, unknown>; workflowId?: string; workflowName?: string; votes?: unknown[]; [extra: string]: unknown };

/** Map progress on a map node's view. */
export interface MapProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

/** A node of a run as `GET …/runs/{runId}/nodes` returns it. */
export type NodeRunView = Omit<NodeRun, 'runId'> & {
  type: string;
  gate?: GateView;
  inputs?: unknown;
  progress?: MapProgress;
  question?: QuestionView;
  reused?: boolean;
  cost?: Cost;
  error?: ErrorInfo;
};

/** The answer of the reply route: the API's own view type. */
export type { ReplyView } from '../shared/services/reply-service';

/** An agent's question on its node view. */
export interface QuestionView {
  text: string;
  data: unknown;
  turn: number;
  askedAt: string;
}

/** One page of the event log. */
export interface EventsPage {
  events: RunEvent[];
  lastSeq: number;
  nextAfter?: number;
}


/** Body of a rerun. */
export interface RerunRequest {
  fromNode: string;
  version?: number;
  input?: unknown;
}

/** What the API shows of a secret: its name and dates, never its value. */
export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Typed calls to the HTTP API. */
export class BraidHttpClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: HttpClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    // Bound: a browser's fetch called as a method of another object throws "Illegal invocation".
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** `POST /api/v1/workflows`: creates a workflow from a definition. */
  createWorkflow(definition: unknown): Promise<CreatedWorkflow> {
    return this.request('POST', '/api/v1/workflows', definition);
  }

  /** `POST /api/v1/workflows/validate`: checks a definition without storing it. */
  validateWorkflow(definition: unknown): Promise<ValidationResult> {
    return this.request('POST', '/api/v1/workflows/validate', definition);
  }

  /** `GET /api/v1/workflows?scope=`: one page of the caller's workflows. */
  listWorkflows(scope: WorkflowScope = 'all', page: PageQuery = {}): Promise<Page<WorkflowSummary>> {
    return this.request('GET', `/api/v1/workflows${query({ scope, ...page })}`);
  }

  /** `GET /api/v1/templates`. */
  listTemplates(page: PageQuery = {}): Promise<Page<WorkflowSummary>> {
    return this.request('GET', `/api/v1/templates${query({ ...page })}`);
  }

  /** `GET /api/v1/workflows/{id}[?version=N]`. */
  getWorkflow(workflowId: string, version?: number): Promise<WorkflowDetail> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}${query({ version })}`);
  }

  /** `PUT /api/v1/workflows/{id}`: publishes a new version. */
  publishWorkflow(workflowId: string, definition: unknown): Promise<CreatedWorkflow> {
    return this.request('PUT', `/api/v1/workflows/${enc(workflowId)}`, definition);
  }

  /** `DELETE /api/v1/workflows/{id}` (soft delete). */
  async deleteWorkflow(workflowId: string): Promise<void> {
    await this.request('DELETE', `/api/v1/workflows/${enc(workflowId)}`);
  }

  /** `GET /api/v1/workflows/{id}/versions`. */
  listVersions(workflowId: string, page: PageQuery = {}): Promise<Page<VersionSummary>> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}/versions${query({ ...page })}`);
  }

  /** `GET /api/v1/workflows/{id}/diagram`: Mermaid text. */
  getDiagram(workflowId: string, version?: number): Promise<{ workflowId: string; version: number; mermaid: string }> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}/diagram${query({ version })}`);
  }

  /** `POST /api/v1/workflows/{id}/run`: starts a run (202), optionally with its own budget. */
  startRun(workflowId: string, input: unknown, idempotencyKey?: string, budget?: BudgetLimit): Promise<StartedRun> {
    return this.request('POST', `/api/v1/workflows/${enc(workflowId)}/run`, { input, ...(idempotencyKey ? { idempotencyKey } : {}), ...(budget ? { budget } : {}) });
  }

  /** `GET /api/v1/workflows/{id}/runs`: the workflow's runs, newest first. */
  listRuns(workflowId: string, page: PageQuery = {}): Promise<Page<RunSummary>> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}/runs${query({ ...page })}`);
  }

  /** `GET /api/v1/workflows/runs/{runId}`. */
  getRun(runId: string): Promise<RunDetail> {
    return this.request('GET', `/api/v1/workflows/runs/${enc(runId)}`);
  }

  /**
   * `GET /api/v1/workflows/runs/{runId}/nodes`: every node of the run and its state, following `nextCursor`
   * (at most 1,000 pages). A node whose output is large has `outputOmitted` instead: see `getNodeOutput`.
   */
  async listNodeRuns(runId: string): Promise<NodeRunView[]> {
    const all: NodeRunView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1_000; page += 1) {
      const body = await this.request<{ items?: NodeRunView[]; nextCursor?: string }>('GET', `/api/v1/workflows/runs/${enc(runId)}/nodes${cursor ? `?cursor=${enc(cursor)}` : ''}`);
      all.push(...items<NodeRunView>(body, 'nodes'));
      cursor = (body as { nextCursor?: string } | undefined)?.nextCursor;
      if (!cursor) break;
    }
    return all;
  }

  /** `GET /api/v1/workflows/runs/{runId}/nodes/{nodeId}/output`: one node's whole output. */
  async getNodeOutput(runId: string, nodeId: string): Promise<unknown> {
    const body = await this.request<{ output?: unknown }>('GET', `/api/v1/workflows/runs/${enc(runId)}/nodes/${enc(nodeId)}/output`);
    return body.output;
  }

  /** `GET /api/v1/workflows/runs/{runId}/events?after=N`: one page of the event log. */
  async listRunEvents(runId: string, after = 0, limit?: number): Promise<RunEvent[]> {
    return (await this.eventsPage(runId, after, limit)).events;
  }

  /** One page of the event log with its `lastSeq` and `nextAfter`. */
  async eventsPage(runId: string, after = 0, limit?: number): Promise<EventsPage> {
    const body = await this.request<unknown>('GET', `/api/v1/workflows/runs/${enc(runId)}/events${query({ after, limit })}`);
    const events = items<RunEvent>(body, 'events');
    const record = (body ?? {}) as Partial<EventsPage>;
    return { events, lastSeq: record.lastSeq ?? events.at(-1)?.seq ?? after, ...(record.nextAfter !== undefined ? { nextAfter: record.nextAfter } : {}) };
  }

  /** Every event after `after`, following `nextAfter` page by page. */
  async allRunEvents(runId: string, after = 0): Promise<RunEvent[]> {
    const out: RunEvent[] = [];
    for (let cursor: number | undefined = after; cursor !== undefined; ) {
      const page: EventsPage = await this.eventsPage(runId, cursor);
      out.push(...page.events);
      cursor = page.nextAfter;
    }
    return out;
  }

  /** `POST /api/v1/workflows/runs/{runId}/cancel`. */
  cancelRun(runId: string): Promise<RunDetail> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/cancel`, {});
  }

  /** Same as `decideGate`: one vote. */
  vote(runId: string, nodeId: string, decision: GateDecision, body: { comment?: string; data?: unknown } = {}): Promise<GateView> {
    return this.decideGate(runId, nodeId, decision, body);
  }

  /**
   * `GET /api/v1/gates?status=waiting`: one page of the caller's inbox, oldest first: gates (`kind: "gate"`) and
   * agents' questions (`kind: "question"`); `kind` keeps one of them.
   */
  listGateInbox(options: PageQuery & { kind?: InboxItem['kind'] } = {}): Promise<Page<InboxItem>> {
    return this.request('GET', `/api/v1/gates${query({ status: 'waiting', kind: options.kind, limit: options.limit, cursor: options.cursor })}`);
  }

  /** `GET /api/v1/workflows/{id}/webhook` (owner): URL, signing secret and recent deliveries. */
  getWebhook(workflowId: string): Promise<WebhookView> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}/webhook`);
  }

  /** `POST /api/v1/workflows/{id}/webhook/rotate` (owner): a new signing secret. */
  rotateWebhookSecret(workflowId: string): Promise<{ workflowId: string; secret: string }> {
    return this.request('POST', `/api/v1/workflows/${enc(workflowId)}/webhook/rotate`, {});
  }

  /** `POST /api/v1/workflows/runs/{runId}/redrive`: continues a failed or timed-out run. */
  redriveRun(runId: string): Promise<RunDetail> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/redrive`, {});
  }

  /** `POST /api/v1/workflows/runs/{runId}/rerun`: a new run from `fromNode`, reusing the outputs before it (202). */
  rerunRun(runId: string, request: RerunRequest): Promise<StartedRun & { parentRunId?: string }> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/rerun`, request);
  }

  /**
   * `POST /api/v1/workflows/runs/{runId}/gates/{nodeId}/{approve|reject}[?item=<path>]`: casts the caller's vote
   * (`item`: a gate inside a map item); returns the gate with every vote (decided once the quorum is reached).
   * 409 `already_voted` / `already_decided`.
   */
  decideGate(runId: string, nodeId: string, decision: GateDecision, body: { comment?: string; data?: unknown } = {}, item?: string): Promise<GateView> {
    const query = item === undefined ? '' : `?item=${enc(item)}`;
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/gates/${enc(nodeId)}/${decision}${query}`, body);
  }

  /** `GET /api/v1/workflows/runs/{runId}/nodes/{nodeId}/items`: one page of a map node's items. */
  listMapItems(runId: string, nodeId: string, options: { limit?: number; cursor?: string; item?: string } = {}): Promise<{ items: unknown[]; nextCursor?: string }> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    if (options.item !== undefined) query.set('item', options.item);
    return this.request('GET', `/api/v1/workflows/runs/${enc(runId)}/nodes/${enc(nodeId)}/items?${query}`);
  }

  /** `POST /api/v1/workflows/runs/{runId}/nodes/{nodeId}/reply`: answers an agent waiting for input (`item`: inside a map item). */
  replyToNode(runId: string, nodeId: string, body: { text?: string; data?: Record<string, unknown> }, item?: string): Promise<ReplyView> {
    const query = item === undefined ? '' : `?item=${enc(item)}`;
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/nodes/${enc(nodeId)}/reply${query}`, body);
  }

  /** `GET /api/v1/gates?status=waiting`: the approvals inbox. */
  listGates(options: PageQuery & { status?: string } = {}): Promise<Page<GateView>> {
    return this.request('GET', `/api/v1/gates${query({ status: options.status ?? 'waiting', limit: options.limit, cursor: options.cursor })}`);
  }

  /** `GET /api/v1/workflows/runs/{runId}/gates/{nodeId}`: one gate (approvers named on it need no role). */
  getGate(runId: string, nodeId: string, item?: string): Promise<unknown> {
    return this.request('GET', `/api/v1/workflows/runs/${enc(runId)}/gates/${enc(nodeId)}${item !== undefined ? `?item=${enc(item)}` : ''}`);
  }

  /** `PUT /api/v1/secrets/{name}`: creates or replaces one of the caller's secrets; the value is never returned. */
  putSecret(name: string, value: string): Promise<SecretInfo> {
    return this.request('PUT', `/api/v1/secrets/${enc(name)}`, { value });
  }

  /** `GET /api/v1/secrets`: the caller's secrets (names and dates). */
  async listSecrets(): Promise<SecretInfo[]> {
    return items<SecretInfo>(await this.request('GET', '/api/v1/secrets'), 'secrets');
  }

  /** `DELETE /api/v1/secrets/{name}` (404 when the caller holds no such secret). */
  async deleteSecret(name: string): Promise<void> {
    await this.request('DELETE', `/api/v1/secrets/${enc(name)}`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.fetchImpl(`${this.base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string; reason?: string }; errors?: { code?: string; path?: string; message?: string }[]; code?: string; message?: string } | undefined) ?? {};
      // A 400 lists issues with JSON pointers; other errors carry `{ error: { code, message } }`.
      const issues = Array.isArray(err.errors) ? err.errors : [];
      const code = err.error?.code ?? issues[0]?.code ?? err.code;
      const message = err.error?.message ?? (issues.length > 0 ? issues.map((i) => `${i.path || '/'}: ${i.message} (${i.code})`).join('; ') : undefined) ?? err.message ?? `HTTP ${res.status}`;
      throw new BraidHttpError(res.status, code, `${method} ${path}: ${res.status} ${message}`, json, err.error?.reason);
    }
    return json as T;
  }
}

/** `?a=1&b=2` from the defined values, or `""`. */
function query(values: Record<string, string | number | undefined>): string {
  const defined = Object.entries(values).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '');
  return defined.length === 0 ? '' : `?${new URLSearchParams(defined.map(([k, v]): [string, string] => [k, String(v)]))}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/** Lists come back as `{ items }` (the API's page shape); a bare array or `{ <name> }` is accepted too. */
function items<T>(body: unknown, name: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const record = (body ?? {}) as Record<string, unknown>;
  const list = record.items ?? record[name];
  return Array.isArray(list) ? (list as T[]) : [];
}
