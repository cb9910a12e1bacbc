/**
 * Whether a node's `auth` can satisfy what an A2A agent card declares (`securitySchemes` with
 * `securityRequirements` in A2A 1.0, `security` in 0.3). A card Braid cannot satisfy fails the node with
 * `Braid.AuthUnsupported` before any message is sent.
 */
import type { AuthConfig } from './auth-schema';
import { AuthUnsupportedError } from './errors';

/** A declared scheme, reduced to what decides whether Braid can meet it. */
type SchemeKind =
  | { kind: 'apiKey'; location: string; name: string }
  | { kind: 'http'; scheme: string }
  | { kind: 'oauth2' }
  | { kind: 'openIdConnect' }
  | { kind: 'mtls' }
  | { kind: 'unknown' };

/** Reads a scheme in the SDK's shape (`scheme.$case`), the 1.0 JSON shape (`httpAuthSecurityScheme`) or the 0.3 shape (`type`). */
function kindOf(raw: unknown): SchemeKind {
  if (typeof raw !== 'object' || raw === null) return { kind: 'unknown' };
  const scheme = raw as Record<string, any>;
  const tagged = scheme.scheme && typeof scheme.scheme === 'object' && '$case' in scheme.scheme ? { [scheme.scheme.$case]: scheme.scheme.value } : scheme;
  if (tagged.apiKeySecurityScheme) return { kind: 'apiKey', location: String(tagged.apiKeySecurityScheme.location ?? ''), name: String(tagged.apiKeySecurityScheme.name ?? '') };
  if (tagged.httpAuthSecurityScheme) return { kind: 'http', scheme: String(tagged.httpAuthSecurityScheme.scheme ?? '') };
  if (tagged.oauth2SecurityScheme) return { kind: 'oauth2' };
  if (tagged.openIdConnectSecurityScheme) return { kind: 'openIdConnect' };
  if (tagged.mtlsSecurityScheme) return { kind: 'mtls' };
  switch (scheme.type) {
    case 'apiKey': return { kind: 'apiKey', location: String(scheme.in ?? ''), name: String(scheme.name ?? '') };
    case 'http': return { kind: 'http', scheme: String(scheme.scheme ?? '') };
    case 'oauth2': return { kind: 'oauth2' };
    case 'openIdConnect': return { kind: 'openIdConnect' };
    case 'mutualTLS': return { kind: 'mtls' };
    default: return { kind: 'unknown' };
  }
}

/** True when `auth` meets `scheme`. */
function satisfies(auth: AuthConfig | undefined, scheme: SchemeKind): boolean {
  if (!auth) return false;
  const bearerLike = scheme.kind === 'oauth2' || scheme.kind === 'openIdConnect' || (scheme.kind === 'http' && scheme.scheme.toLowerCase() === 'bearer');
  switch (auth.type) {
    case 'bearer':
    case 'oauth2':
      return bearerLike;
    case 'apiKey':
      return scheme.kind === 'apiKey' && scheme.location.toLowerCase() === 'header' && scheme.name.toLowerCase() === auth.header.toLowerCase();
    case 'sigv4':
      return scheme.kind === 'http' && /^(aws4-hmac-sha256|sigv4)$/i.test(scheme.scheme);
  }
}

function describe(name: string, scheme: SchemeKind): string {
  switch (scheme.kind) {
    case 'apiKey': return `${name} (apiKey in ${scheme.location} "${scheme.name}")`;
    case 'http': return `${name} (http ${scheme.scheme})`;
    default: return `${name} (${scheme.kind})`;
  }
}

/**
 * Throws `AuthUnsupportedError` when the card declares requirements that `auth` cannot meet: each requirement
 * lists schemes that must all be met, any one requirement is enough. A card with schemes but no requirements
 * is read as "any one of the schemes".
 */
export function assertCardSecurity(card: unknown, auth: AuthConfig | undefined, where: string): void {
  const c = (card ?? {}) as Record<string, any>;
  const schemes: Record<string, unknown> = c.securitySchemes && typeof c.securitySchemes === 'object' ? c.securitySchemes : {};
  const names = Object.keys(schemes);
  const rawRequirements: unknown[] = Array.isArray(c.securityRequirements) ? c.securityRequirements : Array.isArray(c.security) ? c.security : [];
  const requirements: string[][] = rawRequirements
    .map((r) => Object.keys((r as { schemes?: object }).schemes ?? (r as object) ?? {}))
    .filter((r) => r.length > 0);
  const alternatives = requirements.length > 0 ? requirements : names.map((name) => [name]);
  if (alternatives.length === 0) return;
  const met = alternatives.some((all) => all.every((name) => satisfies(auth, kindOf(schemes[name]))));
  if (met) return;
  const declared = [...new Set(alternatives.flat())].map((name) => describe(name, kindOf(schemes[name])));
  throw new AuthUnsupportedError(
    `${where} requires ${declared.join(' or ')}; the node's auth (${auth?.type ?? 'none'}) cannot satisfy it`,
    { securitySchemes: [...new Set(alternatives.flat())], auth: auth?.type ?? 'none' },
  );
}
