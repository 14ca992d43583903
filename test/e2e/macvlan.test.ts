/**
 * macvlan networks in a throwaway host whose parent `par0` is a veth to a
 * second host standing for the LAN (its router 198.51.100.254): children on
 * the parent reach each other and the LAN, the host reaches them only through
 * the host shim (which takes its own address from the subnet, so a parent
 * without one works too), and an 802.1q parent (missing in this kernel) fails clearly
 * with nothing left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, expectFails, json, waitFor, wire } from '../helpers/host.js';

interface NetView {
  Driver: string;
  IPAM: { Config: { Subnet: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> }[] };
  Containers: Record<string, { Name: string; IPv4Address: string; MacAddress: string }>;
  Options: Record<string, string>;
}

afterAll(destroyAll);

describe('macvlan on a veth parent', () => {
  let h: Host;
  let lan: Host;
  const state = () => h.exec(['cat', '/var/lib/cnm/state.json']).stdout;
  const links = () => h.exec(['ip', '-br', 'link']).stdout;
  const routes = () => h.exec(['ip', 'route']).stdout;
  const addr = (net: string, sb: string) =>
    Object.values(json<NetView[]>(h.cnmOk(['net', 'inspect', net]))[0]!.Containers).find((c) => c.Name === sb)!.IPv4Address.split('/')[0]!;
  const create = (name: string, ...extra: string[]) =>
    h.cnm(['net', 'create', name, '--driver', 'macvlan', '--parent', 'par0', '--subnet', '198.51.100.0/24', '--ip-range', '198.51.100.128/25', '--gateway', '198.51.100.254', ...extra]);

  beforeAll(async () => {
    h = await Host.create('h');
    lan = await Host.create('lan');
    wire(h, 'par0', '198.51.100.1/24', lan, 'eth0', '198.51.100.254/24');
    h.cnmOk(['net', 'ls']); // the built-in networks, so "before" snapshots below include them
  });

  it('two sandboxes on the parent reach each other and the LAN router, their default route', () => {
    expect(create('mv').code).toBe(0);
    h.cnmOk(['sandbox', 'add', 'm1', '--network', 'mv']);
    h.cnmOk(['sandbox', 'add', 'm2', '--network', 'mv']);
    expect(addr('mv', 'm1')).toBe('198.51.100.128');
    expect(addr('mv', 'm2')).toBe('198.51.100.129');
    expect(h.cnm(['sandbox', 'exec', 'm1', '--', 'ping', '-c1', '-W2', '198.51.100.129']).code).toBe(0);
    expect(h.cnm(['sandbox', 'exec', 'm2', '--', 'ping', '-c1', '-W2', '198.51.100.254']).code).toBe(0);
    expect(h.exec(['ip', '-n', 'm1', 'route', 'show', 'default']).stdout).toContain('default via 198.51.100.254 dev eth0');
    const eth0 = h.exec(['ip', '-n', 'm1', '-d', 'link', 'show', 'eth0']).stdout;
    expect(eth0).toMatch(/macvlan mode bridge/);
    expect(eth0).toContain('02:42:c6:33:64:80');
  });

  it('no bridge, no gateway address and no route on the host; inspect names the parent and mode', () => {
    expect(links()).not.toMatch(/cnm-|veth/);
    expect(h.exec(['ip', '-br', 'addr']).stdout).not.toContain('198.51.100.254');
    const [v] = json<NetView[]>(h.cnmOk(['net', 'inspect', 'mv']));
    expect(v!.Options).toMatchObject({ parent: 'par0', macvlan_mode: 'bridge' });
    expect(v!.IPAM.Config).toEqual([{ Subnet: '198.51.100.0/24', Gateway: '198.51.100.254', IPRange: '198.51.100.128/25' }]);
  });

  it('without the host shim the host cannot reach its own children (the kernel rule)', () => {
    expect(h.exec(['ping', '-c1', '-W1', '198.51.100.128']).code).not.toBe(0);
  });

  it('sandbox rm and net rm leave nothing', async () => {
    h.cnmOk(['sandbox', 'rm', 'm1', 'm2']);
    h.cnmOk(['net', 'rm', 'mv']);
    expect(await waitFor(() => !/@par0/.test(links()))).toBe(true);
    expect(h.exec(['ip', 'netns', 'list']).stdout).toBe('');
  });

  it('--opt host-shim=true lets the host ping a child; removing the network removes the shim and its route', async () => {
    const before = { links: links(), routes: routes() };
    expect(create('mvs', '--opt', 'host-shim=true').code).toBe(0);
    h.cnmOk(['sandbox', 'add', 'k1', '--network', 'mvs']);
    const k1 = addr('mvs', 'k1');
    expect(h.exec(['ping', '-c1', '-W2', k1]).code).toBe(0);
    // The shim has its own address, the last free one of the --ip-range (.254 is the gateway).
    expect(routes()).toMatch(/198\.51\.100\.128\/25 dev cnms[0-9a-f]{11} scope link src 198\.51\.100\.253/);
    // The probe child of net create is made and deleted at once: reconcile does not want it back.
    expect(h.cnm(['reconcile']).stdout).toMatch(/nothing to do/);
    expect(links()).not.toMatch(/cnmp/);
    h.cnmOk(['sandbox', 'rm', 'k1']);
    h.cnmOk(['net', 'rm', 'mvs']);
    expect(await waitFor(() => links() === before.links)).toBe(true);
    expect(routes()).toBe(before.routes);
  });

  it('a par0.10 parent needs 802.1q, which this kernel lacks: exit 1 naming the module, nothing left', () => {
    const before = { state: state(), links: links() };
    const r = h.cnm(['net', 'create', 'v10', '--driver', 'macvlan', '--parent', 'par0.10', '--subnet', '192.0.2.0/24']);
    expectFails(r, 1, /this kernel has no 802\.1q VLAN support \(module 8021q\)/);
    expect(state()).toBe(before.state);
    expect(links()).toBe(before.links);
  });

  it('bad input: exit 2, one line, state and kernel untouched', () => {
    const before = { state: state(), links: links() };
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--subnet', '192.0.2.0/24']), 2, /needs --parent/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'nope0']), 2, /parent interface "nope0" does not exist/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'nope0.10']), 2, /nor does "nope0"/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0.4095']), 2, /invalid VLAN ID 4095/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0', '--mode', 'l2']), 2, /invalid macvlan --mode "l2"/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0', '--mode', 'vepa', '--opt', 'host-shim=true']), 2, /needs --mode bridge/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0', '--opt', 'host-shim=maybe']), 2, /host-shim=maybe/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0', '--vni', '5']), 2, /for overlay networks/);
    expectFails(h.cnm(['net', 'create', 'x', '--driver', 'macvlan', '--parent', 'par0', '--mtu', '9000']), 2, /at most 1500/);
    expectFails(h.cnm(['net', 'create', 'x', '--parent', 'par0']), 2, /--parent is for macvlan and ipvlan/);
    expect(state()).toBe(before.state);
    expect(links()).toBe(before.links);
  });
});

describe('the macvlan host shim on a parent without an IPv4 address', () => {
  let h: Host;
  let lan: Host;
  const links = () => h.exec(['ip', '-br', 'link']).stdout;
  const routes = () => h.exec(['ip', 'route']).stdout;
  const addrs = () => h.exec(['ip', '-br', '-4', 'addr']).stdout;
  const inspect = (net: string) => json<NetView[]>(h.cnmOk(['net', 'inspect', net]))[0]!;
  const ipOf = (net: string, sb: string) => Object.values(inspect(net).Containers).find((c) => c.Name === sb)!.IPv4Address.split('/')[0]!;
  const ping = (from: Host | string, to: string) =>
    (typeof from === 'string' ? h.exec(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W2', to]) : from.exec(['ping', '-c1', '-W2', to])).code;

  beforeAll(async () => {
    h = await Host.create('shim');
    lan = await Host.create('shim-lan');
    // par2 is dedicated to macvlan: no address on the host side; the LAN's router is 10.88.30.254.
    const r = h.sh(`ip link add par2 type veth peer name eth2 netns /proc/${lan.pid}/ns/net && ip link set par2 up`);
    expect(r.stderr).toBe('');
    lan.sh('ip addr add 10.88.30.254/24 dev eth2 && ip link set eth2 up');
    // The built-in networks (cnm0) come with the first change, so "before" snapshots below include them.
    h.cnmOk(['net', 'create', 'warm']);
    h.cnmOk(['net', 'rm', 'warm']);
  });

  it('takes its own address from the subnet, reserved in IPAM and shown in inspect; host and child ping both ways', async () => {
    const before = { links: links(), routes: routes(), addrs: addrs() };
    expect(addrs()).not.toMatch(/^par2 .*\d+\.\d+/m);
    h.cnmOk(['net', 'create', 'shim', '--driver', 'macvlan', '--parent', 'par2', '--subnet', '10.88.30.0/24', '--gateway', '10.88.30.254', '--opt', 'host-shim=true']);
    expect(inspect('shim').IPAM.Config).toEqual([{ Subnet: '10.88.30.0/24', Gateway: '10.88.30.254', AuxiliaryAddresses: { 'host-shim': '10.88.30.253' } }]);
    expect(addrs()).toMatch(/^cnms[0-9a-f]{11}@par2 +UP +10\.88\.30\.253\/32/m);
    expect(routes()).toMatch(/^10\.88\.30\.0\/24 dev cnms[0-9a-f]{11} scope link src 10\.88\.30\.253/m);
    h.cnmOk(['sandbox', 'add', 'c1', '--network', 'shim']);
    const c1 = ipOf('shim', 'c1');
    expect(c1).toBe('10.88.30.1');
    expect(ping(h, c1)).toBe(0); // host -> child
    expect(ping('c1', '10.88.30.253')).toBe(0); // child -> host
    expect(ping(lan, c1)).toBe(0); // and the LAN as before
    // The reserved address is no endpoint's: pinning it is a conflict.
    expect(h.cnm(['sandbox', 'add', 'c2', '--network', 'shim', '--ip', '10.88.30.253']).code).toBe(4);
    expect(h.cnm(['reconcile']).stdout).toMatch(/nothing to do/);

    // net rm takes away the shim, its address and route, and the reservation with the network.
    h.cnmOk(['sandbox', 'rm', 'c1']);
    h.cnmOk(['net', 'rm', 'shim']);
    expect(await waitFor(() => links() === before.links), links()).toBe(true);
    expect(routes()).toBe(before.routes);
    expect(addrs()).toBe(before.addrs);
    expect(h.cnm(['net', 'inspect', 'shim']).code).toBe(3);
  });

  it('--aux-address reserves addresses (the shim takes the one named host-shim) and routes the --ip-range', () => {
    h.cnmOk([
      'net', 'create', 'shim2', '--driver', 'macvlan', '--parent', 'par2', '--subnet', '10.88.30.0/24', '--gateway', '10.88.30.254',
      '--ip-range', '10.88.30.0/25', '--aux-address', 'printer=10.88.30.1', '--aux-address', 'host-shim=10.88.30.200', '--opt', 'host-shim=true',
    ]);
    expect(inspect('shim2').IPAM.Config[0]!.AuxiliaryAddresses).toEqual({ printer: '10.88.30.1', 'host-shim': '10.88.30.200' });
    expect(routes()).toMatch(/^10\.88\.30\.0\/25 dev cnms[0-9a-f]{11} scope link src 10\.88\.30\.200/m);
    h.cnmOk(['sandbox', 'add', 'd1', '--network', 'shim2']);
    expect(ipOf('shim2', 'd1')).toBe('10.88.30.2'); // .1 is the printer's
    expect(ping(h, '10.88.30.2')).toBe(0);
    expect(ping('d1', '10.88.30.200')).toBe(0);
    h.cnmOk(['sandbox', 'rm', 'd1']);
    h.cnmOk(['net', 'rm', 'shim2']);
  });

  it('--aux-address on a bridge network: reserved, shown, skipped by IPAM; bad ones are exit 2', () => {
    h.cnmOk(['net', 'create', 'br', '--subnet', '172.30.5.0/24', '--aux-address', 'nas=172.30.5.2']);
    expect(inspect('br').IPAM.Config).toEqual([{ Subnet: '172.30.5.0/24', Gateway: '172.30.5.1', AuxiliaryAddresses: { nas: '172.30.5.2' } }]);
    h.cnmOk(['sandbox', 'add', 'b1', '--network', 'br']);
    expect(ipOf('br', 'b1')).toBe('172.30.5.3');
    const state = h.exec(['cat', '/var/lib/cnm/state.json']).stdout;
    expectFails(h.cnm(['net', 'create', 'x', '--subnet', '172.30.6.0/24', '--aux-address', 'a=10.0.0.1']), 2, /invalid --aux-address a=10\.0\.0\.1: it must be a usable address of 172\.30\.6\.0\/24/);
    expectFails(h.cnm(['net', 'create', 'x', '--subnet', '172.30.6.0/24', '--aux-address', 'a=172.30.6.1']), 2, /already the gateway or reserved/);
    expectFails(h.cnm(['net', 'create', 'x', '--subnet', '172.30.6.0/24', '--aux-address', 'a']), 2, /expected KEY=VALUE/);
    expect(h.exec(['cat', '/var/lib/cnm/state.json']).stdout).toBe(state);
  });
});

