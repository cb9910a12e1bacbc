/**
 * A small typed client for Braid's HTTP API (the routes in `functions/http/routes.ts`): workflows, runs,
 * node runs, the event log and gate decisions, with the bearer token on every request.
 */
import type { NodeRun, Run, RunEvent, ValidationIssue, Workflow } from '../shared/model/types';

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
  readonly body: unknown;
  constructor(status: number, code: string | undefined, message: string, body: unknown) {
    super(message);
    this.name = 'BraidHttpError';
    this.status = status;
    this.code = code;
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
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** `POST /api/v1/workflows`: creates a workflow from a definition. */
  createWorkflow(definition: unknown): Promise<CreatedWorkflow> {
    return this.request('POST', '/api/v1/workflows', definition);
  }

  /** `GET /api/v1/workflows/{id}`. */
  getWorkflow(workflowId: string): Promise<CreatedWorkflow> {
    return this.request('GET', `/api/v1/workflows/${enc(workflowId)}`);
  }

  /** `POST /api/v1/workflows/{id}/run`: starts a run (202). */
  startRun(workflowId: string, input: unknown, idempotencyKey?: string): Promise<StartedRun> {
    return this.request('POST', `/api/v1/workflows/${enc(workflowId)}/run`, { input, ...(idempotencyKey ? { idempotencyKey } : {}) });
  }

  /** `GET /api/v1/workflows/runs/{runId}`. */
  getRun(runId: string): Promise<Run> {
    return this.request('GET', `/api/v1/workflows/runs/${enc(runId)}`);
  }

  /** `GET /api/v1/workflows/runs/{runId}/nodes`: every node of the run and its state. */
  async listNodeRuns(runId: string): Promise<NodeRun[]> {
    return items<NodeRun>(await this.request('GET', `/api/v1/workflows/runs/${enc(runId)}/nodes`), 'nodes');
  }

  /** `GET /api/v1/workflows/runs/{runId}/events?after=N`: one page of the event log. */
  async listRunEvents(runId: string, after = 0, limit?: number): Promise<RunEvent[]> {
    const query = new URLSearchParams({ after: String(after), ...(limit !== undefined ? { limit: String(limit) } : {}) });
    return items<RunEvent>(await this.request('GET', `/api/v1/workflows/runs/${enc(runId)}/events?${query}`), 'events');
  }

  /** `POST /api/v1/workflows/runs/{runId}/cancel`. */
  cancelRun(runId: string): Promise<unknown> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/cancel`, {});
  }

  /** `POST /api/v1/workflows/runs/{runId}/redrive`: the failed or timed-out run continues where it failed (202, the run). */
  redriveRun(runId: string): Promise<Run> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/redrive`, {});
  }

  /** `POST /api/v1/workflows/runs/{runId}/rerun`: a new run reusing the old run's records upstream of `fromNode` (202). */
  rerunRun(runId: string, body: { fromNode: string; version?: number; input?: unknown }): Promise<StartedRun> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/rerun`, body);
  }

  /** `POST /api/v1/workflows/runs/{runId}/gates/{nodeId}/{approve|reject}`. */
  decideGate(runId: string, nodeId: string, decision: GateDecision, body: { comment?: string; data?: unknown } = {}): Promise<unknown> {
    return this.request('POST', `/api/v1/workflows/runs/${enc(runId)}/gates/${enc(nodeId)}/${decision}`, body);
  }

  /** `GET /api/v1/workflows/runs/{runId}/gates/{nodeId}`: one gate (approvers named on it need no role). */
  getGate(runId: string, nodeId: string): Promise<unknown> {
    return this.request('GET', `/api/v1/workflows/runs/${enc(runId)}/gates/${enc(nodeId)}`);
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
      const err = (json as { error?: { code?: string; message?: string }; code?: string; message?: string } | undefined) ?? {};
      const code = err.error?.code ?? err.code;
      const message = err.error?.message ?? err.message ?? `HTTP ${res.status}`;
      throw new BraidHttpError(res.status, code, `${method} ${path}: ${res.status} ${message}`, json);
    }
    return json as T;
  }
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
