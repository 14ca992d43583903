import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, type Result, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

/**
 * cnm driven exactly as libcni drives a plugin: the command and the
 * attachment in CNI_* variables, the plugin configuration (with
 * runtimeConfig and prevResult) on stdin, the result or error on stdout.
 * Containers are namespace files made the way runtimes make them (a bind
 * mount of `unshare --net`), outside /run/netns. Chained before Debian's
 * stock `bandwidth` and `tuning` plugins (containernetworking-plugins).
 */
const PLUGINS = '/usr/lib/cni';

interface CniResult {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string; mtu?: number }[];
  ips: { address: string; gateway?: string; interface?: number; version?: string }[];
  routes: { dst: string; gw?: string }[];
  dns: { nameservers?: string[]; search?: string[] };
}

interface CniError {
  cniVersion: string;
  code: number;
  msg: string;
  details: string;
}

describe('cnm as a CNI plugin (libcni protocol)', () => {
  let host: Host;
  let internet: Host;
  let gateway: string;

  /** One plugin run: `bin` (cnm, or a stock plugin) with the CNI variables and the configuration on stdin. */
  const run = (command: string, conf: Record<string, unknown>, env: Record<string, string> = {}, bin = CNM): Result =>
    host.exec([bin], { input: JSON.stringify(conf), env: { CNI_COMMAND: command, CNI_PATH: PLUGINS, ...env } });
  const attachEnv = (id: string, ifname = 'eth0') => ({ CNI_CONTAINERID: id, CNI_NETNS: `/run/ctr/${id}`, CNI_IFNAME: ifname });
  const front = (extra: Record<string, unknown> = {}) => ({ cniVersion: '1.0.0', name: 'front', type: 'cnm', ...extra });
  const add = (id: string, conf: Record<string, unknown> = front(), ifname = 'eth0'): CniResult => {
    const r = run('ADD', conf, attachEnv(id, ifname));
    if (r.code !== 0) throw new Error(`ADD ${id} exited ${r.code}: ${r.stdout} ${r.stderr}`);
    return json<CniResult>(r.stdout); // nothing but the result on stdout
  };
  const failure = (r: Result): CniError => {
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    return json<CniError>(r.stdout);
  };
  /** A container's namespace, as runtimes make one: a file bind-mounted to a new network namespace. */
  const container = (id: string) => {
    const r = host.sh(`mkdir -p /run/ctr && touch /run/ctr/${id} && unshare --net=/run/ctr/${id} true && nsenter --net=/run/ctr/${id} ip link set lo up`);
    if (r.code !== 0) throw new Error(r.stderr);
  };
  const inCtr = (id: string, cmd: string) => host.sh(`nsenter --net=/run/ctr/${id} ${cmd}`);
  const snapshot = () => host.sh('cat /var/lib/cnm/state.json; ip -br link; ls /run/netns; nft list ruleset').stdout;

  beforeAll(async () => {
    host = await Host.create();
    ({ internet } = await withInternet(host));
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.88.0.0/24']);
    gateway = '10.88.0.1';
    host.cnmOk(['sandbox', 'add', 'db', '--network', 'front', '--dns', '127.0.0.1']);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']) container(id);
  });
  afterAll(destroyAll);

  it('VERSION lists the spec versions, answering in the version asked', () => {
    const r = run('VERSION', { cniVersion: '1.0.0' });
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual({ cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD adopts CNI_NETNS as CNI_IFNAME and prints interfaces, ips, routes and dns; the container reaches and resolves a cnm sandbox', async () => {
    const res = add('c1', front({ runtimeConfig: { aliases: ['webby'] } }), 'net1');
    expect(res.cniVersion).toBe('1.0.0');
    const inside = res.interfaces.findIndex((i) => i.sandbox === '/run/ctr/c1');
    expect(res.interfaces[inside]!.name).toBe('net1');
    expect(res.interfaces.some((i) => !i.sandbox && /^veth/.test(i.name))).toBe(true);
    expect(res.ips).toEqual([{ address: '10.88.0.3/24', gateway, interface: inside }]);
    expect(res.routes).toEqual([{ dst: '0.0.0.0/0', gw: gateway }]);
    expect(res.dns).toEqual({ nameservers: [gateway], search: ['front'] });
    // The kernel has what the result says.
    expect(inCtr('c1', 'ip -br addr show net1').stdout).toContain('10.88.0.3/24');
    expect(inCtr('c1', 'ip route show default').stdout).toContain(`via ${gateway} dev net1`);
    // Traffic and names both ways: the container finds db, db finds the container by ID and alias.
    expect(inCtr('c1', 'ping -c1 -W2 10.88.0.2').code).toBe(0);
    await waitFor(() => inCtr('c1', `dig +short +time=1 +tries=1 @${gateway} db`).stdout.trim() === '10.88.0.2', 5000);
    expect(inCtr('c1', `dig +short +time=1 +tries=1 @${gateway} db.front`).stdout.trim()).toBe('10.88.0.2');
    for (const name of ['c1', 'webby']) expect(host.cnm(['sandbox', 'exec', 'db', '--', 'dig', '+short', '+time=1', `@${gateway}`, name]).stdout.trim()).toBe('10.88.0.3');
    // It is a cnm endpoint like any other.
    const net = json<{ Containers: Record<string, { Name: string; IPv4Address: string }> }[]>(host.cnmOk(['net', 'inspect', 'front']))[0]!;
    expect(Object.values(net.Containers).map((c) => `${c.Name} ${c.IPv4Address}`)).toContain('c1 10.88.0.3/24');
    // The runtime's namespace file is untouched; cnm holds its own name for it.
    expect(host.sh('ls /run/ctr/c1 /run/netns/c1').code).toBe(0);
  });

  it('a second ADD of the same attachment is refused and leaves the first intact', () => {
    const before = snapshot();
    const e = failure(run('ADD', front(), attachEnv('c1', 'net1')));
    expect(e.code).toBe(104);
    expect(e.details).toContain('net1');
    expect(snapshot()).toBe(before);
    expect(inCtr('c1', 'ping -c1 -W2 10.88.0.2').code).toBe(0);
  });

  it('portMappings publish through the DNAT maps: the internet reaches the container with its own address', async () => {
    add('c2', front({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } }));
    host.background(['nsenter', '--net=/run/ctr/c2', 'socat', 'TCP4-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo hello-$SOCAT_PEERADDR']);
    expect(await waitFor(() => /:80\s/.test(inCtr('c2', 'ss -lnt').stdout), 10_000, 100)).toBe(true);
    expect(internet.exec(['socat', '-T2', '-', 'TCP4:203.0.113.1:8080'], { input: '' }).stdout.trim()).toBe('hello-203.0.113.254');
    expect(host.cnmOk(['port', 'c2'])).toContain('80/tcp -> 0.0.0.0:8080');
  });

  it('ips, mac and a 0.4.0 result (addresses carry their version)', () => {
    const r = run('ADD', { ...front({ runtimeConfig: { ips: ['10.88.0.77/24'], mac: '02:00:00:00:00:77' } }), cniVersion: '0.4.0' }, attachEnv('c3'));
    expect(r.code, r.stdout).toBe(0);
    const res = json<CniResult>(r.stdout);
    expect(res.cniVersion).toBe('0.4.0');
    expect(res.ips).toEqual([{ version: '4', address: '10.88.0.77/24', gateway, interface: 1 }]);
    expect(inCtr('c3', 'ip -br link show eth0').stdout).toContain('02:00:00:00:00:77');
    expect(run('DEL', { ...front(), cniVersion: '0.4.0' }, attachEnv('c3')).code).toBe(0);
  });

  it('CHECK passes on a healthy attachment and fails with a spec error when the kernel drifted', () => {
    const res = add('c4');
    expect(run('CHECK', front({ prevResult: res }), attachEnv('c4')).stdout).toBe('');
    expect(run('CHECK', front({ prevResult: res }), attachEnv('c4')).code).toBe(0);
    inCtr('c4', 'ip addr flush dev eth0');
    const e = failure(run('CHECK', front({ prevResult: res }), attachEnv('c4')));
    expect(e.code).toBe(110);
    expect(e.details).toContain(`address ${res.ips[0]!.address} missing on eth0`);
    // cnm reconcile repairs it, and CHECK agrees.
    host.cnmOk(['reconcile']);
    expect(run('CHECK', front({ prevResult: res }), attachEnv('c4')).code).toBe(0);
    // A CHECK for an attachment cnm never made: container unknown.
    expect(failure(run('CHECK', front(), attachEnv('c6'))).code).toBe(3);
  });

  it('DEL removes the attachment and its port, is idempotent, and succeeds when the namespace is gone or ADD never ran', () => {
    expect(run('DEL', front(), attachEnv('c2')).code).toBe(0);
    expect(run('DEL', front(), attachEnv('c2')).stdout).toBe('');
    expect(host.sh('ls /run/netns/c2').code).not.toBe(0);
    expect(host.sh('ls /run/ctr/c2').code).toBe(0); // the runtime's own namespace stays
    expect(inCtr('c2', 'ip -br link').stdout).not.toContain('eth0');
    expect(host.exec(['nft', 'list', 'map', 'inet', 'cnm', 'dnat4']).stdout).not.toContain('8080');
    expect(internet.exec(['socat', '-T2', '-', 'TCP4:203.0.113.1:8080'], { input: '' }).stdout.trim()).toBe('');
    // The runtime removed the namespace before its DEL.
    add('c5');
    host.sh('umount /run/ctr/c5 && rm /run/ctr/c5');
    expect(run('DEL', front(), attachEnv('c5')).code).toBe(0);
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']).trim().split('\n').sort()).toEqual(['c1', 'c4', 'db']);
    // A DEL for an ADD that never ran, without CNI_NETNS.
    expect(run('DEL', front(), { CNI_CONTAINERID: 'never', CNI_IFNAME: 'eth0' }).code).toBe(0);
  });

  it('GC removes the attachments of this configuration the runtime no longer lists, and nothing else', () => {
    host.sh('touch /run/ctr/c7 && unshare --net=/run/ctr/c7 true');
    add('c7', { ...front(), name: 'other', network: 'front' });
    const gc = (valid: unknown[], v = '1.1.0') => run('GC', { cniVersion: v, name: 'front', type: 'cnm', 'cni.dev/valid-attachments': valid });
    expect(failure(gc([], '1.0.0')).code).toBe(1);
    expect(failure(run('GC', { cniVersion: '1.1.0', name: 'front', type: 'cnm' })).code).toBe(7);
    expect(gc([{ containerID: 'c1', ifname: 'net1' }]).code).toBe(0);
    const left = host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']).trim().split('\n').sort();
    expect(left).toEqual(['c1', 'c7', 'db']); // c4 went; db is no attachment, c7 is another configuration's
    expect(inCtr('c4', 'ip -br link').stdout).not.toContain('eth0');
    expect(run('DEL', { ...front(), name: 'other', network: 'front' }, attachEnv('c7')).code).toBe(0);
  });

  it('STATUS: ready, not available (50) without the network, limited (51) when its bridge is gone', () => {
    const status = (conf: Record<string, unknown>) => run('STATUS', { cniVersion: '1.1.0', type: 'cnm', ...conf });
    expect(status({ name: 'front' }).code).toBe(0);
    expect(failure(status({ name: 'nope' })).code).toBe(50);
    const bridge = json<{ Options: Record<string, string> }[]>(host.cnmOk(['net', 'inspect', 'front']))[0]!.Options['com.docker.network.bridge.name'];
    expect(bridge).toMatch(/^cnm-/);
    host.sh(`ip link del ${bridge}`);
    const e = failure(status({ name: 'front' }));
    expect(e.code).toBe(51);
    expect(e.details).toContain(bridge);
    host.cnmOk(['reconcile']);
    expect(status({ name: 'front' }).code).toBe(0);
    expect(inCtr('c1', 'ping -c1 -W2 10.88.0.2').code).toBe(0);
  });

  it('chained before the stock bandwidth and tuning plugins through prevResult, and torn down in reverse', () => {
    const list = [
      { type: 'cnm', conf: front() },
      { type: 'bandwidth', conf: { cniVersion: '1.0.0', name: 'front', type: 'bandwidth', runtimeConfig: { bandwidth: { egressRate: 8_000_000, egressBurst: 80_000, ingressRate: 8_000_000, ingressBurst: 80_000 } } } },
      { type: 'tuning', conf: { cniVersion: '1.0.0', name: 'front', type: 'tuning', mtu: 1400, sysctl: { 'net.ipv4.conf.eth0.arp_notify': '1' } } },
    ];
    const bin = (t: string) => (t === 'cnm' ? CNM : `${PLUGINS}/${t}`);
    let prev: unknown;
    for (const p of list) {
      const r = run('ADD', prev ? { ...p.conf, prevResult: prev } : p.conf, attachEnv('c6'), bin(p.type));
      expect(r.code, `${p.type}: ${r.stdout}${r.stderr}`).toBe(0);
      prev = json(r.stdout);
    }
    const final = prev as CniResult;
    const veth = final.interfaces.find((i) => !i.sandbox && i.name.startsWith('veth'))!.name;
    expect(host.sh(`tc qdisc show dev ${veth}`).stdout).toContain('tbf');
    expect(inCtr('c6', 'ip link show eth0').stdout).toContain('mtu 1400');
    expect(inCtr('c6', 'cat /proc/sys/net/ipv4/conf/eth0/arp_notify').stdout.trim()).toBe('1');
    expect(inCtr('c6', 'ping -c1 -W2 10.88.0.2').code).toBe(0);
    for (const p of list) {
      const r = run('CHECK', { ...p.conf, prevResult: final }, attachEnv('c6'), bin(p.type));
      expect(r.code, `${p.type}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    for (const p of [...list].reverse()) {
      const r = run('DEL', { ...p.conf, prevResult: final }, attachEnv('c6'), bin(p.type));
      expect(r.code, `${p.type}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    expect(host.sh(`ip link show ${veth}`).code).not.toBe(0);
    expect(host.sh('ip -br link').stdout).not.toMatch(/bwp|ifb/);
    expect(inCtr('c6', 'ip -br link').stdout).not.toContain('eth0');
  });

  it('bad input is a spec error on stdout with a non-zero exit, and changes nothing', () => {
    const before = snapshot();
    const cases: [string, Record<string, unknown> | string, Record<string, string>, number][] = [
      ['ADD', front({ network: 'missing' }), attachEnv('c4'), 7],
      ['ADD', front(), { CNI_CONTAINERID: 'c4', CNI_IFNAME: 'eth0' }, 4],
      ['ADD', '{"cniVersion": "1.0.0", "name": ', attachEnv('c4'), 6],
      ['ADD', { ...front(), cniVersion: '0.2.0' }, attachEnv('c4'), 1],
      ['ADD', { ...front(), cniVersion: '9.9.9' }, attachEnv('c4'), 1],
      ['ADD', front(), { ...attachEnv('c4'), CNI_IFNAME: 'a/b' }, 4],
      ['ADD', front(), { ...attachEnv('c4'), CNI_CONTAINERID: '-x' }, 4],
      ['ADD', front(), { ...attachEnv('c4'), CNI_NETNS: '/run/ctr/none' }, 4],
      ['ADD', front({ runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } }), attachEnv('c4'), 7],
      ['ADD', front({ runtimeConfig: { ips: ['10.99.0.5/24'] } }), attachEnv('c4'), 102],
      ['ADD', { cniVersion: '1.0.0', type: 'cnm' }, attachEnv('c4'), 7],
      ['FROB', front(), attachEnv('c4'), 4],
    ];
    for (const [command, conf, env, code] of cases) {
      const r = host.exec([CNM], { input: typeof conf === 'string' ? conf : JSON.stringify(conf), env: { CNI_COMMAND: command, ...env } });
      const e = failure(r);
      expect({ conf, code: e.code }).toEqual({ conf, code });
      expect(e.msg.length).toBeGreaterThan(0);
      expect(typeof e.details).toBe('string');
    }
    expect(snapshot()).toBe(before);
  });

  it('cni install: --dry-run prints the link and the list and writes nothing; an unknown network is refused (exit 3)', () => {
    const dry = host.cnm(['cni', 'install', '--bin-dir', '/run/install-test/bin', '--conf-dir', '/run/install-test/net.d', 'front', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`ln -sfn ${CNM} /run/install-test/bin/cnm`);
    expect(dry.stdout).toContain('/run/install-test/net.d/10-cnm-front.conflist');
    expect(dry.stdout).toContain('"portMappings": true');
    expect(host.sh('ls /run/install-test').code).not.toBe(0);
    const bad = host.cnm(['cni', 'install', '--bin-dir', '/run/install-test/bin', '--conf-dir', '/run/install-test/net.d', 'front', 'nope']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^cnm: network "nope" not found/);
    expect(host.sh('ls /run/install-test').code).not.toBe(0);
  });

  it('any name runs the plugin: a link named after the type, as runtimes find it', () => {
    host.sh(`mkdir -p /run/bin && ln -sf ${CNM} /run/bin/my-cnm`);
    const r = run('VERSION', { cniVersion: '1.1.0' }, {}, '/run/bin/my-cnm');
    expect(json<{ supportedVersions: string[] }>(r.stdout).supportedVersions).toContain('1.1.0');
  });
});
