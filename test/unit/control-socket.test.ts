/**
 * The control socket's wire format (core/exec/control-socket.ts): what the DNS
 * server accepts from a client is exactly a request elementBatch can encode;
 * anything else (a stream cut short, garbage, a length past the bound, bytes
 * after the request, shapes that are not set-element changes) is 'more' or
 * refused, never thrown.
 */
import { describe, expect, it } from 'vitest';
import { decodeRequest, encodeAnswer } from '../../src/core/exec/control-server.js';
import { REQUEST_MAX, decodeAnswer, encodeRequest, type Request } from '../../src/core/exec/control-socket.js';
import type { SetElements } from '../../src/core/plan.js';

const port = { type: 'ifname', value: 'veth0123456789a' } as const;
const changes: SetElements[] = [
  { verb: 'add', family: 'bridge', table: 'cnm', set: 'guarded', elements: [{ key: [port], comment: 'cnm:ep:0123456789ab' }] },
  { verb: 'add', family: 'bridge', table: 'cnm-1a2b3c4d', set: 'ep_mac', elements: [{ key: [port, { type: 'ether_addr', value: '02:42:0a:58:00:02' }] }] },
  { verb: 'delete', family: 'bridge', table: 'cnm', set: 'ep_ip4', elements: [{ key: [port, { type: 'ipv4_addr', value: '10.88.0.2' }] }] },
  { verb: 'delete', family: 'inet', table: 'cnm', set: 'ep_nd', elements: [{ key: [port, { type: 'ipv6_addr', value: 'fe80::42:aff:fe58:2' }] }, { key: [port, { type: 'raw128', value: 'fd00:88::2' }] }] },
];
const request: Request = { ns: 4026531840, deadline: 1_800_000_000_000, changes };

/** The request's JSON replaced (the header's length kept right). */
const framed = (json: string): Uint8Array => {
  const body = Buffer.from(json);
  const head = Buffer.from(encodeRequest(request).subarray(0, 8));
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};
const bad = (r: ReturnType<typeof decodeRequest>) => typeof r === 'object' && 'bad' in r;

describe('control socket requests', () => {
  it('a request decodes to what was encoded', () => {
    expect(decodeRequest(encodeRequest(request))).toEqual(request);
  });

  it('a request cut anywhere is not done yet', () => {
    const bytes = encodeRequest(request);
    for (const n of [0, 1, 3, 4, 7, 8, 9, bytes.length - 1]) expect(decodeRequest(bytes.subarray(0, n))).toBe('more');
  });

  it('garbage is refused from its first byte on; so are bytes after the request', () => {
    expect(bad(decodeRequest(Buffer.from('G')))).toBe(true);
    expect(bad(decodeRequest(Buffer.from('GET / HTTP/1.0\r\n\r\n')))).toBe(true);
    expect(bad(decodeRequest(Buffer.concat([encodeRequest(request), Buffer.from('x')])))).toBe(true);
  });

  it('a length past the bound is refused from the header alone, before its bytes arrive', () => {
    const head = Buffer.from(encodeRequest(request).subarray(0, 8));
    head.writeUInt32BE(REQUEST_MAX + 1, 4);
    expect(decodeRequest(head)).toEqual({ bad: 'too large', detail: `request of ${REQUEST_MAX + 1} bytes (at most ${REQUEST_MAX})` });
    head.writeUInt32BE(0xffffffff, 4);
    expect(bad(decodeRequest(head))).toBe(true);
  });

  it('JSON that is not a list of set-element changes is refused', () => {
    const one = (patch: Record<string, unknown>) => JSON.stringify({ ...request, changes: [{ ...changes[0], ...patch }] });
    const part = (type: string, value: unknown) => one({ elements: [{ key: [port, { type, value }] }] });
    for (const json of [
      '{',
      'null',
      '[]',
      JSON.stringify({ ...request, ns: '4026531840' }),
      JSON.stringify({ ...request, deadline: null }),
      JSON.stringify({ ...request, changes: [] }),
      JSON.stringify({ ...request, changes: {} }),
      one({ verb: 'flush' }),
      one({ family: 'ip' }),
      one({ table: 'cnm; flush ruleset' }),
      one({ table: '' }),
      one({ set: 'x'.repeat(65) }),
      one({ elements: [] }),
      one({ elements: [{ key: [] }] }),
      one({ elements: [{ key: [port, port, port, port, port] }] }),
      one({ elements: [{ key: [port], comment: 'a "quoted" comment' }] }),
      one({ elements: [{ key: [port], comment: 7 }] }),
      part('ifname', 'veth0123456789ab'), // 16 bytes: longer than IFNAMSIZ - 1
      part('ifname', ''),
      part('ifname', 7),
      part('ether_addr', '02:42:0a:58:00'),
      part('ether_addr', 'zz:42:0a:58:00:02'),
      part('ipv4_addr', 'fd00::2'),
      part('ipv4_addr', '10.88.0.256'),
      part('ipv6_addr', '10.88.0.2'),
      part('raw128', 'not an address'),
      part('verdict', 'accept'),
    ]) {
      expect(bad(decodeRequest(framed(json))), json).toBe(true);
    }
  });

  it('keeps only the fields it knows', () => {
    const json = JSON.stringify({ ...request, extra: 1, changes: [{ ...changes[0], handle: 9, elements: [{ key: [{ ...port, x: 1 }], comment: 'c', y: 2 }] }] });
    expect(decodeRequest(framed(json))).toEqual({ ...request, changes: [{ ...changes[0], elements: [{ key: [port], comment: 'c' }] }] });
  });
});

describe('control socket answers', () => {
  it('sent (with the batch\'s errno) and refused round-trip; anything else is no answer', () => {
    for (const a of [{ sent: true, errno: 0 }, { sent: true, errno: 2 }, { sent: false }] as const) expect(decodeAnswer(encodeAnswer(a))).toEqual(a);
    expect(decodeAnswer(Uint8Array.of(0, 0, 0, 0))).toBeUndefined();
    expect(decodeAnswer(Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 0))).toBeUndefined();
    expect(decodeAnswer(Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff))).toBeUndefined();
    expect(decodeAnswer(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2))).toBeUndefined();
  });
});
