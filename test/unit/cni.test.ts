import { describe, expect, it } from 'vitest';
import { parseArgs, parseCommand, parseInvocation, parseNetConf } from '../../src/cni/config.js';
import { CniError } from '../../src/cni/errors.js';
import { installPlan } from '../../src/cni/install.js';
import { buildResult } from '../../src/cni/result.js';
import type { Attached } from '../../src/core/ops/attachment.js';
import type { Endpoint, Network, Sandbox } from '../../src/core/model.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';

const codeOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CniError) return e.code;
    throw e;
  }
  throw new Error('no error');
};

const conf = (extra: Record<string, unknown> = {}) => ({ cniVersion: '1.0.0', name: 'front', type: 'cnm', ...extra });

describe('CNI environment', () => {
  it('names every missing variable the command needs (code 4); DEL does without CNI_NETNS', () => {
    const e = (() => {
      try {
        parseInvocation({ CNI_COMMAND: 'ADD', CNI_IFNAME: 'eth0' }, 'ADD');
      } catch (err) {
        return err as CniError;
      }
    })()!;
    expect(e.code).toBe(4);
    expect(e.details).toBe('CNI_CONTAINERID, CNI_NETNS must be set for ADD');
    expect(parseInvocation({ CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0' }, 'DEL').netns).toBe('');
    expect(codeOf(() => parseCommand({ CNI_COMMAND: 'ADDD' }))).toBe(4);
    expect(codeOf(() => parseInvocation({ CNI_CONTAINERID: 'c1', CNI_NETNS: 'relative', CNI_IFNAME: 'eth0' }, 'ADD'))).toBe(4);
    expect(codeOf(() => parseInvocation({ CNI_CONTAINERID: 'c1', CNI_NETNS: '/x', CNI_IFNAME: 'sixteen-chars-xx' }, 'ADD'))).toBe(4);
  });

  it('CNI_ARGS are KEY=VALUE pairs separated by semicolons', () => {
    expect(parseArgs('IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=10.0.0.5')).toEqual({ IgnoreUnknown: '1', K8S_POD_NAME: 'web-0', IP: '10.0.0.5' });
    expect(parseArgs('')).toEqual({});
    expect(codeOf(() => parseArgs('A=1;oops'))).toBe(4);
  });
});

describe('CNI configuration', () => {
  it('takes network from name by default, and the capabilities from runtimeConfig', () => {
    const c = parseNetConf(
      conf({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'UDP', hostIP: '127.0.0.1' }], ips: ['10.88.0.9/24', 'fd00::9'], mac: '02:00:00:00:00:09', aliases: ['web'] } }),
      { args: {} },
    );
    expect(c.network).toBe('front');
    expect(c.portMappings).toEqual([{ hostPort: 8080, containerPort: 80, protocol: 'udp', hostIP: '127.0.0.1' }]);
    expect(c.ips).toEqual(['10.88.0.9/24', 'fd00::9']);
    expect(c.mac).toBe('02:00:00:00:00:09');
    expect(c.aliases).toEqual(['web']);
  });

  it("reads Podman's per-network aliases, args.cni.ips and CNI_ARGS IP", () => {
    expect(parseNetConf(conf({ runtimeConfig: { aliases: { front: ['a'], other: ['b'] } } }), { args: {} }).aliases).toEqual(['a']);
    expect(parseNetConf(conf({ args: { cni: { ips: ['10.1.0.4'] } } }), { args: { IP: '10.1.0.5' } }).ips).toEqual(['10.1.0.4']);
    expect(parseNetConf(conf(), { args: { IP: '10.1.0.5' } }).ips).toEqual(['10.1.0.5']);
  });

  it('refuses what it cannot honour with the spec codes', () => {
    const code = (doc: unknown) => codeOf(() => parseNetConf(doc, { args: {} }));
    expect(code({ ...conf(), cniVersion: '0.2.0' })).toBe(1);
    expect(code({ ...conf(), cniVersion: 3 })).toBe(1);
    expect(code([])).toBe(7);
    expect(code({ cniVersion: '1.0.0', type: 'cnm' })).toBe(7);
    expect(code(conf({ name: 'bad name' }))).toBe(7);
    expect(code(conf({ runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80 }] } }))).toBe(7);
    expect(code(conf({ runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'icmp' }] } }))).toBe(7);
    expect(code(conf({ runtimeConfig: { ips: ['10.0.0.1', '10.0.0.2'] } }))).toBe(7);
    expect(code(conf({ runtimeConfig: { aliases: ['no spaces'] } }))).toBe(7);
    expect(code(conf({ 'cni.dev/valid-attachments': [{ containerID: 'c1' }] }))).toBe(7);
  });
});

describe('CNI results', () => {
  const net: Network = {
    id: 'a'.repeat(64), name: 'Front', driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: true, mtu: 1500,
    bridge: 'cnm-aaaaaaaaaaa', subnets: [{ subnet: mustCidr('10.88.0.0/24'), gateway: mustAddr('10.88.0.1') }, { subnet: mustCidr('fd00::/64'), gateway: mustAddr('fd00::1') }], options: {}, labels: {}, driverOpts: {},
  };
  const endpoint: Endpoint = { id: 'b'.repeat(64), networkId: net.id, sandboxId: 'c'.repeat(64), ifname: 'eth1', hostIfname: 'vethbbbbbbbbbbb', mac: '02:42:0a:58:00:03', ipv4: '10.88.0.3/24', ipv6: 'fd00::3/64', aliases: [], created: '' };
  const sandbox = { id: 'c'.repeat(64), name: 'c1' } as Sandbox;
  const attached: Attached = { sandbox, endpoint, network: net, defaultRoute: true };

  it('1.0.0: interfaces, ips with their interface index, default routes, the embedded DNS', () => {
    const r = buildResult(attached, '/run/ctr/c1', '1.0.0');
    expect(r.interfaces).toEqual([{ name: 'vethbbbbbbbbbbb' }, { name: 'eth1', mtu: 1500, sandbox: '/run/ctr/c1', mac: '02:42:0a:58:00:03' }]);
    expect(r.ips).toEqual([
      { address: '10.88.0.3/24', gateway: '10.88.0.1', interface: 1 },
      { address: 'fd00::3/64', gateway: 'fd00::1', interface: 1 },
    ]);
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.88.0.1' }, { dst: '::/0', gw: 'fd00::1' }]);
    expect(r.dns).toEqual({ nameservers: ['10.88.0.1', 'fd00::1'], search: ['front'] });
  });

  it('0.4.0: addresses carry their version; a prevResult is kept and cnm adds after it', () => {
    const prev = { cniVersion: '0.4.0', interfaces: [{ name: 'tap0' }], ips: [{ version: '4', address: '192.0.2.5/24', interface: 0 }], routes: [], dns: { nameservers: ['192.0.2.53'] } };
    const r = buildResult({ ...attached, defaultRoute: false }, '/run/ctr/c1', '0.4.0', prev);
    expect(r.interfaces.map((i) => i.name)).toEqual(['tap0', 'vethbbbbbbbbbbb', 'eth1']);
    expect(r.ips.map((i) => [i.version, i.address, i.interface])).toEqual([['4', '192.0.2.5/24', 0], ['4', '10.88.0.3/24', 2], ['6', 'fd00::3/64', 2]]);
    expect(r.routes).toEqual([]);
    expect(r.dns).toEqual({ nameservers: ['192.0.2.53'] });
  });
});

describe('cnm cni install', () => {
  it('links the binary as the type and writes one list per network, naming a state dir only when not the default', () => {
    const net = { name: 'front' } as Network;
    const plan = installPlan({ binDir: '/opt/cni/bin', confDir: '/etc/cni/net.d', exe: '/usr/local/bin/cnm', stateDir: '/srv/cnm' }, [net]);
    expect(plan[0]).toEqual({ kind: 'link', target: '/usr/local/bin/cnm', path: '/opt/cni/bin/cnm' });
    const file = plan[1]!;
    expect(file.kind === 'file' && file.path).toBe('/etc/cni/net.d/10-cnm-front.conflist');
    expect(JSON.parse(file.kind === 'file' ? file.content : '')).toEqual({
      cniVersion: '1.0.0',
      cniVersions: ['0.4.0', '1.0.0', '1.1.0'],
      name: 'front',
      plugins: [{ type: 'cnm', network: 'front', stateDir: '/srv/cnm', capabilities: { portMappings: true, ips: true, mac: true, aliases: true } }],
    });
  });
});
