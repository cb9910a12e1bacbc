import { describe, expect, it } from 'vitest';
import { deniedBy, parseEgressAllowlist, InvalidEgressAllowlistError } from '../../shared/egress';
import { createEgressGuard } from '../../shared/egress';

/** Every row: an address (or URL host as written) and the rule that refuses it (`undefined`: allowed). */
const ADDRESSES: [string, string | undefined][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['127.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::8.8.8.8', undefined],
  ['2002:7f00:1::', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['169.254.1.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['100.64.0.1', 'carrier-grade-nat'],
  ['100.127.255.255', 'carrier-grade-nat'],
  ['fc00::1', 'unique-local'],
  ['fd12:3456::1', 'unique-local'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['8.8.8.8', undefined],
  ['93.184.216.34', undefined],
  ['172.32.0.1', undefined],
  ['100.128.0.1', undefined],
  ['2606:4700:4700::1111', undefined],
  ['not-an-address', 'unresolvable'],
];

describe('address policy', () => {
  it.each(ADDRESSES)('%s → %s', (address, rule) => {
    expect(deniedBy(address)).toBe(rule);
  });

  it('refuses numeric and bracketed URL hosts as the URL parser normalises them', () => {
    // Prepare
    const guard = createEgressGuard();
    const urls = ['http://0x7f000001/', 'http://2130706433:9001/', 'http://127.1/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://169.254.169.254/latest/meta-data/', 'http://0/'];

    // Act
    const rules = urls.map((url) => {
      try {
        guard.checkUrl(new URL(url));
        return 'allowed';
      } catch (error) {
        return (error as { name: string; rule: string }).name + ':' + (error as { rule: string }).rule;
      }
    });

    // Assess
    expect(rules).toStrictEqual([
      'Braid.EgressDenied:loopback', 'Braid.EgressDenied:loopback', 'Braid.EgressDenied:loopback', 'Braid.EgressDenied:loopback',
      'Braid.EgressDenied:loopback', 'Braid.EgressDenied:metadata', 'Braid.EgressDenied:unspecified',
    ]);
  });

  it('refuses non-http schemes', () => {
    expect(() => createEgressGuard().checkUrl(new URL('file:///etc/passwd'))).toThrow(/file: URLs/);
  });
});

describe('allowlist', () => {
  it('matches hosts, host:port pairs and CIDRs', () => {
    // Prepare
    const allow = parseEgressAllowlist('tools.internal, 127.0.0.1:4401,[::1]:8080, 10.1.0.0/16 ,fd00::/8');

    // Act / Assess
    expect(allow.allowsHost('TOOLS.internal', 443)).toBe(true);
    expect(allow.allowsHost('127.0.0.1', 4401)).toBe(true);
    expect(allow.allowsHost('127.0.0.1', 4402)).toBe(false);
    expect(allow.allowsHost('[::1]', 8080)).toBe(true);
    expect(allow.allowsAddress('10.1.200.3', 80)).toBe(true);
    expect(allow.allowsAddress('10.2.0.1', 80)).toBe(false);
    expect(allow.allowsAddress('fd12::1', 80)).toBe(true);
    expect(allow.allowsAddress('127.0.0.1', 4401)).toBe(true);
    expect(allow.allowsAddress('127.0.0.1', 80)).toBe(false);
  });

  it.each(['http://x', 'a b', '10.0.0.0/99', 'host:0', 'host:99999'])('refuses the entry %s', (entry) => {
    expect(() => parseEgressAllowlist(entry)).toThrow(InvalidEgressAllowlistError);
  });
});
