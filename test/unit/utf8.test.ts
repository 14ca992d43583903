/**
 * src/core/utf8.ts stands in for Buffer on the hot path: the same bytes for
 * any string (lone surrogates included) and the same text for any bytes
 * (invalid sequences and a byte order mark included) as Buffer.
 */
import { describe, expect, it } from 'vitest';
import { concat, fromUtf8, utf8 } from '../../src/core/utf8.js';
import { rng } from '../helpers/rng.js';

/** An integer in [lo, hi). */
const intIn = (next: () => number) => (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo));

describe('UTF-8 without Buffer', () => {
  it('encodes as Buffer.from does', () => {
    const fixed = ['', 'eth0', '/var/lib/cnm/state.json\0', 'caf\u00e9 \u{1f600}', '\ud800 lone', 'x\udfff', '\ufeffbom'];
    for (const s of fixed) expect(Buffer.from(utf8(s)), JSON.stringify(s)).toEqual(Buffer.from(s));
    const r = { int: intIn(rng(15)) };
    for (let i = 0; i < 2000; i++) {
      const s = String.fromCharCode(...Array.from({ length: r.int(0, 12) }, () => (r.int(0, 3) === 0 ? r.int(0xd700, 0xe000) : r.int(0, 0x300))));
      expect(Buffer.from(utf8(s))).toEqual(Buffer.from(s));
    }
  });

  it('decodes as Buffer#toString does', () => {
    const fixed = [[], [0x65, 0x74, 0x68, 0x30], [0xef, 0xbb, 0xbf, 0x7b, 0x7d], [0xc3], [0xe2, 0x82], [0xff, 0xfe, 0x41], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80]];
    for (const b of fixed) expect(fromUtf8(Uint8Array.from(b)), JSON.stringify(b)).toBe(Buffer.from(b).toString('utf8'));
    const r = { int: intIn(rng(16)) };
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.from({ length: r.int(0, 12) }, () => (r.int(0, 2) === 0 ? r.int(0x80, 0x100) : r.int(0, 0x80)));
      expect(fromUtf8(b)).toBe(Buffer.from(b).toString('utf8'));
    }
    // A view into a larger buffer decodes only its own bytes.
    const big = Uint8Array.from([0x61, 0x62, 0x63, 0x64]);
    expect(fromUtf8(big.subarray(1, 3))).toBe('bc');
  });

  it('concatenates as Buffer.concat does', () => {
    const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.from([4, 5, 6]).subarray(1)];
    expect(Buffer.from(concat(parts))).toEqual(Buffer.concat(parts));
    expect(concat([])).toEqual(new Uint8Array(0));
  });
});
