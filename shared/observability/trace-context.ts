/**
 * W3C Trace Context for outbound calls, bridged from AWS X-Ray. Lambda (active tracing) and Step Functions
 * (tracing enabled on every compiled machine) already carry one X-Ray trace from the API through the
 * execution to each executor invocation; the runtime puts its header in `_X_AMZN_TRACE_ID`
 * (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`). An X-Ray trace id is a
 * W3C trace id written differently (`1-` + 8 hex of epoch seconds + `-` + 24 hex), so the agent or tool called
 * next, if it speaks W3C (OpenTelemetry does), continues the same trace.
 */

/** The X-Ray trace header variable the Lambda runtime sets for each invocation. */
export const XRAY_TRACE_ENV = '_X_AMZN_TRACE_ID';

/**
 * `traceparent` (version 00) for an X-Ray trace header, or undefined when it has no root or parent.
 * @example traceparentFromXRay('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')
 * // '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01'
 */
export function traceparentFromXRay(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const fields = new Map(header.split(';').map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
  }));
  const root = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/.exec(fields.get('Root') ?? '');
  const parent = fields.get('Parent') ?? '';
  if (!root || !/^[0-9a-f]{16}$/.test(parent)) return undefined;
  const traceId = `${root[1]}${root[2]}`;
  if (/^0+$/.test(traceId) || /^0+$/.test(parent)) return undefined;
  return `00-${traceId}-${parent}-${fields.get('Sampled') === '1' ? '01' : '00'}`;
}

/**
 * The trace headers every outbound call (HTTP tools, MCP, A2A) carries: `traceparent` when this invocation
 * is traced, else none. Read per call: the runtime sets the variable per invocation.
 */
export function outboundTraceHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const traceparent = traceparentFromXRay(env[XRAY_TRACE_ENV]);
  return traceparent ? { traceparent } : {};
}
