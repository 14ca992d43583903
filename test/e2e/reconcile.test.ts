/**
 * Outside interference and reboots: reconcile finds what was broken, repairs
 * it, traffic flows again, and a second run finds nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

interface Finding {
  object: string;
  problem: string;
  status: string;
}

const reconcile = (h: Host, args: string[] = []) => json<{ findings: Finding[] }>(h.cnmOk(['reconcile', '--json', ...args])).findings;
const addrOf = (h: Host, sb: string, net: string) => {
  const [v] = json<{ Containers: Record<string, { Name: string; IPv4Address: string }> }[]>(h.cnmOk(['net', 'inspect', net]));
  return Object.values(v!.Containers).find((c) => c.Name === sb)!.IPv4Address.split('/')[0]!;
};
const ping = (h: Host, from: string, to: string) => h.cnm(['sandbox', 'exec', from, '--', 'ping', '-c1', '-W1', to]).code;

describe('reconcile repairs outside interference', () => {
  let host: Host;
  let internet: string;
  beforeAll(async () => {
    host = await Host.create();
    internet = (await withInternet(host)).internetAddr;
    host.cnmOk(['net', 'create', 'front']);
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'front']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'front']);
  });
  afterAll(destroyAll);

  it('finds nothing on a healthy host', () => {
    expect(reconcile(host)).toEqual([]);
    expect(ping(host, 'a', addrOf(host, 'b', 'front'))).toBe(0);
    expect(ping(host, 'a', internet)).toBe(0);
  });

  it('a DNS server killed behind cnm\'s back is started again, and names resolve', async () => {
    const lookup = () => host.cnm(['sandbox', 'exec', 'a', '--', 'getent', 'hosts', 'b']).stdout;
    expect(lookup()).toContain(addrOf(host, 'b', 'front'));
    const pid = Number(/running \(pid (\d+)\)/.exec(host.cnmOk(['dns', 'status']))![1]);
    host.exec(['kill', '-9', String(pid)]);
    expect(await waitFor(() => /not running/.test(host.cnmOk(['dns', 'status'])))).toBe(true);
    expect(reconcile(host, ['--dry-run'])).toEqual([expect.objectContaining({ object: 'dns server', status: 'planned' })]);
    expect(reconcile(host)).toEqual([expect.objectContaining({ object: 'dns server', status: 'repaired' })]);
    expect(lookup()).toContain(addrOf(host, 'b', 'front'));
    expect(reconcile(host)).toEqual([]);
  });

  it('a new DNS server is not taken for listening on the addresses a killed one left behind', async () => {
    const lookup = () => host.cnm(['sandbox', 'exec', 'a', '--', 'getent', 'hosts', 'b']).stdout;
    const [net] = json<{ IPAM: { Config: { Gateway: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'front']));
    const gateway = net!.IPAM.Config[0]!.Gateway;
    const pid = Number(/running \(pid (\d+)\)/.exec(host.cnmOk(['dns', 'status']))![1]);
    host.exec(['kill', '-9', pid.toString()]); // its addresses file stays, naming the gateway
    expect(await waitFor(() => /not running/.test(host.cnmOk(['dns', 'status'])))).toBe(true);
    // The DNS port on the gateway is taken, so the next server cannot listen there.
    const holder = host.background(['python3', '-c', `import socket, time\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('${gateway}', 53))\ns.listen()\ntime.sleep(60)`]);
    try {
      expect(await waitFor(() => host.exec(['ss', '-Hltn', `src ${gateway}:53`]).stdout.trim() !== '')).toBe(true);
      // It says so (exit 1). It said 'repaired' at once before: the new server's pid and the dead one's addresses.
      const r = host.cnm(['reconcile', '--json']);
      expect(json<{ findings: Finding[] }>(r.stdout).findings).toEqual([expect.objectContaining({ object: 'dns server', status: 'failed' })]);
      expect(r.code).toBe(1);
    } finally {
      holder.kill();
    }
    // Once the port is free, the server that did start binds it at its next poll, and names resolve.
    expect(await waitFor(() => lookup().includes(addrOf(host, 'b', 'front')))).toBe(true);
    expect(reconcile(host)).toEqual([]);
  });

  it('nft flush ruleset: NAT is gone until reconcile rewrites the table', () => {
    host.sh('nft flush ruleset');
    expect(ping(host, 'a', internet)).not.toBe(0);
    const dry = reconcile(host, ['--dry-run']);
    expect(dry.map((f) => f.status)).toContain('planned');
    expect(dry.some((f) => /table inet cnm missing/.test(f.problem))).toBe(true);
    expect(ping(host, 'a', internet)).not.toBe(0); // a dry run changes nothing
    const fixed = reconcile(host);
    expect(fixed.length).toBeGreaterThan(0);
    expect(fixed.every((f) => f.status === 'repaired')).toBe(true);
    expect(ping(host, 'a', internet)).toBe(0);
    expect(reconcile(host)).toEqual([]);
  });

  it('a deleted bridge is recreated and its veths attached again', () => {
    const [net] = json<{ Options: Record<string, string>; Id: string }[]>(host.cnmOk(['net', 'inspect', 'front']));
    const bridge = `cnm-${net!.Id.slice(0, 11)}`;
    expect(host.sh(`ip link del ${bridge}`).code).toBe(0);
    expect(ping(host, 'a', addrOf(host, 'b', 'front'))).not.toBe(0);
    const fixed = reconcile(host);
    expect(fixed.map((f) => f.object)).toEqual(expect.arrayContaining(['network front', 'endpoint a/front', 'endpoint b/front']));
    expect(ping(host, 'a', addrOf(host, 'b', 'front'))).toBe(0);
    expect(ping(host, 'b', internet)).toBe(0);
    expect(reconcile(host)).toEqual([]);
  });

  it('a deleted veth is recreated with the same address and default route', () => {
    const [sb] = json<{ Id: string }[]>(host.cnmOk(['sandbox', 'inspect', 'b']));
    const state = json<{ endpoints: { sandboxId: string; hostIfname: string }[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout);
    const veth = state.endpoints.find((e) => e.sandboxId === sb!.Id)!.hostIfname;
    const addr = addrOf(host, 'b', 'front');
    expect(host.sh(`ip link del ${veth}`).code).toBe(0);
    expect(ping(host, 'a', addr)).not.toBe(0);
    expect(reconcile(host).map((f) => f.object)).toEqual(['endpoint b/front']);
    expect(ping(host, 'a', addr)).toBe(0);
    expect(ping(host, 'b', internet)).toBe(0);
    expect(reconcile(host)).toEqual([]);
  });

  it('a deleted netns is reported, and --restore brings it back with its address', () => {
    const addr = addrOf(host, 'b', 'front');
    expect(host.sh('ip netns del b').code).toBe(0);
    const seen = reconcile(host);
    expect(seen).toEqual([expect.objectContaining({ object: 'sandbox b', status: 'pending' })]);
    const restored = reconcile(host, ['--restore']);
    expect(restored.length).toBeGreaterThan(0);
    expect(restored.every((f) => f.status === 'repaired')).toBe(true);
    expect(addrOf(host, 'b', 'front')).toBe(addr);
    // A failure here once in CI could not be reproduced: say what the kernel held if it happens again.
    const reached = ping(host, 'a', addr);
    if (reached !== 0) {
      const seen = { restored, now: reconcile(host, ['--dry-run']), b: host.exec(['ip', '-n', 'b', 'addr']).stdout, links: host.exec(['ip', '-br', 'link']).stdout };
      expect.fail(`a cannot reach the restored b: ${JSON.stringify(seen)}`);
    }
    expect(ping(host, 'b', internet)).toBe(0);
    expect(reconcile(host)).toEqual([]);
  });

  it('orphans carrying cnm marks are removed: a veth, a bridge, a chain, a namespace with cnm files', () => {
    host.sh(
      [
        'ip link add veth0123456789a type veth peer name tmp0',
        'ip link add cnm-abcdefabcde type bridge',
        'nft add chain inet cnm n-abcdefabcdef-out',
        'ip netns add ghost && mkdir -p /etc/netns/ghost && echo "# written by cnm for sandbox ghost" > /etc/netns/ghost/resolv.conf',
        'ip netns add mine', // not cnm's: no cnm file, must survive
      ].join(' && '),
    );
    const fixed = reconcile(host);
    expect(fixed.map((f) => f.object).sort()).toEqual(['link cnm-abcdefabcde', 'link veth0123456789a', 'namespace ghost', 'nftables orphans']);
    expect(host.exec(['ip', 'netns', 'list']).stdout).toMatch(/mine/);
    expect(host.exec(['ip', 'netns', 'list']).stdout).not.toMatch(/ghost/);
    expect(host.exec(['ls', '/etc/netns']).stdout).not.toMatch(/ghost/);
    expect(reconcile(host)).toEqual([]);
    host.sh('ip netns del mine');
  });

  it('an adopted sandbox whose process died is dropped and its address released', async () => {
    // nsenter and unshare exec what follows them, so the holder's PID is the sleep's, in its own namespace
    // once it runs sleep. Never a machine-wide pgrep: test hosts share the PID namespace with all else.
    const proc = host.background(['unshare', '--net', 'sleep', '600']);
    const pid = proc.pid ?? 0;
    expect(await waitFor(() => host.exec(['cat', `/proc/${pid}/comm`]).stdout.trim() === 'sleep')).toBe(true);
    expect(host.exec(['readlink', `/proc/${pid}/ns/net`]).stdout.trim()).not.toBe(host.netnsId());
    host.cnmOk(['sandbox', 'add', 'adopted', '--pid', String(pid), '--network', 'front']);
    const addr = addrOf(host, 'adopted', 'front');
    expect(reconcile(host)).toEqual([]);
    host.sh(`kill -9 ${pid}`);
    proc.kill('SIGKILL');
    host.sh('sleep 0.2');
    const fixed = reconcile(host);
    expect(fixed).toEqual([expect.objectContaining({ object: 'sandbox adopted', status: 'repaired' })]);
    expect(host.cnmOk(['sandbox', 'ls', '-q']).split('\n').filter(Boolean)).toHaveLength(2);
    expect(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).not.toContain(`"${addr}/`);
    expect(reconcile(host)).toEqual([]);
  });
});

describe('reboot: state kept, kernel empty', () => {
  let old: Host;
  let fresh: Host;
  const addr: Record<string, string> = {};
  beforeAll(async () => {
    old = await Host.create('before-reboot');
    old.cnmOk(['net', 'create', 'frontend']);
    old.cnmOk(['net', 'create', 'backend']);
    old.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend']);
    old.cnmOk(['sandbox', 'add', 'api', '--network', 'frontend', '--network', 'backend']);
    old.cnmOk(['sandbox', 'add', 'db', '--network', 'backend']);
    for (const [sb, net] of [['web', 'frontend'], ['api', 'frontend'], ['api', 'backend'], ['db', 'backend']] as const) addr[`${sb}@${net}`] = addrOf(old, sb, net);
    const stateText = old.exec(['cat', '/var/lib/cnm/state.json']).stdout;
    await old.destroy();
    fresh = await Host.create('after-reboot');
    expect(fresh.exec(['sh', '-c', 'cat > /var/lib/cnm/state.json'], { input: stateText }).code).toBe(0);
  });
  afterAll(destroyAll);

  it('reconcile recreates the networks and reports the sandboxes', () => {
    const found = reconcile(fresh);
    expect(found.filter((f) => f.status === 'pending').map((f) => f.object).sort()).toEqual(['sandbox api', 'sandbox db', 'sandbox web']);
    expect(found.filter((f) => f.status === 'failed')).toEqual([]);
    const links = fresh.exec(['ip', '-br', 'link']).stdout;
    expect(links.match(/^cnm-[0-9a-f]{11}/gm)).toHaveLength(2);
    // Only the pending sandboxes are left to do.
    expect(reconcile(fresh).map((f) => f.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('sandbox restore and reconcile --restore bring the three tiers back with the same addresses', () => {
    const one = json<{ findings: Finding[] }>(fresh.cnmOk(['sandbox', 'restore', 'web', '--json'])).findings;
    expect(one.some((f) => f.object === 'sandbox web' && f.status === 'repaired')).toBe(true);
    expect(reconcile(fresh, ['--restore']).filter((f) => f.status !== 'repaired')).toEqual([]);
    for (const [k, v] of Object.entries(addr)) {
      const [sb, net] = k.split('@') as [string, string];
      expect(addrOf(fresh, sb, net)).toBe(v);
    }
    expect(ping(fresh, 'web', addr['api@frontend']!)).toBe(0);
    expect(ping(fresh, 'api', addr['db@backend']!)).toBe(0);
    expect(ping(fresh, 'db', addr['api@backend']!)).toBe(0);
    expect(ping(fresh, 'web', addr['db@backend']!)).not.toBe(0); // isolation came back too
    expect(reconcile(fresh)).toEqual([]);
  });
});
