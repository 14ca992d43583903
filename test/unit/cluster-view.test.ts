import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../src/core/cluster/etcd.js';
import { type NetworkView, deltaLine, parseView, wholeView } from '../../src/core/cluster/view.js';

const kv = (key: string, value: string, rev: number): KeyValue => ({ key, value, createRevision: rev, modRevision: rev, version: 1 });
const ipam = (addr: string) => `/cnm/v1/ipam/front/${addr}`;
const claim = (sandbox: string, addr: string) => JSON.stringify({ host: 'h1', sandbox, mac: '', address: `${addr}/24`, aliases: [] });
const base = (): NetworkView => ({
  net: kv('/cnm/v1/networks/front', '{"id":"n1"}', 3),
  cursor: kv('/cnm/v1/cursor/front', '10.210.0.3', 10),
  claims: [kv(ipam('10.210.0.1'), claim('', '10.210.0.1'), 10), kv(ipam('10.210.0.2'), claim('s1', '10.210.0.2'), 10), kv(ipam('10.210.0.9'), claim('old', '10.210.0.9'), 4)],
});
const summary = (v: NetworkView) => ({ cursor: [v.cursor?.value, v.cursor?.modRevision], claims: Object.fromEntries(v.claims.map((c) => [c.key.split('/').pop(), c.modRevision])) });

describe("cluster view file: a view written whole, then one line per claim won on it", () => {
  it('reads a view written whole (and one written before deltas existed: no line end) as it is; only a file whose last line ended takes a delta', () => {
    for (const text of [wholeView('u1', base()), JSON.stringify({ uid: 'u1', view: base() })]) {
      const read = parseView(text, 'u1', 'front')!;
      expect(read.deltas).toBe(0);
      expect(read.view).toEqual(base());
      expect(read.appendable).toBe(text.endsWith('\n'));
    }
  });

  it('takes no more deltas once it holds 32: the next claim writes the view whole', () => {
    let text = wholeView('u1', base());
    for (let i = 0; i < 32; i++) {
      expect(parseView(text, 'u1', 'front')!.appendable).toBe(true);
      text += deltaLine({ r: 11 + i, c: `10.210.1.${i}`, p: [[ipam(`10.210.1.${i}`), claim(`s${i}`, `10.210.1.${i}`)]], d: [] });
    }
    const read = parseView(text, 'u1', 'front')!;
    expect(read).toMatchObject({ deltas: 32, appendable: false });
    expect(read.view.claims.length).toBe(3 + 32);
    expect(read.view.cursor?.value).toBe('10.210.1.31');
  });

  it("adds each delta: the claims it wrote (at its revision), less those it released, and the cursor it wrote", () => {
    const text =
      wholeView('u1', base()) +
      deltaLine({ r: 12, c: '10.210.0.4', p: [[ipam('10.210.0.1'), claim('', '10.210.0.1')], [ipam('10.210.0.3'), claim('s3', '10.210.0.3')]], d: [ipam('10.210.0.9')] }) +
      deltaLine({ r: 15, c: '10.210.0.5', p: [[ipam('10.210.0.4'), claim('s4', '10.210.0.4')]], d: [] });
    const read = parseView(text, 'u1', 'front')!;
    expect(read.deltas).toBe(2);
    expect(summary(read.view)).toEqual({ cursor: ['10.210.0.5', 15], claims: { '10.210.0.1': 12, '10.210.0.2': 10, '10.210.0.3': 12, '10.210.0.4': 15 } });
    expect(read.view.claims.find((c) => c.key === ipam('10.210.0.4'))).toEqual(kv(ipam('10.210.0.4'), claim('s4', '10.210.0.4'), 15));
    expect(read.view.cursor).toEqual(kv('/cnm/v1/cursor/front', '10.210.0.5', 15));
  });

  it('skips a delta no newer than the cursor so far: appended after a fresher view was written whole', () => {
    const fresher = { ...base(), cursor: kv('/cnm/v1/cursor/front', '10.210.0.8', 20) };
    const text = wholeView('u1', fresher) + deltaLine({ r: 18, c: '10.210.0.4', p: [[ipam('10.210.0.3'), claim('s3', '10.210.0.3')]], d: [ipam('10.210.0.2')] });
    const read = parseView(text, 'u1', 'front')!;
    expect(read.deltas).toBe(1);
    expect(summary(read.view)).toEqual(summary(fresher));
  });

  it("is no view for another membership, and a torn line is no view at all (the add then reads the store)", () => {
    expect(parseView(wholeView('u1', base()), 'u2', 'front')).toBeUndefined();
    const torn = wholeView('u1', base()) + deltaLine({ r: 12, c: '10.210.0.4', p: [], d: [] }).slice(0, 9);
    expect(() => parseView(torn, 'u1', 'front')).toThrow();
  });
});
