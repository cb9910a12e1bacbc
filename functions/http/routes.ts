/**
 * The HTTP route table: the one list of Braid's routes, read by the Lambda routers, the local server,
 * the CDK stack (API Gateway routes) and the authorization-matrix tests.
 * Paths use API Gateway syntax (`{id}`); order matters only for readers.
 */

/** The Lambda function that serves a route. */
export type RouteOwner = 'api' | 'compile' | 'gate';

/** One route of the HTTP API. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API Gateway path syntax, e.g. `/api/v1/workflows/{id}`. */
  path: string;
  owner: RouteOwner;
  /** Stable name used by tests and logs. */
  name: string;
}

/** Every route Braid serves. A route missing here is served by no one. */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/api/v1/workflows', owner: 'compile', name: 'createWorkflow' },
  { method: 'POST', path: '/api/v1/workflows/validate', owner: 'api', name: 'validateWorkflow' },
  { method: 'GET', path: '/api/v1/workflows', owner: 'api', name: 'listWorkflows' },
  { method: 'GET', path: '/api/v1/templates', owner: 'api', name: 'listTemplates' },
  { method: 'GET', path: '/api/v1/workflows/{id}', owner: 'api', name: 'getWorkflow' },
  { method: 'PUT', path: '/api/v1/workflows/{id}', owner: 'compile', name: 'updateWorkflow' },
  { method: 'DELETE', path: '/api/v1/workflows/{id}', owner: 'api', name: 'deleteWorkflow' },
  { method: 'GET', path: '/api/v1/workflows/{id}/versions', owner: 'api', name: 'listVersions' },
  { method: 'GET', path: '/api/v1/workflows/{id}/diagram', owner: 'api', name: 'getDiagram' },
  { method: 'GET', path: '/api/v1/workflows/{id}/permissions', owner: 'api', name: 'listPermissions' },
  { method: 'PUT', path: '/api/v1/workflows/{id}/permissions/{userId}', owner: 'api', name: 'putPermission' },
  { method: 'DELETE', path: '/api/v1/workflows/{id}/permissions/{userId}', owner: 'api', name: 'deletePermission' },
  { method: 'POST', path: '/api/v1/workflows/{id}/run', owner: 'api', name: 'startRun' },
  { method: 'GET', path: '/api/v1/workflows/{id}/runs', owner: 'api', name: 'listRuns' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}', owner: 'api', name: 'getRun' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}/nodes', owner: 'api', name: 'listNodeRuns' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}/nodes/{nodeId}/output', owner: 'api', name: 'getNodeOutput' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}/nodes/{nodeId}/items', owner: 'api', name: 'listMapItems' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}/events', owner: 'api', name: 'listRunEvents' },
  { method: 'POST', path: '/api/v1/workflows/runs/{runId}/cancel', owner: 'api', name: 'cancelRun' },
  { method: 'POST', path: '/api/v1/workflows/runs/{runId}/rerun', owner: 'api', name: 'rerunRun' },
  { method: 'POST', path: '/api/v1/workflows/runs/{runId}/redrive', owner: 'api', name: 'redriveRun' },
  { method: 'GET', path: '/api/v1/workflows/runs/{runId}/gates/{nodeId}', owner: 'api', name: 'getGate' },
  { method: 'POST', path: '/api/v1/workflows/runs/{runId}/gates/{nodeId}/{decision}', owner: 'gate', name: 'decideGate' },
  { method: 'POST', path: '/api/v1/workflows/runs/{runId}/nodes/{nodeId}/reply', owner: 'gate', name: 'replyToNode' },
  { method: 'GET', path: '/api/v1/gates', owner: 'api', name: 'listGateInbox' },
  { method: 'GET', path: '/api/v1/workflows/{id}/webhook', owner: 'api', name: 'getWebhook' },
  { method: 'POST', path: '/api/v1/workflows/{id}/webhook/rotate', owner: 'api', name: 'rotateWebhookSecret' },
  { method: 'GET', path: '/api/v1/secrets', owner: 'api', name: 'listSecrets' },
  { method: 'PUT', path: '/api/v1/secrets/{name}', owner: 'api', name: 'putSecret' },
  { method: 'DELETE', path: '/api/v1/secrets/{name}', owner: 'api', name: 'deleteSecret' },
];

/** The WebSocket API's route keys (API Gateway WebSocket API). */
export const WS_ROUTES = ['$connect', '$disconnect', 'subscribe', 'unsubscribe', '$default'] as const;
