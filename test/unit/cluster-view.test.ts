import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../src/core/cluster/etcd.js';
import { type NetworkView, type Slot, deltaLines, parseView, slotOf, slotsOf, wholeView } from '../../src/core/cluster/view.js';

const kv = (key: string, value: string, rev: number): KeyValue => ({ key, value, createRevision: rev, modRevision: rev, version: 1 });
const ipam = (addr: string) => `/cnm/v1/ipam/front/${addr}`;
const claim = (sandbox: string, addr: string, host = 'h1') => JSON.stringify({ host, sandbox, mac: '02:42:0a:d2:00:02', address: `${addr}/24`, aliases: ['web'] });
const num = (addr: string) => addr.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const slot = (addr: string, sandbox: string, rev: number, host = 'h1'): Slot => ({ key: ipam(addr), addr, value: num(addr), modRevision: rev, host, sandbox });
const NET = '{"id":"n1","name":"front","vni":4097,"subnet":"10.210.0.0/24","gateway":"10.210.0.1","labels":{"a b":"c d"}}';
const base = (): NetworkView => ({
  net: { value: NET, modRevision: 3 },
  cursor: { value: '10.210.0.3', modRevision: 10 },
  claims: [slot('10.210.0.1', '', 10), slot('10.210.0.2', 's1', 10), slot('10.210.0.9', 'old', 4)],
});
const whole = (v: NetworkView = base()) => wholeView('u1', 'h1', v)!;
const summary = (v: NetworkView) => ({ cursor: [v.cursor?.value, v.cursor?.modRevision], claims: Object.fromEntries(v.claims.map((c) => [c.addr, c.modRevision])) });

describe('cluster view file: a view written whole, then the lines of each claim won on it', () => {
  it('reads a view written whole as it was: the network record, the cursor, each claim with its host, sandbox and revision', () => {
    const read = parseView(whole(), 'u1', 'front')!;
    expect(read).toEqual({ view: base(), deltas: 0, appendable: true });
    // No claim value is kept: one line per claim, no JSON but the network's record.
    expect(whole().split('\n').filter(Boolean)).toEqual(['cnm-view 2 u1', `n 3 ${NET}`, 'c 10 10.210.0.3', '+ 10.210.0.1 181534721 10 h1 ', '+ 10.210.0.2 181534722 10 h1 s1', '+ 10.210.0.9 181534729 4 h1 old']);
    const none = parseView(whole({ ...base(), cursor: undefined, claims: [] }), 'u1', 'front')!;
    expect(none.view).toEqual({ net: base().net, cursor: undefined, claims: [] });
  });

  it('is no view when written by the cnm before it (JSON, with or without its line end) or torn: no crash, the add reads the store', () => {
    // The previous version's file: {uid, view} on one line, then JSON deltas.
    const v1 = { uid: 'u1', view: { net: kv('/cnm/v1/networks/front', NET, 3), cursor: kv('/cnm/v1/cursor/front', '10.210.0.3', 10), claims: [kv(ipam('10.210.0.1'), claim('', '10.210.0.1'), 10)] } };
    const old = `${JSON.stringify(v1)}\n${JSON.stringify({ r: 12, c: '10.210.0.4', p: [[ipam('10.210.0.3'), claim('s3', '10.210.0.3')]], d: [] })}\n`;
    for (const text of [old, old.slice(0, old.indexOf('\n')), '', '\n', 'cnm-view 2 u1\n', `${whole()}x 1 y\n`, `${whole()}+ 10.210.0.4 x 5 h1 s\n`, `${whole()}+ 10.210.0.4 181534724 x h1 s\n`, `${whole()}+ 10.210.0.4 181534724 5\n`, `${whole()}+ 10.210.0.4 -1 5 h1 s\n`, `${whole()}c 12`]) {
      expect(parseView(text, 'u1', 'front'), JSON.stringify(text)).toBeUndefined();
    }
    expect(parseView(whole() + deltaLines({ r: 12, c: '10.210.0.4', p: [slot('10.210.0.3', 's3', 12)], d: [] }).slice(0, -3), 'u1', 'front')).toBeUndefined();
  });

  it("keeps other hosts' claims as one line of addresses (numbers): taken, never changed by a delta, written again whole as they were", () => {
    const read = [slot('10.210.0.1', '', 10), slot('10.210.0.5', 'b', 11, 'h2'), slot('10.210.0.2', 's1', 12), slot('10.210.0.6', '', 13, 'h3')];
    const text = whole({ ...base(), claims: read });
    expect(text.split('\n').filter(Boolean).slice(3)).toEqual([`o ${num('10.210.0.5')},${num('10.210.0.6')}`, '+ 10.210.0.1 181534721 10 h1 ', '+ 10.210.0.2 181534722 12 h1 s1']);
    const withDelta = text + deltaLines({ r: 20, c: '10.210.0.8', p: [slot('10.210.0.1', '', 20), slot('10.210.0.7', 's7', 20)], d: ['10.210.0.2'] });
    const v = parseView(withDelta, 'u1', 'front')!.view;
    expect(v.others).toEqual([num('10.210.0.5'), num('10.210.0.6')]);
    expect(v.claims.map((c) => [c.addr, c.modRevision])).toEqual([['10.210.0.1', 20], ['10.210.0.7', 20]]);
    // Written whole again from the file's view (after 32 deltas, or a removal): the same others.
    const again = parseView(wholeView('u1', 'h1', v)!, 'u1', 'front')!.view;
    expect(again).toEqual(v);
    for (const bad of ['o x', 'o 1,,2', 'o -1', 'o 4294967296', 'o {}', 'o 1]', 'o "1"']) {
      expect(parseView(`${whole()}${bad}\n`, 'u1', 'front'), bad).toBeUndefined();
    }
  });

  it('is no view for another membership', () => {
    expect(parseView(whole(), 'u2', 'front')).toBeUndefined();
    expect(parseView(whole(), 'u', 'front')).toBeUndefined();
  });

  it('takes no more deltas once it holds 32: the next claim writes the view whole', () => {
    let text = whole();
    for (let i = 0; i < 32; i++) {
      expect(parseView(text, 'u1', 'front')!.appendable).toBe(true);
      text += deltaLines({ r: 11 + i, c: `10.210.1.${i + 1}`, p: [slot(`10.210.1.${i}`, `s${i}`, 11 + i)], d: [] });
    }
    const read = parseView(text, 'u1', 'front')!;
    expect(read).toMatchObject({ deltas: 32, appendable: false });
    expect(read.view.claims.length).toBe(3 + 32);
    expect(read.view.cursor).toEqual({ value: '10.210.1.32', modRevision: 42 });
  });

  it('adds each delta: the claims it wrote (at its revision, last), less those it released, and the cursor it wrote', () => {
    const text =
      whole() +
      deltaLines({ r: 12, c: '10.210.0.4', p: [slot('10.210.0.1', '', 12), slot('10.210.0.3', 's3', 12)], d: ['10.210.0.9'] }) +
      deltaLines({ r: 15, c: '10.210.0.5', p: [slot('10.210.0.4', 's4', 15)], d: [] });
    const read = parseView(text, 'u1', 'front')!;
    expect(read.deltas).toBe(2);
    expect(summary(read.view)).toEqual({ cursor: ['10.210.0.5', 15], claims: { '10.210.0.1': 12, '10.210.0.2': 10, '10.210.0.3': 12, '10.210.0.4': 15 } });
    expect(read.view.claims.map((c) => c.addr)).toEqual(['10.210.0.2', '10.210.0.1', '10.210.0.3', '10.210.0.4']);
    expect(read.view.claims[3]).toEqual(slot('10.210.0.4', 's4', 15));
    expect(read.view.claims[1]).toEqual(slot('10.210.0.1', '', 12));
  });

  it('skips a delta no newer than the cursor so far: appended after a fresher view was written whole', () => {
    const fresher = { ...base(), cursor: { value: '10.210.0.8', modRevision: 20 } };
    const text = whole(fresher) + deltaLines({ r: 18, c: '10.210.0.4', p: [slot('10.210.0.3', 's3', 18)], d: ['10.210.0.2'] }) + deltaLines({ r: 21, c: '10.210.0.9', p: [slot('10.210.0.8', 's8', 21)], d: [] });
    const read = parseView(text, 'u1', 'front')!;
    expect(read.deltas).toBe(2);
    expect(summary(read.view)).toEqual({ cursor: ['10.210.0.9', 21], claims: { '10.210.0.1': 10, '10.210.0.2': 10, '10.210.0.9': 4, '10.210.0.8': 21 } });
  });

  it("keeps of a store's claim its host and sandbox; a value that is no claim is nobody's", () => {
    const read = slotsOf([kv(ipam('10.210.0.1'), claim('', '10.210.0.1'), 7), kv(ipam('10.210.0.2'), claim('s2', '10.210.0.2', 'h2'), 8), kv(ipam('10.210.0.3'), 'not json', 9), kv(ipam('10.210.0.4'), '{"host":"a b\\nc"}', 9)]);
    expect(read.slice(0, 3)).toEqual([slot('10.210.0.1', '', 7), slot('10.210.0.2', 's2', 8, 'h2'), slot('10.210.0.3', '?', 9, '?')]);
    expect(slotOf(kv(ipam('10.210.0.4'), '{"host":"h1"}', 9))).toEqual(slot('10.210.0.4', '?', 9));
    // Another host's, or nobody's (no line could hold its host), is an address taken: the file still reads.
    const text = whole({ ...base(), claims: read });
    const back = parseView(text, 'u1', 'front')!.view;
    expect(back.claims.map((c) => [c.addr, c.host, c.sandbox])).toEqual([['10.210.0.1', 'h1', '']]);
    expect(back.others).toEqual([num('10.210.0.2'), num('10.210.0.3'), num('10.210.0.4')]);
    expect(wholeView('u1', 'h1', { ...base(), net: { value: '{\n}', modRevision: 3 } })).toBeUndefined();
    expect(wholeView('u1', 'h1', { ...base(), claims: [slot('10.210.0.1 x', '', 1)] })).toBeUndefined();
    // A key whose last part is no IPv4 address (another tool's): no view is cached, the add reads the store.
    const odd = slotOf(kv('/cnm/v1/ipam/front/fe80::1', claim('s', 'fe80::1'), 9));
    expect(odd.value).toBe(-1);
    expect(wholeView('u1', 'h1', { ...base(), claims: [odd] })).toBeUndefined();
  });
});
