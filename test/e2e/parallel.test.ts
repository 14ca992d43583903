/**
 * 50 cnm commands at once on one network (add, connect, disconnect, rm,
 * publish): the lock serializes them, no update is lost, and the kernel
 * matches the final state exactly (reconcile finds nothing to do).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json } from '../helpers/host.js';

interface StateDoc {
  networks: { id: string; name: string }[];
  sandboxes: { id: string; name: string; ports: unknown[] }[];
  endpoints: { networkId: string; sandboxId: string; ipv4?: string }[];
}

describe('50-way parallel mixed commands', () => {
  afterAll(destroyAll);

  it('every update lands and the kernel matches state', async () => {
    const h = await Host.create('parallel');
    h.cnmOk(['net', 'create', 'par']);
    h.cnmOk(['net', 'create', 'side']);
    for (let i = 0; i < 10; i++) h.cnmOk(['sandbox', 'add', `c${i}`, '--network', 'par']); // to be connected to side
    for (let i = 0; i < 10; i++) h.cnmOk(['sandbox', 'add', `d${i}`, '--network', 'par', '--network', 'side']); // to be disconnected
    for (let i = 0; i < 10; i++) h.cnmOk(['sandbox', 'add', `r${i}`, '--network', 'par']); // to be removed
    for (let i = 0; i < 5; i++) h.cnmOk(['sandbox', 'add', `p${i}`, '--network', 'par']); // to publish
    const jobs: string[][] = [];
    for (let i = 0; i < 15; i++) jobs.push(['sandbox', 'add', `n${i}`, '--network', 'par']);
    for (let i = 0; i < 10; i++) jobs.push(['endpoint', 'connect', `c${i}`, 'side']);
    for (let i = 0; i < 10; i++) jobs.push(['endpoint', 'disconnect', `d${i}`, 'side']);
    for (let i = 0; i < 10; i++) jobs.push(['sandbox', 'rm', `r${i}`]);
    for (let i = 0; i < 5; i++) jobs.push(['sandbox', 'publish', `p${i}`, `${18080 + i}:80`]);
    expect(jobs).toHaveLength(50);
    const results = await Promise.all(jobs.map((j) => h.cnmAsync(j)));
    results.forEach((r, i) => expect(r.code, `${jobs[i]!.join(' ')}: ${r.stderr}`).toBe(0));

    const s = json<StateDoc>(h.exec(['cat', '/var/lib/cnm/state.json']).stdout);
    const names = s.sandboxes.map((x) => x.name).sort();
    const want = [...[...Array(10).keys()].flatMap((i) => [`c${i}`, `d${i}`]), ...[...Array(15).keys()].map((i) => `n${i}`), ...[...Array(5).keys()].map((i) => `p${i}`)].sort();
    expect(names).toEqual(want);
    const net = (name: string) => s.networks.find((n) => n.name === name)!.id;
    const sbId = (name: string) => s.sandboxes.find((x) => x.name === name)!.id;
    for (let i = 0; i < 10; i++) {
      expect(s.endpoints.filter((e) => e.sandboxId === sbId(`c${i}`)).map((e) => e.networkId).sort()).toEqual([net('par'), net('side')].sort());
      expect(s.endpoints.filter((e) => e.sandboxId === sbId(`d${i}`)).map((e) => e.networkId)).toEqual([net('par')]);
    }
    for (let i = 0; i < 5; i++) expect(s.sandboxes.find((x) => x.name === `p${i}`)!.ports).toHaveLength(1);
    const addrs = s.endpoints.map((e) => e.ipv4).filter(Boolean);
    expect(new Set(addrs).size).toBe(addrs.length);

    const rec = json<{ findings: unknown[] }>(h.cnmOk(['reconcile', '--dry-run', '--json']));
    expect(rec.findings).toEqual([]);
    const netns = h.exec(['ls', '/run/netns']).stdout.split('\n').filter(Boolean).sort();
    expect(netns).toEqual(want);
    const veths = h.exec(['ip', '-br', 'link']).stdout.match(/^veth[0-9a-f]{11}/gm) ?? [];
    expect(veths.length).toBe(s.endpoints.length);
    expect(h.exec(['test', '-e', '/var/lib/cnm/intent.json']).code).not.toBe(0);
    // Traffic: a new sandbox reaches a connected one over the shared network.
    const target = s.endpoints.find((e) => e.sandboxId === sbId('c3') && e.networkId === net('side'))!.ipv4!.split('/')[0]!;
    h.cnmOk(['endpoint', 'connect', 'n0', 'side']);
    expect(h.cnm(['sandbox', 'exec', 'n0', '--', 'ping', '-c1', '-W1', target]).code).toBe(0);
  }, 120_000);
});
