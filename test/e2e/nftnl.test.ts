/**
 * An endpoint's spoof-check elements go to the kernel as one nf_tables netlink
 * batch, sent by the DNS server for the command (its control socket) when it
 * runs, else from the binary itself (CNM_DNS_AUTOSTART=0 here), or as `nft -f`
 * with CNM_NETLINK=0: three throwaway hosts, one per path, do the same adds
 * and removes and hold the same rule set (`nft -j list ruleset`, once
 * generated names and ids are numbered and each set's elements sorted).
 * `sandbox add` and `sandbox rm` start no process at all on the netlink paths;
 * a failure reads as nft's; a removal whose elements (or whole table) are
 * already gone is fine on all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

const IP = { CNM_NETLINK: '0' };
/** In-process: no DNS server is started, so the binary sends its batches itself. */
const NETLINK = { CNM_DNS_AUTOSTART: '0' };
const SERVER = {};

/**
 * `nft -j list ruleset`, normalized: handles dropped, set elements sorted, generated names and
 * ids named the same way in both hosts: a network's by the network's name, an endpoint's port and
 * id in the order of its MAC (derived from its address; a set lists its elements in hash order),
 * the rest (sandbox ids) in order of appearance.
 */
function ruleset(h: Host): string {
  const names = new Map<string, string>();
  const raw = h.exec(['nft', '-j', 'list', 'ruleset']).stdout;
  const nets = json<{ Name: string; Id: string }[]>(h.cnmOk(['net', 'inspect', 'bridge', 'n1', 'n2']));
  const endpoints = [...raw.matchAll(/\[\s*"(veth[0-9a-f]+)",\s*"([0-9a-f:]{17})"\s*\]\s*\},\s*"comment":\s*"(cnm:ep:[0-9a-f]+)"/g)].sort((a, b) => a[2]!.localeCompare(b[2]!));
  for (const [, port, , id] of endpoints) for (const n of [port!, id!]) if (!names.has(n)) names.set(n, `#${names.size}`);
  const text = raw.replace(/\b(?:cnm-|veth|n-)[0-9a-f]{6,12}\b|\bcnm:[a-z]+:[0-9a-f]{12}\b/g, (m) => {
    const hex = /[0-9a-f]+$/.exec(m)![0];
    const net = nets.find((n) => !m.startsWith('veth') && n.Id.startsWith(hex));
    if (net) return `${m.slice(0, -hex.length)}<${net.Name}>`;
    if (!names.has(m)) names.set(m, `#${names.size}`);
    return names.get(m)!;
  });
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, walk(x)]));
    if (Array.isArray(o.elem)) o.elem = (o.elem as unknown[]).map((e) => JSON.stringify(e)).sort();
    return o;
  };
  return JSON.stringify(walk(json<unknown>(text)), null, 1);
}

/** The commands' lines under --debug that started a process (`+ cmd ...`), not in-process work (`+ netlink ...`). */
const processes = (stderr: string) => stderr.split('\n').filter((l) => /^\+ /.test(l) && !/^\+ netlink /.test(l));

describe('set elements over nf_tables netlink and over nft -f give the same rule set', () => {
  let viaNft: Host;
  let viaNetlink: Host;
  let viaServer: Host;
  const added: string[] = [];
  const removed: string[] = [];

  beforeAll(async () => {
    [viaNft, viaNetlink, viaServer] = await Promise.all([Host.create(), Host.create(), Host.create()]);
    for (const [h, env] of [
      [viaNft, IP],
      [viaNetlink, NETLINK],
      [viaServer, SERVER],
    ] as const) {
      const ok = (args: string[]) => h.cnmOk(args, { env });
      ok(['net', 'create', 'n1', '--subnet', '10.88.0.0/24', '--ipv6', '--subnet', 'fd00:88::/64']);
      ok(['net', 'create', 'n2', '--subnet', '10.89.0.0/24']);
      ok(['sandbox', 'add', 's1', '--network', 'n1']);
      ok(['sandbox', 'add', 's2', '--network', 'n1', '-p', '8080:80']);
      ok(['sandbox', 'add', 's3', '--network', 'n2']);
      ok(['endpoint', 'connect', 's3', 'n1']);
      added.push(ruleset(h));
      ok(['sandbox', 'rm', 's1']);
      ok(['endpoint', 'disconnect', 's3', 'n1']);
      removed.push(ruleset(h));
    }
  });

  it('after adds and connects: identical, with every endpoint in every per-endpoint set', () => {
    const [a, b, c] = added;
    for (const set of ['guarded', 'ep_mac', 'ep_ip4', 'ep_ip6', 'ep_nd']) expect(b).toContain(`"name": "${set}"`);
    // Four guarded ports (s1, s2, s3 twice), each with its owner comment.
    expect(b!.match(/\\"comment\\":\\"#\d+\\"/g)?.length).toBeGreaterThanOrEqual(4 * 5);
    expect(b).toContain('fd00:88::');
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('after rm and disconnect: identical, and only the endpoints left have elements', () => {
    const [a, b, c] = removed;
    expect(b).toBe(a);
    expect(c).toBe(a);
    const guarded = (json<{ nftables: { set?: { name: string; family: string; elem?: unknown[] } }[] }>(viaNetlink.exec(['nft', '-j', 'list', 'set', 'bridge', 'cnm', 'guarded']).stdout).nftables.find((o) => o.set)?.set?.elem ?? []);
    expect(guarded).toHaveLength(2); // s2 and s3 on n2
  });

  it('sandbox add and rm start no process on the netlink path: one batch each, logged with its nft lines', () => {
    const add = viaNetlink.cnm(['sandbox', 'add', 's4', '--network', 'n1', '--debug'], { env: NETLINK });
    expect(add.code).toBe(0);
    expect(processes(add.stderr)).toEqual([]);
    expect(add.stderr).toMatch(/^\+ netlink nft -f - +\(\d+\.\d ms, done\)\n {2}\| add element bridge cnm guarded \{ "veth[0-9a-f]+" comment "cnm:ep:[0-9a-f]{12}" \}$/m);
    const rm = viaNetlink.cnm(['sandbox', 'rm', 's4', '--debug'], { env: NETLINK });
    expect(rm.code).toBe(0);
    expect(processes(rm.stderr)).toEqual([]);
    expect(rm.stderr).toMatch(/^\+ netlink nft -f - +\(\d+\.\d ms, done\)$/m);
    // With the DNS server running, it sends the same batches: no process either, nor a netfilter socket of our own.
    for (const cmd of [['sandbox', 'add', 's4', '--network', 'n1', '--debug'], ['sandbox', 'rm', 's4', '--debug']]) {
      const r = viaServer.cnm(cmd);
      expect(r.code).toBe(0);
      expect(processes(r.stderr)).toEqual([]);
      expect(r.stderr).toMatch(/^\+ netlink nft -f - +\(\d+\.\d ms, done, by the DNS server\)$/m);
    }
    // The same commands with CNM_NETLINK=0 run nft.
    const viaIp = viaNft.cnm(['sandbox', 'add', 's4', '--network', 'n1', '--debug'], { env: IP });
    expect(viaIp.stderr).toMatch(/^\+ nft -f - +\(/m);
    viaNft.cnmOk(['sandbox', 'rm', 's4'], { env: IP });
    // A published port is more than elements: the whole transaction stays one nft.
    const port = viaNetlink.cnm(['sandbox', 'add', 's5', '--network', 'n1', '-p', '8081:80', '--debug'], { env: NETLINK });
    expect(port.code).toBe(0);
    expect(processes(port.stderr).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['+ nft -f']);
    expect(port.stderr).not.toMatch(/^\+ netlink nft/m);
    viaNetlink.cnmOk(['sandbox', 'rm', 's5'], { env: NETLINK });
  });

  it('a failure reads as nft words it and rolls back; a removal whose elements are gone succeeds', async () => {
    const linkNames = (h: Host) => h.exec(['ip', '-br', 'link']).stdout.split('\n').map((l) => l.split(/\s+/)[0]).sort().join(' ');
    const results = [];
    for (const [i, h] of [viaNft, viaNetlink, viaServer].entries()) {
      const env = [IP, NETLINK, SERVER][i]!;
      const before = linkNames(h);
      h.cnmOk(['sandbox', 'add', 's6', '--network', 'n1'], { env });
      // Someone removed the endpoint's elements by hand: rm still succeeds.
      const els = h.exec(['nft', 'list', 'set', 'bridge', 'cnm', 'guarded']).stdout.match(/"veth[0-9a-f]+" comment "cnm:ep:[0-9a-f]+"/g) ?? [];
      for (const e of els) expect(h.exec(['nft', `delete element bridge cnm guarded { ${e.replace(/ comment .*/, '')} }`]).code).toBe(0);
      const rm = h.cnm(['sandbox', 'rm', 's6'], { env });
      // rm deletes the namespace, and the kernel's namespace cleanup (one queue for the whole machine,
      // behind every other test's namespaces) takes s6's veth with it in the background: gone before the count below.
      expect(await waitFor(() => linkNames(h) === before, 10_000, 20)).toBe(true);
      // The whole table gone: an add fails with nft's words and leaves nothing behind; an rm succeeds.
      h.cnmOk(['sandbox', 'add', 's7', '--network', 'n1'], { env });
      expect(h.exec(['nft', 'delete', 'table', 'bridge', 'cnm']).code).toBe(0);
      const add = h.cnm(['sandbox', 'add', 's8', '--network', 'n1'], { env });
      const links = h.exec(['ip', '-br', 'link']).stdout.split('\n').length;
      const rm7 = h.cnm(['sandbox', 'rm', 's7'], { env });
      // nft adds a hint from its own cache ("; did you mean table ‘cnm’ in family inet?"): the batch has none to give.
      results.push({ rm: [rm.code, rm.stderr], add: [add.code, add.stderr.replace(/; did you mean .*$/m, '')], rm7: [rm7.code, rm7.stderr], links, sandboxes: h.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']) });
    }
    expect(results[0]!.rm).toEqual([0, '']);
    expect(results[0]!.add[0]).not.toBe(0);
    expect(results[0]!.add[1]).toMatch(/^cnm: nft -f -.*No such file or directory/m);
    expect(results[0]!.rm7).toEqual([0, '']);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });
});
