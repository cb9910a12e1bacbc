/**
 * Which addresses Braid's executor may reach: public unicast only. Loopback, RFC 1918, link-local (and the
 * cloud metadata endpoints in it), CGNAT, unique-local, multicast, unspecified, broadcast and reserved ranges
 * are refused, in IPv4, IPv6 and every IPv6 form that embeds an IPv4 address (mapped, NAT64, 6to4).
 */
import ipaddr from 'ipaddr.js';
import type { EgressRule } from './errors';

/** Addresses of metadata services, named as such in denials (they are link-local or unique-local anyway). */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // EC2/Lambda instance metadata, also GCP and Azure
  '169.254.170.2', // ECS task metadata and credentials
  '169.254.169.123', // Amazon Time Sync
  '169.254.169.253', // Amazon DNS
  'fd00:ec2::254', // EC2 instance metadata over IPv6
  'fd00:ec2::23', // Amazon DNS over IPv6
]);

const IPV4_RULES: Record<string, EgressRule> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade-nat',
  private: 'private',
};

const IPV6_RULES: Record<string, EgressRule> = {
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'unique-local',
};

/** True when `text` is an IPv4 or IPv6 literal (brackets allowed), in any form `ipaddr.js` accepts. */
export function isIpLiteral(text: string): boolean {
  return ipaddr.isValid(unbracket(text));
}

/**
 * The rule that refuses `address`, or `undefined` when it is a public unicast address.
 * Accepts IPv4 (also `0x7f000001`, `2130706433`, `127.1`, as `ipaddr.js` parses them) and IPv6 literals.
 *
 * @example
 * deniedBy('10.0.0.1')        // 'private'
 * deniedBy('::ffff:127.0.0.1') // 'loopback'
 * deniedBy('93.184.216.34')   // undefined
 */
export function deniedBy(address: string): EgressRule | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(unbracket(address));
  } catch {
    return 'unresolvable';
  }
  return classify(parsed);
}

/** The canonical text of an address (`::ffff:7f00:1` → `::ffff:127.0.0.1` stays IPv6; `0x7f000001` → `127.0.0.1`). */
export function canonicalAddress(address: string): string {
  return ipaddr.parse(unbracket(address)).toString();
}

function classify(address: ipaddr.IPv4 | ipaddr.IPv6): EgressRule | undefined {
  if (METADATA_ADDRESSES.has(address.toNormalizedString()) || METADATA_ADDRESSES.has(address.toString())) return 'metadata';
  if (address.kind() === 'ipv4') {
    const range = address.range();
    if (range === 'unicast') return undefined;
    return IPV4_RULES[range] ?? 'reserved';
  }
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'unicast') return undefined;
  const embedded = embeddedIpv4(v6, range);
  if (embedded) return classify(embedded);
  return IPV6_RULES[range] ?? 'reserved';
}

/** The IPv4 address carried by an IPv4-mapped, IPv4-translated, NAT64 or 6to4 IPv6 address. */
function embeddedIpv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return new ipaddr.IPv4(bytes.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return undefined;
}

/** `[::1]` → `::1`. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
