/**
 * The operator's egress allowlist (`BRAID_EGRESS_ALLOW`): comma-separated hosts (`tools.internal`),
 * `host:port` pairs (`127.0.0.1:4401`, `[::1]:8080`) and CIDRs (`10.1.0.0/16`). Set by CDK context in AWS and by
 * the environment locally; `npm run dev` adds its own demo servers.
 */
import ipaddr from 'ipaddr.js';
import { InvalidEgressAllowlistError } from './errors';
import { unbracket } from './address-policy';

/** A parsed allowlist. Hosts and `host:port` match the URL's host; CIDRs match the resolved address. */
export interface EgressAllowlist {
  /** True when the host (any port) or this `host:port` is listed. */
  allowsHost(host: string, port: number): boolean;
  /** True when a listed CIDR (or a listed address literal) contains `address`. */
  allowsAddress(address: string, port: number): boolean;
  /** Adds entries (the local stack adds its own servers; tests add theirs). */
  add(...entries: string[]): void;
  /** The entries, as given. */
  entries(): string[];
}

const HOST = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** Parses `BRAID_EGRESS_ALLOW`; throws `InvalidEgressAllowlistError` naming a bad entry. */
export function parseEgressAllowlist(value: string | readonly string[] | undefined): EgressAllowlist {
  const hosts = new Set<string>();
  const hostPorts = new Set<string>();
  const cidrs: { range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port?: number; text: string }[] = [];
  const given: string[] = [];

  function add(...entries: string[]): void {
    for (const raw of entries.flatMap((entry) => entry.split(','))) {
      const entry = raw.trim();
      if (entry === '') continue;
      given.push(entry);
      if (entry.includes('/')) {
        try {
          cidrs.push({ range: ipaddr.parseCIDR(entry), text: entry });
        } catch (error) {
          throw new InvalidEgressAllowlistError(entry, { cause: error });
        }
        continue;
      }
      const { host, port } = splitHostPort(entry);
      if (ipaddr.isValid(host)) {
        // An address literal matches the address after resolution too (a name that resolves to it).
        const address = ipaddr.parse(host);
        const bits = address.kind() === 'ipv4' ? 32 : 128;
        cidrs.push({ range: [address, bits], ...(port !== undefined ? { port } : {}), text: entry });
        if (port === undefined) hosts.add(address.toString());
        else hostPorts.add(`${address.toString()}:${port}`);
        continue;
      }
      if (!HOST.test(host)) throw new InvalidEgressAllowlistError(entry);
      if (port === undefined) hosts.add(host.toLowerCase());
      else hostPorts.add(`${host.toLowerCase()}:${port}`);
    }
  }

  add(...(typeof value === 'string' ? [value] : (value ?? [])));
  return {
    allowsHost(host, port) {
      const name = normalHost(host);
      return hosts.has(name) || hostPorts.has(`${name}:${port}`);
    },
    allowsAddress(address, port) {
      let parsed: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        parsed = ipaddr.parse(unbracket(address));
      } catch {
        return false;
      }
      return cidrs.some(({ range, port: only }) => (only === undefined || only === port) && parsed.kind() === range[0].kind() && parsed.match(range));
    },
    add,
    entries: () => [...given],
  };
}

function splitHostPort(entry: string): { host: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] ? { port: parsePort(entry, bracketed[2]) } : {}) };
  if (ipaddr.IPv6.isValid(entry)) return { host: entry };
  const colon = entry.lastIndexOf(':');
  if (colon === -1) return { host: entry };
  return { host: entry.slice(0, colon), port: parsePort(entry, entry.slice(colon + 1)) };
}

function parsePort(entry: string, text: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535) throw new InvalidEgressAllowlistError(entry);
  return port;
}

/** Lower case, no brackets, canonical form for address literals. */
function normalHost(host: string): string {
  const bare = unbracket(host).toLowerCase().replace(/\.$/, '');
  return ipaddr.isValid(bare) ? ipaddr.parse(bare).toString() : bare;
}
