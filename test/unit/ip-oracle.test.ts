/**
 * cnm's own address math (src/core/ip.ts, and PTR names in src/core/dns/wire.ts)
 * is small and import-free because every command runs it; ip-address, the
 * library, is the reference it is checked against here, on thousands of
 * random addresses (importing it at run time would cost every command 3-7 ms).
 */
import { Address4, Address6 } from 'ip-address';
import { describe, expect, it } from 'vitest';
import { ptrAddress } from '../../src/core/dns/wire.js';
import { formatAddr, parseAddr } from '../../src/core/ip.js';

/** A deterministic generator, so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

/** Random IPv6 values with runs of zero groups, to exercise "::" compression. */
function random6(next: () => number): bigint {
  let v = 0n;
  for (let g = 0; g < 8; g++) v = (v << 16n) | (next() < 0.45 ? 0n : BigInt(Math.floor(next() * 0x10000)));
  return v;
}

describe('address math against ip-address', () => {
  it('formats and parses 5,000 random IPv6 addresses exactly as ip-address does (RFC 5952)', () => {
    const next = rng(5952);
    for (let i = 0; i < 5000; i++) {
      const v = random6(next);
      const ref = Address6.fromBigInt(v);
      const ours = formatAddr({ family: 6, value: v });
      expect(ours).toBe(ref.correctForm());
      expect(parseAddr(ours)?.value).toBe(v);
      expect(parseAddr(ref.canonicalForm())?.value).toBe(v); // the full, uncompressed form
    }
  });

  it('formats and parses 5,000 random IPv4 addresses as ip-address does', () => {
    const next = rng(791);
    for (let i = 0; i < 5000; i++) {
      const v = BigInt(Math.floor(next() * 2 ** 32));
      const ours = formatAddr({ family: 4, value: v });
      expect(ours).toBe(Address4.fromBigInt(v).correctForm());
      expect(new Address4(ours).bigInt()).toBe(v);
      expect(parseAddr(ours)?.value).toBe(v);
    }
  });

  it('agrees on what is an address', () => {
    const six = ['::', '::1', '1::', 'fd00::1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::1', ':1', '1:', ':::', '1:2:3:4:5:6:7::', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1.2.3.4::', '1.2.3.4::1', '1:2:3:4:5:6:7:1.2.3.4', '1::1.2.3.4:5'];
    for (const t of six) expect({ t, ok: parseAddr(t) !== undefined }).toEqual({ t, ok: Address6.isValid(t) });
    const four = ['0.0.0.0', '255.255.255.255', '10.0.0.256', '10.0.0', '1.2.3.4.5', 'a.b.c.d', '10..0.1'];
    for (const t of four) expect({ t, ok: parseAddr(t) !== undefined }).toEqual({ t, ok: Address4.isValid(t) });
  });

  it('reads PTR names the way ip-address writes them, for 1,000 random addresses of each family', () => {
    const next = rng(1035);
    for (let i = 0; i < 1000; i++) {
      const v6 = random6(next);
      const name6 = Address6.fromBigInt(v6).reverseForm({ omitSuffix: false }).replace(/\.$/, '');
      expect(ptrAddress(name6)).toBe(formatAddr({ family: 6, value: v6 }));
      const v4 = BigInt(Math.floor(next() * 2 ** 32));
      const name4 = Address4.fromBigInt(v4).reverseForm({ omitSuffix: false }).replace(/\.$/, '');
      expect(ptrAddress(name4)).toBe(formatAddr({ family: 4, value: v4 }));
    }
  });
});
