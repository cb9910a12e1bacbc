/**
 * Security rules of a definition (README, "Security"): credential headers must be `{ "secret" }` references
 * (`plaintext_credential`, an error), and a URL that is a literal address the egress guard refuses gets an
 * `egress_denied` warning (the operator's allowlist decides at run time).
 */
import { deniedBy, isIpLiteral } from '../egress/address-policy';
import type { ValidationIssue } from '../model/types';
import { issue } from './issues';

/** Header names whose values are credentials: never stored in plain text. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'authorization' || lower === 'cookie' || lower === 'proxy-authorization' || /api[-_]?key|token|secret|password/.test(lower);
}

interface LooseNode {
  index: number;
  raw: Record<string, unknown>;
}

/** Adds `plaintext_credential` errors and `egress_denied` warnings for every node. */
export function checkSecurity(nodes: readonly LooseNode[], errors: ValidationIssue[], warnings: ValidationIssue[]): void {
  for (const { index, raw } of nodes) {
    const tool = isObject(raw.tool) ? raw.tool : undefined;
    const agent = isObject(raw.agent) ? raw.agent : undefined;
    if (tool && isObject(tool.headers)) {
      for (const [name, value] of Object.entries(tool.headers)) {
        if (typeof value === 'string' && isCredentialHeader(name)) {
          errors.push(issue('plaintext_credential', ['nodes', index, 'tool', 'headers', name], `header "${name}" carries a credential: store it with PUT /api/v1/secrets/{name} and write { "secret": "<name>" }`));
        }
      }
    }
    for (const [holder, key] of [[tool, 'tool'], [agent, 'agent']] as const) {
      if (!holder) continue;
      warnLiteral(holder.url, ['nodes', index, key, 'url'], warnings);
      if (isObject(holder.auth)) warnLiteral(holder.auth.tokenUrl, ['nodes', index, key, 'auth', 'tokenUrl'], warnings);
    }
  }
}

function warnLiteral(url: unknown, at: (string | number)[], warnings: ValidationIssue[]): void {
  if (typeof url !== 'string') return;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return;
  }
  const rule = host.toLowerCase() === 'localhost' ? 'loopback' : isIpLiteral(host) ? deniedBy(host) : undefined;
  if (rule) warnings.push(issue('egress_denied', at, `${host} is a ${rule} address: the executor refuses it unless the operator allows it (BRAID_EGRESS_ALLOW)`));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
