/**
 * Endpoint discovery on cluster overlays (issue 14), against a real etcd and
 * three joined hosts on a simulated underlay: each host holds exact FDB and
 * neighbour entries for the other hosts' sandboxes and no flooding entry, so
 * a capture on the underlay sees unicast VXLAN to the right host only and no
 * ARP; sandboxes resolve each other's names and aliases across hosts (dig and
 * getent, NAME.NETWORK, PTR) on shared networks only; a removal or a dead host
 * takes names and entries away without any command on the other hosts; a
 * host lost whole comes back from its state dir with `reconcile --restore`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Host, destroyAll, json, waitFor } from '../helpers/host.js';
import { EtcdStore } from '../helpers/etcd.js';

let store: EtcdStore;
const hosts: Host[] = [];
const ips: string[] = [];
const TTL = 3;

beforeAll(async () => {
  store = await EtcdStore.create();
  const joined = await store.joinHosts(['h1', 'h2', 'h3'], ['--ttl', String(TTL)]);
  hosts.push(...joined.hosts);
  ips.push(...joined.ips);
  try {
    hosts[0]!.cnmOk(['net', 'create', 'front', '--driver', 'overlay']);
    hosts[0]!.cnmOk(['net', 'create', 'back', '--driver', 'overlay']);
    hosts[0]!.cnmOk(['sandbox', 'add', 's1', '--network', 'front', '--alias', 'web']);
    hosts[1]!.cnmOk(['sandbox', 'add', 's2', '--network', 'front', '--alias', 'web']);
    hosts[2]!.cnmOk(['sandbox', 'add', 's3', '--network', 'front']);
    hosts[2]!.cnmOk(['sandbox', 'add', 's3b', '--network', 'front']);
    hosts[2]!.cnmOk(['sandbox', 'add', 'hidden', '--network', 'back']);
  } catch (e) {
    // The store stall (see EtcdStore.diagnose; its cause is fixed in EtcdStore.create) was seen right here once.
    console.error(`cluster-discovery: set-up failed:\n${store.diagnose(hosts)}`);
    throw e;
  }
}, 150_000);

afterAll(async () => {
  await store?.destroy();
  await destroyAll();
});

const h1 = () => hosts[0]!;
const h2 = () => hosts[1]!;
const h3 = () => hosts[2]!;
const addrOf = (h: Host, sb: string) => json<{ NetworkSettings: { Networks: Record<string, { IPAddress: string; MacAddress: string }> } }[]>(h.cnmOk(['sandbox', 'inspect', sb]))[0]!.NetworkSettings.Networks;
const resolves = (h: Host, sb: string, name: string) => h.exec(['ip', 'netns', 'exec', sb, 'getent', 'hosts', name]).stdout.trim().split(/\s+/)[0] ?? '';
const dig = (h: Host, sb: string, args: string[]) => h.exec(['ip', 'netns', 'exec', sb, 'dig', '+short', '+tries=1', '+time=1', ...args]).stdout.trim().split('\n').filter(Boolean).sort();
const ping = (h: Host, sb: string, to: string) => h.cnm(['sandbox', 'exec', sb, '--', 'ping', '-c1', '-W1', to]).code;
const gateway = (h: Host, sb: string) => h.exec(['ip', 'netns', 'exec', sb, 'awk', '/^nameserver/{print $2; exit}', '/etc/resolv.conf']).stdout.trim();
const fdbRows = (h: Host) =>
  json<{ mac: string; dst?: string; ifname: string }[]>(h.exec(['bridge', '-j', 'fdb', 'show']).stdout).filter((r) => r.ifname.startsWith('cnmx') && r.dst !== undefined);

describe('discovery without flooding on a cluster overlay', () => {
  it('each host holds one FDB entry (MAC -> VTEP) and one neighbour entry per remote sandbox, and no flooding entry', async () => {
    const s2 = addrOf(h2(), 's2').front!;
    const s3 = addrOf(h3(), 's3').front!;
    const want = [`${s2.MacAddress}>${ips[1]}`, `${s3.MacAddress}>${ips[2]}`, `${addrOf(h3(), 's3b').front!.MacAddress}>${ips[2]}`].sort();
    const got = () => fdbRows(h1()).map((r) => `${r.mac}>${r.dst}`).sort();
    expect(await waitFor(() => got().join() === want.join(), 20_000, 100)).toBe(true);
    expect(fdbRows(h1()).filter((r) => r.mac === '00:00:00:00:00:00')).toEqual([]);
    const neigh = h1().exec(['ip', '-4', 'neigh', 'show', 'nud', 'permanent']).stdout;
    expect(neigh).toContain(`${s2.IPAddress} dev cnmx`);
    expect(neigh).toContain(`lladdr ${s2.MacAddress} PERMANENT`);
    expect(h1().exec(['ip', '-d', 'link', 'show', 'type', 'vxlan']).stdout).toMatch(/nolearning proxy/);
  });

  it('sandboxes ping across hosts by name (getent), and curl by NAME.NETWORK', async () => {
    expect(await waitFor(() => resolves(h1(), 's1', 's2') === addrOf(h2(), 's2').front!.IPAddress, 20_000, 100)).toBe(true);
    expect(ping(h1(), 's1', 's2')).toBe(0);
    expect(ping(h1(), 's1', 's3')).toBe(0);
    expect(ping(h3(), 's3', 's1')).toBe(0);
    h2().sh('mkdir -p /run/www && echo hello-by-name > /run/www/index.html');
    h2().background(['ip', 'netns', 'exec', 's2', 'python3', '-m', 'http.server', '8080', '--directory', '/run/www']);
    expect(await waitFor(() => h2().exec(['ip', 'netns', 'exec', 's2', 'ss', '-Htln', 'sport = :8080']).stdout.includes('8080'), 10_000, 100)).toBe(true);
    const r = h1().cnm(['sandbox', 'exec', 's1', '--', 'curl', '-sS', '--max-time', '5', 'http://s2.front:8080/index.html']);
    expect(r.stdout).toBe('hello-by-name\n');
  });

  it('dig answers names, NAME.NETWORK, an alias held on two hosts (both addresses) and PTR', () => {
    const [a1, a2] = [addrOf(h1(), 's1').front!.IPAddress, addrOf(h2(), 's2').front!.IPAddress];
    const ns = `@${gateway(h3(), 's3')}`;
    expect(dig(h3(), 's3', [ns, 's2'])).toEqual([a2]);
    expect(dig(h3(), 's3', [ns, 's1.front'])).toEqual([a1]);
    expect(dig(h3(), 's3', [ns, 'web'])).toEqual([a1, a2].sort());
    expect(dig(h3(), 's3', [ns, '-x', a2])).toEqual(['s2.front.']);
    // NODATA for AAAA of a remote name, as for a local one: no answer, no NXDOMAIN.
    expect(h3().exec(['ip', 'netns', 'exec', 's3', 'dig', '+tries=1', '+time=1', ns, 's2', 'AAAA']).stdout).toMatch(/status: NOERROR/);
  });

  it('only names on shared networks resolve: a sandbox on another cluster network does not', () => {
    const ns = `@${gateway(h1(), 's1')}`;
    expect(resolves(h1(), 's1', 'hidden')).toBe('');
    // h1 takes no part in back: the name is not cnm's here (forwarded upstream, where nothing answers it).
    expect(dig(h1(), 's1', [ns, 'hidden.back'])).toEqual([]);
    expect(dig(h1(), 's1', [ns, 'hidden'])).toEqual([]);
    // And h1, which has no sandbox on back, has no entries of back either.
    const hidden = addrOf(h3(), 'hidden').back!;
    expect(fdbRows(h1()).map((r) => r.mac)).not.toContain(hidden.MacAddress);
  });

  it('a capture on the underlay shows unicast VXLAN to the right host only, and no ARP crossing it', () => {
    const a2 = addrOf(h2(), 's2').front!.IPAddress;
    // Fresh neighbours in s1, so the exchange starts with ARP (answered on h1 by the VXLAN proxy).
    h1().exec(['ip', 'netns', 'exec', 's1', 'ip', 'neigh', 'flush', 'all']);
    const r = h1().sh(
      [
        'timeout 10 tcpdump -l -i ul0 -c 100 -nn -e udp port 4789 >/run/td.out 2>/run/td.err & td=$!',
        'for i in $(seq 100); do grep -q listening /run/td.err && break; sleep 0.05; done',
        `ip netns exec s1 ping -c3 -i 0.2 -W1 ${a2} >/dev/null`,
        'sleep 0.3; kill -INT $td; wait $td; cat /run/td.out',
      ].join('\n'),
      { timeoutMs: 20_000 },
    );
    const lines = r.stdout.split('\n').filter((l) => l.includes('VXLAN'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const outer = lines.map((l) => / (198\.51\.100\.\d+)\.\d+ > (198\.51\.100\.\d+)\.4789:/.exec(l)?.slice(1, 3).join('>'));
    expect(new Set(outer)).toEqual(new Set([`${ips[0]}>${ips[1]}`, `${ips[1]}>${ips[0]}`]));
    expect(r.stdout).not.toMatch(/ARP|ff:ff:ff:ff:ff:ff/);
  });

  it('an endpoint made with --mac (sandbox add, endpoint connect) is known by its own MAC on the other hosts', async () => {
    const [macA, macB] = ['02:aa:bb:cc:dd:01', '02:aa:bb:cc:dd:02'];
    // h1's agent reads and programs its devices itself, over netlink: strace on it sees no process started.
    const agent = Number(h1().exec(['cat', '/var/lib/cnm/cluster-agent.pid']).stdout.trim());
    const traceDir = mkdtempSync(join(tmpdir(), 'cnm-agent-trace-'));
    const trace = spawn('strace', ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', join(traceDir, 'out'), '-p', String(agent)], { stdio: 'ignore' });
    expect(await waitFor(() => readFileSync(`/proc/${agent}/status`, 'utf8').includes(`TracerPid:\t${trace.pid}`), 10_000, 20)).toBe(true);
    h2().cnmOk(['sandbox', 'add', 'sm', '--network', 'front', '--mac', macA.toUpperCase()]);
    h2().cnmOk(['sandbox', 'add', 'sc']);
    h2().cnmOk(['endpoint', 'connect', 'sc', 'front', '--mac', macB]);
    const sm = addrOf(h2(), 'sm').front!;
    const sc = addrOf(h2(), 'sc').front!;
    expect([sm.MacAddress, sc.MacAddress]).toEqual([macA, macB]);
    const has = (mac: string) => fdbRows(h1()).some((r) => r.mac === mac && r.dst === ips[1]);
    expect(await waitFor(() => has(macA) && has(macB), 20_000, 100)).toBe(true);
    const neigh = h1().exec(['ip', '-4', 'neigh', 'show', 'nud', 'permanent']).stdout;
    expect(neigh).toContain(`${sm.IPAddress} dev cnmx`);
    expect(neigh).toMatch(new RegExp(`${sm.IPAddress.replaceAll('.', '\\.')} dev \\S+ lladdr ${macA} PERMANENT`));
    await new Promise((r) => setTimeout(r, 5_500)); // one full pass (every 5 s: it reads each device) in the window too
    trace.kill('SIGINT');
    expect(await waitFor(() => trace.exitCode !== null || trace.signalCode !== null, 10_000, 20)).toBe(true);
    // Neither programming nor the full pass every 5 s (its reads are RTM_GETNEIGH dumps) runs a process.
    expect(readFileSync(join(traceDir, 'out'), 'utf8').split('\n').filter((l) => l.includes('execve('))).toEqual([]);
    rmSync(traceDir, { recursive: true, force: true });
    // Traffic proves it: with the derived MAC in the FDB, frames for sm would go nowhere.
    expect(await waitFor(() => resolves(h1(), 's1', 'sm') === sm.IPAddress, 20_000, 100)).toBe(true);
    expect(ping(h1(), 's1', 'sm')).toBe(0);
    expect(ping(h1(), 's1', sc.IPAddress)).toBe(0);
    h2().cnmOk(['sandbox', 'rm', '--force', 'sm', 'sc']);
  });
});

describe('what etcd sends the agents', () => {
  it('each agent watches the alive keys and the claims on one stream: an add sends each its claim events, not the cursor; a net create sends none', async () => {
    // Counted by etcd itself (its /metrics): events sent to all watchers, watchers and watch streams.
    expect(store.metric('etcd_debugging_mvcc_watch_stream_total')).toBe(3);
    expect(store.metric('etcd_debugging_mvcc_watcher_total')).toBe(6);
    const before = store.metric('etcd_debugging_mvcc_events_total');
    // A warm add on h2: one transaction puts h2's gateway claim, the sandbox's claim and the cursor.
    h2().cnmOk(['sandbox', 'add', 'ev', '--network', 'front']);
    expect(await waitFor(() => resolves(h1(), 's1', 'ev') !== '', 10_000, 50)).toBe(true);
    // Two events to each of the three agents (on the tree before: three, the cursor's too).
    expect(store.metric('etcd_debugging_mvcc_events_total') - before).toBe(6);
    const mid = store.metric('etcd_debugging_mvcc_events_total');
    h1().cnmOk(['net', 'create', 'quiet', '--driver', 'overlay']); // its network, VNI and subnet keys
    h1().cnmOk(['net', 'rm', 'quiet']);
    h2().cnmOk(['sandbox', 'rm', 'ev']);
    expect(await waitFor(() => resolves(h1(), 's1', 'ev') === '', 10_000, 50)).toBe(true);
    // The rm deletes its claim (one event to each agent); the network's keys are sent to none.
    expect(store.metric('etcd_debugging_mvcc_events_total') - mid).toBe(3);
  });
});

describe('live changes reach every host by themselves', () => {
  it('a sandbox removed on h2 is neither resolved nor reached from h1, with no command run there', async () => {
    const s2 = addrOf(h2(), 's2').front!;
    h2().cnmOk(['sandbox', 'rm', '--force', 's2']); // its http.server goes with it
    const gone = () => resolves(h1(), 's1', 's2') === '' && !fdbRows(h1()).some((r) => r.mac === s2.MacAddress);
    // Bounded loosely for loaded machines; the time it takes is measured by bench/cluster.sh --scale.
    expect(await waitFor(gone, 10_000, 50)).toBe(true);
    expect(ping(h1(), 's1', s2.IPAddress)).not.toBe(0);
    // The alias web now answers h1's s1 only.
    expect(dig(h3(), 's3', [`@${gateway(h3(), 's3')}`, 'web'])).toEqual([addrOf(h1(), 's1').front!.IPAddress]);
  });

  it("a host whose agent dies: after its lease's TTL its names and entries vanish on the others", async () => {
    expect(resolves(h1(), 's1', 's3b')).not.toBe('');
    const pid = Number(h3().exec(['cat', '/var/lib/cnm/cluster-agent.pid']).stdout.trim());
    expect(pid).toBeGreaterThan(0);
    h3().exec(['kill', '-KILL', String(pid)]);
    const gone = () => resolves(h1(), 's1', 's3b') === '' && !fdbRows(h1()).some((r) => r.dst === ips[2]);
    expect(await waitFor(gone, (TTL + 15) * 1000, 200)).toBe(true);
    // It comes back with its addresses once its agent runs again (reconcile starts it).
    h3().cnmOk(['reconcile']);
    expect(await waitFor(() => resolves(h1(), 's1', 's3b') === addrOf(h3(), 's3b').front!.IPAddress, 20_000, 200)).toBe(true);
    expect(ping(h1(), 's1', 's3b')).toBe(0);
  });
});

describe('the store or an agent away', () => {
  it('etcd stopped and restarted with nothing changed: a later add still reaches the other hosts', async () => {
    await store.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await store.start();
    h3().cnmOk(['sandbox', 'add', 's5', '--network', 'front']);
    expect(await waitFor(() => resolves(h1(), 's1', 's5') === addrOf(h3(), 's5').front!.IPAddress, 20_000, 200)).toBe(true);
    expect(ping(h1(), 's1', 's5')).toBe(0);
  });

  it("an add while another host's agent is stopped: started again, that agent catches up", async () => {
    const pid = Number(h1().exec(['cat', '/var/lib/cnm/cluster-agent.pid']).stdout.trim());
    h1().exec(['kill', '-TERM', String(pid)]);
    expect(await waitFor(() => h1().exec(['test', '-e', `/proc/${pid}`]).code !== 0, 5000, 100)).toBe(true);
    h3().cnmOk(['sandbox', 'add', 's6', '--network', 'front']);
    await new Promise((r) => setTimeout(r, 500));
    expect(resolves(h1(), 's1', 's6')).toBe(''); // nobody told h1 yet
    h1().cnmOk(['reconcile']); // starts the agent again
    expect(await waitFor(() => resolves(h1(), 's1', 's6') === addrOf(h3(), 's6').front!.IPAddress, 20_000, 200)).toBe(true);
    expect(ping(h1(), 's1', 's6')).toBe(0);
  });
});

describe('a host lost whole', () => {
  it('h3 killed whole (every process, every namespace): its names vanish on h1 within the TTL; a fresh h3 with the old state and `reconcile --restore` comes back', async () => {
    const before = addrOf(h3(), 's3b').front!;
    expect(await waitFor(() => resolves(h1(), 's1', 's3b') === before.IPAddress, 20_000, 200)).toBe(true);
    // What survives a host's death is its disk: a copy of its state dir (the host's own tmpfs).
    const disk = mkdtempSync(join(tmpdir(), 'cnm-h3-disk-'));
    try {
      expect(h3().exec(['cp', '-a', '/var/lib/cnm/.', disk]).code).toBe(0);
      await h3().destroy(); // agent, DNS servers, sandboxes, the host's network namespace and its underlay port
      const gone = () => resolves(h1(), 's1', 's3b') === '' && resolves(h1(), 's1', 's3') === '' && !fdbRows(h1()).some((r) => r.dst === ips[2]);
      expect(await waitFor(gone, (TTL + 15) * 1000, 200)).toBe(true);
      expect(ping(h1(), 's1', before.IPAddress)).not.toBe(0);

      // A fresh machine on the same underlay address, its disk restored.
      const { host } = await store.addHost('h3', ips[2]);
      hosts[2] = host;
      expect(host.exec(['cp', '-a', `${disk}/.`, '/var/lib/cnm/']).code).toBe(0);
      expect(host.exec(['ip', 'netns', 'list']).stdout.trim()).toBe('');
      host.cnmOk(['reconcile', '--restore']); // sandboxes, the overlay's local part, and the agent
      const after = addrOf(h3(), 's3b').front!;
      expect([after.IPAddress, after.MacAddress]).toEqual([before.IPAddress, before.MacAddress]); // same address, same MAC: the claims in the store still hold
      expect(await waitFor(() => resolves(h1(), 's1', 's3b') === before.IPAddress && fdbRows(h1()).some((r) => r.mac === before.MacAddress && r.dst === ips[2]), 20_000, 200)).toBe(true);
      // The reply needs the fresh h3's entries for h1's sandboxes too, which its new agent programs a moment later.
      expect(await waitFor(() => ping(h1(), 's1', 's3b') === 0, 20_000, 200)).toBe(true);
      expect(await waitFor(() => ping(h1(), 's1', 's3') === 0, 20_000, 200)).toBe(true);
      // And the fresh h3 knows the others again: its sandboxes resolve and reach h1's by name.
      expect(await waitFor(() => resolves(h3(), 's3', 's1') === addrOf(h1(), 's1').front!.IPAddress, 20_000, 200)).toBe(true);
      expect(ping(h3(), 's3', 's1')).toBe(0);
    } finally {
      rmSync(disk, { recursive: true, force: true });
    }
  }, 120_000);
});
