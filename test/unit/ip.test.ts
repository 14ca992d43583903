import { describe, expect, it } from 'vitest';
import { contains, formatAddr, formatCidr, overlaps, parseAddr, parseCidr } from '../../src/core/ip.js';

describe('address parsing and formatting', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['255.255.255.255', '255.255.255.255'],
    ['fd00::1', 'fd00::1'],
    ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s -> %s', (text, canonical) => {
    expect(formatAddr(parseAddr(text)!)).toBe(canonical);
  });

  it.each(['10.0.0', '10.0.0.256', '01.2.3.4', '1.2.3.4.5', 'fd00:::1', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '', 'banana', '10.0.0.1 '])(
    'rejects %j',
    (text) => {
      expect(parseAddr(text)).toBeUndefined();
    },
  );

  it('parses CIDRs to their network and rejects bad prefixes', () => {
    expect(formatCidr(parseCidr('172.18.3.4/16')!)).toBe('172.18.0.0/16');
    expect(formatCidr(parseCidr('fd00:1:2:3::9/64')!)).toBe('fd00:1:2:3::/64');
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('fd00::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
  });

  it('knows containment and overlap, per family', () => {
    const a = parseCidr('10.0.0.0/8')!;
    const b = parseCidr('10.20.0.0/16')!;
    const c = parseCidr('11.0.0.0/8')!;
    expect(overlaps(a, b)).toBe(true);
    expect(overlaps(b, a)).toBe(true);
    expect(overlaps(a, c)).toBe(false);
    expect(contains(b, parseAddr('10.20.255.255')!)).toBe(true);
    expect(contains(b, parseAddr('10.21.0.0')!)).toBe(false);
    expect(overlaps(parseCidr('::/0')!, a)).toBe(false);
  });
});
