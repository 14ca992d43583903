/**
 * The binary's two ways to the kernel make the same objects: the same
 * networks and sandboxes built in two throwaway hosts, one with CNM_NETLINK=0
 * (`ip -batch` / `bridge -batch`) and one the default (rtnetlink in-process),
 * give the same `ip -j -d link/addr/route` and `bridge fdb` byte for byte once
 * what the kernel picks at random or by timing is left out (ifindexes,
 * counters, random MACs and what derives from them, generated names, the
 * order in which routes were added, the fdb entries the kernel makes itself). Errors read the same and roll back the
 * same; a teardown tolerates the same "already gone".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

const IP = { CNM_NETLINK: '0' };
const NETLINK = {};

/** Keys whose values are the kernel's pick (indexes, counters, random MACs and bridge ids derived from them, timers, DAD in progress). */
const DROP = new Set([
  'ifindex', 'link_index', 'link_netnsid', 'stats', 'stats64', 'address', 'broadcast', 'perm_address',
  'bridge_id', 'root_id', 'designated_root', 'designated_bridge', 'designated_port', 'root_port', 'id', 'no', 'tentative',
]);

/** One dump of `ip -j` (or `bridge -j`) output, normalized; names cnm generates become #0, #1... in order of appearance. */
function normalize(dumps: string[]): string {
  const names = new Map<string, string>();
  const rename = (s: string) =>
    s
      .replace(/\b(?:cnm-|veth|cnm[pvsx])[0-9a-f]{6,12}\b|\bvx-[0-9a-f]+\b/g, (m) => {
        if (!names.has(m)) names.set(m, `#${names.size}`);
        return names.get(m)!;
      })
      // Link-local addresses from random MACs (not cnm's 02:42 ones, not the gateway's fe80::1).
      .replace(/^fe80::(?!42:|1$)[0-9a-f:]+$/, 'fe80::random');
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).filter(([k]) => !DROP.has(k) && !k.endsWith('timer')).map(([k, x]) => [k, walk(x)]));
    }
    return typeof v === 'string' ? rename(v) : v;
  };
  return dumps
    .map((d, i) => {
      let items = walk(json<unknown[]>(d.trim() || '[]')) as unknown[];
      // The fdb entries cnm programs are the VXLAN ones (with a remote); the rest are the kernel's own (random MACs, multicast).
      if (i % 4 === 3) items = items.filter((e) => typeof e === 'object' && e !== null && 'dst' in e);
      // Routes are a set: the kernel lists them in the order they were added, which is timing.
      const sorted = i % 4 === 2 ? items.map((r) => JSON.stringify(r)).sort() : items.map((r) => JSON.stringify(r));
      return sorted.join('\n');
    })
    .join('\n==\n');
}

/** What the kernel holds in cnm's namespace and in each sandbox's, once duplicate address detection is over. */
async function kernel(h: Host, sandboxes: string[]): Promise<string> {
  const spaces: (string | undefined)[] = [undefined, ...sandboxes];
  for (const ns of spaces) {
    const n = ns ? ['-n', ns] : [];
    // Bounded wait: tentative addresses become final (and their local routes appear) within a few seconds.
    await waitFor(() => h.exec(['ip', ...n, '-6', 'addr', 'show', 'tentative']).stdout.trim() === '', 10_000, 100);
  }
  const dumps: string[] = [];
  for (const ns of spaces) {
    const n = ns ? ['-n', ns] : [];
    dumps.push(h.exec(['ip', ...n, '-j', '-d', 'link', 'show']).stdout);
    dumps.push(h.exec(['ip', ...n, '-j', '-d', 'addr', 'show']).stdout);
    dumps.push(h.exec(['ip', ...n, '-j', '-d', 'route', 'show', 'table', 'all']).stdout);
    dumps.push(h.exec(['bridge', ...n, '-j', 'fdb', 'show']).stdout);
  }
  return normalize(dumps);
}

/** The same host-side setup in both: an underlay 198.51.100.1 and a macvlan parent. */
async function host(): Promise<Host> {
  const h = await Host.create();
  const r = h.sh('ip link add up0 type veth peer name up1 && ip addr add 198.51.100.1/24 dev up0 && ip link set up0 up && ip link set up1 up');
  if (r.code !== 0) throw new Error(r.stderr);
  return h;
}

function build(h: Host, env: Record<string, string>): string {
  const ok = (args: string[]) => h.cnmOk(args, { env });
  ok(['net', 'create', 'n1', '--subnet', '10.88.0.0/24', '--ipv6', '--subnet', 'fd00:88::/64', '--opt', 'com.docker.network.bridge.enable_icc=false']);
  ok(['net', 'create', 'n2', '--subnet', '10.89.0.0/24', '--internal']);
  ok(['net', 'create', 'ov', '--driver', 'overlay', '--subnet', '10.77.0.0/16', '--vni', '4242', '--local', '198.51.100.1', '--peer', '198.51.100.2']);
  ok(['net', 'create', 'mv', '--driver', 'macvlan', '--parent', 'up1', '--subnet', '10.90.0.0/24', '--opt', 'host-shim=true']);
  const add = h.cnm(['sandbox', 'add', 's1', '--network', 'n1', '-p', '8080:80', '--debug'], { env });
  expect(add.code).toBe(0);
  ok(['sandbox', 'add', 's2', '--network', 'n1', '--network', 'n2', '--network', 'ov', '--network', 'mv']);
  ok(['endpoint', 'connect', 's1', 'n2']);
  return add.stderr;
}

describe('rtnetlink in-process and ip -batch make the same kernel objects', () => {
  let viaIp: Host;
  let viaNetlink: Host;
  let debugIp: string;
  let debugNetlink: string;

  beforeAll(async () => {
    [viaIp, viaNetlink] = await Promise.all([host(), host()]);
    debugIp = build(viaIp, IP);
    debugNetlink = build(viaNetlink, NETLINK);
  });

  it('each path is the one taken: ip -batch with CNM_NETLINK=0, no ip at all by default', () => {
    expect(debugIp).toMatch(/^\+ ip -batch -/m);
    expect(debugIp).not.toMatch(/^\+ netlink/m);
    expect(debugNetlink).toMatch(/^\+ netlink ip +\(/m);
    expect(debugNetlink).toMatch(/^\+ netlink -n s1 ip +\(/m);
    expect(debugNetlink).not.toMatch(/^\+ (ip|bridge) /m);
  });

  it('bridge, veth, vxlan, macvlan, addresses, routes and fdb entries are identical', async () => {
    const [a, b] = [await kernel(viaIp, ['s1', 's2']), await kernel(viaNetlink, ['s1', 's2'])];
    // Not vacuous: every kind of object is in the comparison.
    for (const what of ['"info_kind":"bridge"', '"mcast_snooping":0', '"info_kind":"veth"', '"info_kind":"vxlan"', '"info_kind":"macvlan"', '"isolated":true', '"local":"10.88.0.2"', '"gateway":"10.88.0.1"', '"dst":"198.51.100.2"']) {
      expect(b).toContain(what);
    }
    expect(b).toBe(a);
  });

  it('what netlink made carries traffic', () => {
    for (const h of [viaIp, viaNetlink]) {
      expect(h.cnm(['sandbox', 'exec', 's1', '--', 'ping', '-c1', '-W2', '10.88.0.1']).code).toBe(0);
      expect(h.cnm(['sandbox', 'exec', 's1', '--', 'ping', '-c1', '-W2', 'fd00:88::1']).code).toBe(0);
    }
  });

  it('a name clash fails with the same one line and rolls back the same', async () => {
    const before = await Promise.all([kernel(viaIp, ['s1', 's2']), kernel(viaNetlink, ['s1', 's2'])]);
    const clash = (h: Host, env: Record<string, string>) => h.cnm(['net', 'create', 'n3', '--opt', 'com.docker.network.bridge.name=up0'], { env });
    const [a, b] = [clash(viaIp, IP), clash(viaNetlink, NETLINK)];
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^cnm: ip link add up0 mtu 1500 address \S+ type bridge mcast_snooping 0 failed \(exit 1\): RTNETLINK answers: File exists\n$/);
    // The same words, but for the MAC (made from the network's random id).
    expect(b.stderr.replace(/address \S+/, 'address M')).toBe(a.stderr.replace(/address \S+/, 'address M'));
    expect(b.code).toBe(a.code);
    expect(await kernel(viaIp, ['s1', 's2'])).toBe(before[0]);
    expect(await kernel(viaNetlink, ['s1', 's2'])).toBe(before[1]);
  });

  it('a step failing inside a new sandbox (the fault hook at its address): the same message, the same rollback', async () => {
    const before = await Promise.all([kernel(viaIp, ['s1', 's2']), kernel(viaNetlink, ['s1', 's2'])]);
    // sandbox add's plan: netns add, link add, link set (cnm's namespace), nft, then lo up, addr add... inside.
    const add = (h: Host, env: Record<string, string>) => h.cnm(['sandbox', 'add', 's9', '--network', 'n2'], { env: { ...env, CNM_FAULT_AT: '6' } });
    const [a, b] = [add(viaIp, IP), add(viaNetlink, NETLINK)];
    expect(a.stderr).toBe('cnm: ip -n s9 link set dev cnm-fault up failed (exit 1): Cannot find device "cnm-fault"\n');
    expect(b.stderr).toBe(a.stderr);
    expect(b.code).toBe(a.code);
    expect(await kernel(viaIp, ['s1', 's2'])).toBe(before[0]);
    expect(await kernel(viaNetlink, ['s1', 's2'])).toBe(before[1]);
    for (const h of [viaIp, viaNetlink]) expect(h.exec(['ip', 'netns', 'list']).stdout).not.toMatch(/s9/);
  });

  it('adopting a namespace file: a bind mount from cnm itself (no mount process), the same sandbox; rm leaves the namespace to its owner', async () => {
    const seen: string[] = [];
    for (const [h, env] of [[viaIp, IP], [viaNetlink, NETLINK]] as const) {
      expect(h.exec(['ip', 'netns', 'add', 'foreign']).code).toBe(0);
      // A failure after the mount (the fault hook at the first line op) is rolled back by an umount.
      const failed = h.cnm(['sandbox', 'add', 'adopted', '--netns', '/run/netns/foreign', '--network', 'n2'], { env: { ...env, CNM_FAULT_AT: '3' } });
      expect(failed.stderr).toBe('cnm: ip link set dev cnm-fault up failed (exit 1): Cannot find device "cnm-fault"\n');
      expect(h.exec(['ls', '/run/netns']).stdout.split('\n')).not.toContain('adopted');
      expect(h.exec(['findmnt', '-n', '/run/netns/adopted']).stdout).toBe('');
      const r = h.cnm(['sandbox', 'add', 'adopted', '--netns', '/run/netns/foreign', '--network', 'n2', '--debug'], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(env === IP ? /^\+ mount --bind \/run\/netns\/foreign \/run\/netns\/adopted /m : /^\+ in-process mount --bind \/run\/netns\/foreign \/run\/netns\/adopted +\(\d+\.\d ms, exit 0\)$/m);
      // The same namespace under both names, with the endpoint in it.
      const ino = h.sh('stat -L -c %i /run/netns/foreign /run/netns/adopted').stdout.trim().split('\n');
      expect(ino[0]).toBe(ino[1]);
      seen.push(await kernel(h, ['adopted']));
      const rm = h.cnm(['sandbox', 'rm', 'adopted', '--debug'], { env });
      expect(rm.code).toBe(0);
      // A namespace cnm made or adopted goes the same way: `netns del` (umount + unlink), in a line group.
      expect(rm.stderr).toMatch(/^ {2}\| netns del adopted$/m);
      if (env === NETLINK) expect(rm.stderr).not.toMatch(/^\+ (ip|mount|umount) /m);
      expect(h.exec(['ls', '/run/netns']).stdout.split('\n')).not.toContain('adopted');
      expect(h.exec(['ip', '-n', 'foreign', '-br', 'link']).stdout.trim().split('\n').map((l) => l.split(/[\s@]/)[0])).toEqual(['lo']);
      expect(h.exec(['ip', 'netns', 'del', 'foreign']).code).toBe(0);
    }
    expect(seen[0]).toContain('"local":"10.89.0.');
    expect(seen[1]).toBe(seen[0]);
  });

  it('sandbox rm tolerates the same "already gone": a host-side veth and a whole namespace removed behind cnm', async () => {
    for (const [h, env] of [[viaIp, IP], [viaNetlink, NETLINK]] as const) {
      const veth = h.exec(['ip', '-br', 'link']).stdout.split('\n').map((l) => l.split(/[\s@]/)[0]!).filter((n) => n.startsWith('veth'));
      expect(veth.length).toBeGreaterThan(0);
      expect(h.exec(['ip', 'link', 'del', veth[0]!]).code).toBe(0);
      expect(h.exec(['ip', 'netns', 'del', 's2']).code).toBe(0);
      const r = h.cnm(['sandbox', 'rm', 's1', 's2'], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // A namespace's links go with it a moment after its last reference (the kernel's cleanup work).
      expect(await waitFor(() => !/veth/.test(h.exec(['ip', '-br', 'link']).stdout))).toBe(true);
      expect(h.exec(['ip', 'netns', 'list']).stdout.trim()).toBe('');
    }
  });
});
