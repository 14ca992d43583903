/**
 * The overlay, macvlan and ipvlan drivers as golden plans (so the ipvlan and
 * 802.1q plans are right where the kernel has the modules, even though this
 * machine's kernel has neither), their option parsing against a fake host, the
 * missing-module message, and the `bridge -batch` group of the executor.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CnmError, KernelOpError } from '../../src/core/errors.js';
import { apply, groupOps } from '../../src/core/exec.js';
import { renderShell } from '../../src/core/shell.js';
import { formatCidr, givenAddr, givenCidr, mustAddr, mustCidr, parseWrittenCidr } from '../../src/core/ip.js';
import { planSubnet } from '../../src/core/ipam.js';
import type { AddressingRequest } from '../../src/drivers/types.js';
import { missingSupport } from '../../src/core/kernel-support.js';
import type { Endpoint, IpvlanNetwork, IpvlanOptions, MacvlanNetwork, MacvlanOptions, NetworkBase, OverlayNetwork, OverlayOptions, Sandbox } from '../../src/core/model.js';
import { commandOf, words } from '../../src/core/exec/lines.js';
import { type Op, inverseOf, isLineOp } from '../../src/core/plan.js';
import { setRunner, systemRunner } from '../../src/core/runner.js';
import { type Call, recorder } from '../helpers/recorder.js';
import { ipvlanDriver } from '../../src/drivers/ipvlan.js';
import { macvlanDriver } from '../../src/drivers/macvlan.js';
import { hostSlice, overlayDriver } from '../../src/drivers/overlay.js';
import type { RawNetworkOptions } from '../../src/drivers/types.js';
import { observeHost } from '../../src/core/observe/host.js';


afterEach(() => {
  setRunner(systemRunner);
  delete process.env.CNM_FAULT_AT;
});

/** What `ip -j -d addr show` says on a host with par0 (198.51.100.1/24), ul0 (MTU 9000) and a cnm-made par0.20. */
const HOST_LINKS = JSON.stringify([
  { ifname: 'lo', mtu: 65536, addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
  { ifname: 'par0', mtu: 1500, linkinfo: { info_kind: 'veth' }, addr_info: [{ family: 'inet', local: '198.51.100.1', prefixlen: 24 }] },
  { ifname: 'ul0', mtu: 9000, addr_info: [{ family: 'inet', local: '198.51.100.7', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] },
  { ifname: 'par0.20', mtu: 1500, ifalias: 'cnm:vlan', linkinfo: { info_kind: 'vlan' }, addr_info: [] },
  { ifname: 'admin.30', mtu: 1500, linkinfo: { info_kind: 'vlan' }, addr_info: [] },
  { ifname: 'vx9', mtu: 1450, linkinfo: { info_kind: 'vxlan', info_data: { id: 99, port: 4789 } }, addr_info: [] },
]);

function fakeHost(): Call[] {
  return recorder((c) => {
    if (c.cmd === 'ip' && c.args.join(' ') === '-j -d addr show') return { code: 0, stdout: HOST_LINKS, stderr: '' };
    if (c.cmd === 'ip' && c.args.slice(0, 3).join(' ') === '-j route get') {
      return { code: 0, stdout: JSON.stringify([{ dst: c.args[3], dev: 'ul0', prefsrc: '198.51.100.7' }]), stderr: '' };
    }
    return { code: 1, stdout: '', stderr: 'unexpected' };
  });
}

const raw = (o: Partial<RawNetworkOptions>): RawNetworkOptions => ({ peers: [], opts: {}, ...o });

function thrown(f: () => unknown): CnmError {
  try {
    f();
  } catch (e) {
    if (e instanceof CnmError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const ID = 'abcdef0123456789'.repeat(4);
const sb: Sandbox = { id: '1'.repeat(64), name: 'web', created: '', hostname: 'web', netns: 'web', dns: [], ports: [] };
const ep: Endpoint = {
  id: '2'.repeat(64), networkId: ID, sandboxId: sb.id, ifname: 'eth1', hostIfname: 'veth22222222222', mac: '02:42:c6:33:64:80',
  ipv4: '198.51.100.128/24', aliases: [], created: '',
};

function base(extra: Partial<NetworkBase>): NetworkBase {
  return {
    id: ID, name: 'n', created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
    subnets: [{ subnet: mustCidr('198.51.100.0/24'), gateway: mustAddr('198.51.100.254'), ipRange: mustCidr('198.51.100.128/25') }],
    options: {}, labels: {}, ...extra,
  };
}
function macvlan(driverOpts: MacvlanOptions, extra: Partial<NetworkBase> = {}): MacvlanNetwork {
  return { ...base(extra), driver: 'macvlan', driverOpts };
}
function ipvlan(driverOpts: IpvlanOptions, extra: Partial<NetworkBase> = {}): IpvlanNetwork {
  return { ...base(extra), driver: 'ipvlan', driverOpts };
}
function overlay(driverOpts: OverlayOptions, bridge: string, extra: Partial<NetworkBase> = {}): OverlayNetwork {
  return { ...base(extra), driver: 'overlay', driverOpts, bridge };
}

describe('macvlan plans (golden)', () => {
  const vlanShim = macvlan({
    parent: 'par0.10', lowerMtu: 1500, vlanLink: 'par0', vlanId: 10, makeParent: true, mode: 'bridge', hostShim: true, shimSource: '198.51.100.1',
  });

  it('createNetwork: the 802.1q parent, a probe child, the host shim with its route', () => {
    expect(renderShell(macvlanDriver.createNetwork(vlanShim))).toBe(
      [
        'ip link add link par0 name par0.10 type vlan id 10',
        'ip link set par0.10 alias cnm:vlan up',
        'ip link add link par0.10 name cnmpabcdef01234 type macvlan mode bridge',
        'ip link del cnmpabcdef01234',
        'ip link add link par0.10 name cnmsabcdef01234 mtu 1500 type macvlan mode bridge',
        'ip link set cnmsabcdef01234 up',
        'ip route add 198.51.100.128/25 dev cnmsabcdef01234 src 198.51.100.1',
        '',
      ].join('\n'),
    );
  });

  it('createNetwork: a shim with its own reserved address holds it and routes from it', () => {
    const own = macvlan({ parent: 'par2', lowerMtu: 1500, mode: 'bridge', hostShim: true }, {
      subnets: [{ subnet: mustCidr('10.88.30.0/24'), gateway: mustAddr('10.88.30.254'), aux: { 'host-shim': mustAddr('10.88.30.253') } }],
    });
    expect(renderShell(macvlanDriver.createNetwork(own))).toBe(
      [
        'ip link add link par2 name cnmpabcdef01234 type macvlan mode bridge',
        'ip link del cnmpabcdef01234',
        'ip link add link par2 name cnmsabcdef01234 mtu 1500 type macvlan mode bridge',
        'ip addr add 10.88.30.253/32 dev cnmsabcdef01234',
        'ip link set cnmsabcdef01234 up',
        'ip route add 10.88.30.0/24 dev cnmsabcdef01234 src 10.88.30.253',
        '',
      ].join('\n'),
    );
    // Inside the subnet: the children reach it on the LAN, no route of their own.
    expect(renderShell(macvlanDriver.join(own, { ...ep, ipv4: '10.88.30.1/24' }, sb, { defaultRoute: true }).sandbox)).not.toContain('10.88.30.253');
  });

  it('createNetwork makes one ip batch, and undo takes back the parent and the shim', () => {
    const plan = macvlanDriver.createNetwork(vlanShim);
    expect(groupOps(plan)).toHaveLength(1);
    expect(plan.map(inverseOf).flatMap((u) => (u && isLineOp(u) ? [words(u).join(' ')] : []))).toEqual([
      'link del par0.10',
      'link del cnmpabcdef01234',
      'link del cnmsabcdef01234',
    ]);
  });

  it('a plain existing parent: only the probe', () => {
    const net = macvlan({ parent: 'par0', lowerMtu: 1500, mode: 'private' });
    expect(renderShell(macvlanDriver.createNetwork(net))).toBe(
      'ip link add link par0 name cnmpabcdef01234 type macvlan mode private\nip link del cnmpabcdef01234\n',
    );
  });

  it('deleteNetwork removes the shim, and the cnm-made parent only with the last network on it', () => {
    expect(renderShell(macvlanDriver.deleteNetwork(vlanShim, []))).toBe('ip link del cnmsabcdef01234\nip link del par0.10\n');
    const other = ipvlan({ parent: 'par0.10', vlanLink: 'par0', vlanId: 10, mode: 'l2' }, { id: 'f'.repeat(64) });
    expect(renderShell(macvlanDriver.deleteNetwork(vlanShim, [other]))).toBe('ip link del cnmsabcdef01234\n');
    const plain = macvlan({ parent: 'eth0', mode: 'bridge' });
    expect(macvlanDriver.deleteNetwork(plain, [])).toEqual([]);
  });

  it('join: the child is made inside the sandbox, addressed, routed via the LAN router', () => {
    const plan = macvlanDriver.join(vlanShim, ep, sb, { defaultRoute: true });
    expect(renderShell(plan.host)).toBe('ip link add link par0.10 name eth1 netns web mtu 1500 address 02:42:c6:33:64:80 type macvlan mode bridge\n');
    const undo = inverseOf(plan.host[0]!);
    expect(undo && isLineOp(undo) && commandOf(undo)).toEqual(['ip', '-n', 'web', 'link', 'del', 'eth1']);
    expect(renderShell(plan.sandbox)).toBe(
      [
        'ip -n web addr add 198.51.100.128/24 dev eth1',
        'ip -n web link set eth1 addrgenmode none up',
        'ip -n web route replace 0.0.0.0/0 via 198.51.100.254 dev eth1',
        '',
      ].join('\n'),
    );
    expect(renderShell(macvlanDriver.leave(vlanShim, ep, sb))).toBe('ip -n web link del eth1\n');
  });

  it('join: a host route to the shim source when it lies outside the subnet', () => {
    const net = { ...vlanShim, subnets: [{ subnet: mustCidr('192.0.2.0/24'), gateway: mustAddr('192.0.2.1') }] };
    const plan = macvlanDriver.join(net, { ...ep, ipv4: '192.0.2.2/24' }, sb, { defaultRoute: false });
    expect(renderShell(plan.sandbox)).toBe(
      ['ip -n web addr add 192.0.2.2/24 dev eth1', 'ip -n web link set eth1 addrgenmode none up', 'ip -n web route replace 198.51.100.1/32 dev eth1', ''].join('\n'),
    );
  });
});

describe('ipvlan plans (golden)', () => {
  const l2 = ipvlan({ parent: 'eth0.30', lowerMtu: 1500, vlanLink: 'eth0', vlanId: 30, makeParent: true, mode: 'l2' });

  it('createNetwork: the 802.1q parent, then a probe child that proves the module', () => {
    expect(renderShell(ipvlanDriver.createNetwork(l2))).toBe(
      [
        'ip link add link eth0 name eth0.30 type vlan id 30',
        'ip link set eth0.30 alias cnm:vlan up',
        'ip link add link eth0.30 name cnmpabcdef01234 type ipvlan mode l2',
        'ip link del cnmpabcdef01234',
        '',
      ].join('\n'),
    );
    expect(renderShell(ipvlanDriver.deleteNetwork(l2, []))).toBe('ip link del eth0.30\n');
  });

  it('join in l2: a child with the parent MAC (no address given), default route via the gateway', () => {
    const plan = ipvlanDriver.join(l2, ep, sb, { defaultRoute: true });
    expect(renderShell(plan.host)).toBe('ip link add link eth0.30 name eth1 netns web mtu 1500 type ipvlan mode l2\n');
    expect(renderShell(plan.sandbox)).toContain('ip -n web route replace 0.0.0.0/0 via 198.51.100.254 dev eth1\n');
  });

  it('join in l3: the default route is the interface itself', () => {
    const l3 = ipvlan({ parent: 'eth0', lowerMtu: 1500, mode: 'l3' });
    const plan = ipvlanDriver.join(l3, { ...ep, ipv6: 'fd00::5/64' }, sb, { defaultRoute: true });
    expect(renderShell(plan.host)).toBe('ip link add link eth0 name eth1 netns web mtu 1500 type ipvlan mode l3\n');
    expect(renderShell(plan.sandbox)).toBe(
      [
        'ip -n web addr add 198.51.100.128/24 dev eth1',
        'ip -n web addr add fd00::5/64 dev eth1 nodad',
        'ip -n web link set eth1 up',
        'ip -n web route replace 0.0.0.0/0 dev eth1',
        '',
      ].join('\n'),
    );
  });
});

describe('macvlan and ipvlan options against a fake host', () => {
  it('an existing parent: its MTU; a cnm-made VLAN parent is tracked; a missing LINK.N is made', () => {
    const calls = fakeHost();
    expect(macvlanDriver.validate(raw({ parent: 'par0' }), observeHost())).toEqual({ parent: 'par0', lowerMtu: 1500, mode: 'bridge' });
    expect(ipvlanDriver.validate(raw({ parent: 'par0.20', mode: 'l3s' }), observeHost())).toEqual({ parent: 'par0.20', lowerMtu: 1500, vlanLink: 'par0', vlanId: 20, mode: 'l3s' });
    expect(ipvlanDriver.validate(raw({ parent: 'par0.10' }), observeHost())).toEqual({ parent: 'par0.10', lowerMtu: 1500, vlanLink: 'par0', vlanId: 10, makeParent: true, mode: 'l2' });
    // Someone else's VLAN interface is a plain parent: cnm never removes it.
    expect(macvlanDriver.validate(raw({ parent: 'admin.30' }), observeHost())).toEqual({ parent: 'admin.30', lowerMtu: 1500, mode: 'bridge' });
    expect(calls.every((c) => c.args.join(' ') === '-j -d addr show')).toBe(true);
  });

  it('the host shim needs no address on the parent: it asks IPAM for one of the subnet', () => {
    fakeHost();
    const withAddr = macvlanDriver.validate(raw({ parent: 'par0', opts: { 'host-shim': 'true' } }), observeHost());
    expect(withAddr).toMatchObject({ hostShim: true });
    expect(withAddr).not.toHaveProperty('shimSource');
    const vlan = macvlanDriver.validate(raw({ parent: 'par0.10', opts: { 'host-shim': 'true' } }), observeHost());
    expect(vlan).toMatchObject({ hostShim: true, makeParent: true });
    expect(macvlanDriver.hostAddress!(vlan)).toBe('host-shim');
    expect(macvlanDriver.hostAddress!(macvlanDriver.validate(raw({ parent: 'par0' }), observeHost()))).toBeUndefined();
  });

  it('bad input is a UsageError (exit 2) before any kernel work', () => {
    const calls = fakeHost();
    const cases: [() => unknown, RegExp][] = [
      [() => macvlanDriver.validate(raw({}), observeHost()), /needs --parent/],
      [() => macvlanDriver.validate(raw({ parent: 'nope0' }), observeHost()), /parent interface "nope0" does not exist/],
      [() => macvlanDriver.validate(raw({ parent: 'nope0.5' }), observeHost()), /nor does "nope0"/],
      [() => macvlanDriver.validate(raw({ parent: 'par0.0' }), observeHost()), /invalid VLAN ID 0/],
      [() => macvlanDriver.validate(raw({ parent: 'much-too-long-name0' }), observeHost()), /invalid --parent/],
      [() => macvlanDriver.validate(raw({ parent: 'par0', mode: 'l3' }), observeHost()), /invalid macvlan --mode "l3"/],
      [() => ipvlanDriver.validate(raw({ parent: 'par0', mode: 'vepa' }), observeHost()), /invalid ipvlan --mode "vepa"/],
      [() => macvlanDriver.validate(raw({ parent: 'par0', peers: ['198.51.100.2'] }), observeHost()), /for overlay networks/],
      [() => ipvlanDriver.validate(raw({ parent: 'par0', opts: { 'host-shim': 'true' } }), observeHost()), /for macvlan networks/],
    ];
    for (const [f, message] of cases) {
      const e = thrown(f);
      expect(e.message).toMatch(message);
      expect(e.exitCode).toBe(2);
    }
    expect(calls.every((c) => c.args.join(' ') === '-j -d addr show')).toBe(true);
  });
});

describe('overlay', () => {
  const ov = overlay({ vni: 4242, local: '198.51.100.1', underlay: 'ul0', lowerMtu: 1450, peers: ['198.51.100.2', '198.51.100.3'] }, 'cnm-abcdef01234', {
    mtu: 1450,
    subnets: [{ subnet: mustCidr('10.77.0.0/16'), gateway: mustAddr('10.77.1.1'), ipRange: mustCidr('10.77.1.0/24') }],
  });

  it('createNetwork: one ip batch (bridge, gateway, VXLAN on it), one bridge batch (flooding per peer), then forwarding and firewall', () => {
    const plan = overlayDriver.createNetwork(ov);
    expect(renderShell(plan).split("nft -f - <<'EOF'")[0]).toBe(
      [
        'ip link add cnm-abcdef01234 mtu 1450 address 02:ab:cd:ef:01:23 type bridge mcast_snooping 0',
        'ip link set cnm-abcdef01234 addrgenmode none',
        'ip addr add 10.77.1.1/16 dev cnm-abcdef01234',
        'ip link set cnm-abcdef01234 up',
        'ip link add cnmxabcdef01234 mtu 1450 type vxlan id 4242 dstport 4789 local 198.51.100.1 dev ul0 nolearning',
        'ip link set cnmxabcdef01234 master cnm-abcdef01234 up',
        'bridge fdb append 00:00:00:00:00:00 dev cnmxabcdef01234 dst 198.51.100.2',
        'bridge fdb append 00:00:00:00:00:00 dev cnmxabcdef01234 dst 198.51.100.3',
        'sysctl -qw net.ipv6.conf.cnm-abcdef01234.accept_ra=0',
        'sysctl -qw net.ipv4.ip_forward=1',
        '',
      ].join('\n'),
    );
    expect(renderShell(plan)).toContain('add element inet cnm net_out { "cnm-abcdef01234" : jump n-abcdef012345-out }');
    expect(groupOps(plan).map((g) => (g.kind === 'ip' ? (g.tool ?? 'ip') : g.kind))).toEqual(['ip', 'bridge', 'sysctl', 'nft']);
  });

  it('deleteNetwork: the VXLAN device, the bridge, the firewall chains', () => {
    const shell = renderShell(overlayDriver.deleteNetwork(ov));
    expect(shell.startsWith('ip link del cnmxabcdef01234\nip link del cnm-abcdef01234\nnft -f - <<')).toBe(true);
  });

  it('updatePeers: one bridge batch whose lines undo each other; the new peer set', () => {
    const { ops, updated } = overlayDriver.updatePeers!(ov, ['198.51.100.4'], ['198.51.100.2']);
    const peers = updated.driverOpts.peers;
    expect(renderShell(ops)).toBe(
      [
        'bridge fdb del 00:00:00:00:00:00 dev cnmxabcdef01234 dst 198.51.100.2',
        'bridge fdb append 00:00:00:00:00:00 dev cnmxabcdef01234 dst 198.51.100.4',
        '',
      ].join('\n'),
    );
    expect(ops.map((o) => { const u = inverseOf(o); return u && isLineOp(u) ? words(u)[1] : ''; })).toEqual(['append', 'del']);
    expect(peers).toEqual(['198.51.100.3', '198.51.100.4']);
  });

  it('updatePeers refuses: existing peer (4), unknown peer (3), own address or bad text (2)', () => {
    const code = (add: string[], remove: string[]) => thrown(() => overlayDriver.updatePeers!(ov, add, remove)).exitCode;
    expect(code(['198.51.100.2'], [])).toBe(4);
    expect(code([], ['198.51.100.9'])).toBe(3);
    expect(code(['198.51.100.1'], [])).toBe(2);
    expect(code(['not-an-ip'], [])).toBe(2);
    expect(code(['198.51.100.5', '198.51.100.5'], [])).toBe(2);
    expect(code(['fd00::1'], [])).toBe(2);
  });

  it('hostSlice: 2^k slices of the subnet, numbered by the low bits of the underlay address', () => {
    const slice = (subnet: string, local: string) => formatCidr(hostSlice(parseWrittenCidr(subnet)!, mustAddr(local)));
    expect(slice('10.77.0.0/16', '198.51.100.1')).toBe('10.77.1.0/24');
    expect(slice('10.77.0.0/16', '198.51.100.254')).toBe('10.77.254.0/24');
    expect(slice('10.88.0.0/24', '198.51.100.3')).toBe('10.88.0.48/28');
    expect(slice('10.88.0.0/24', '198.51.100.19')).toBe('10.88.0.48/28'); // 19 mod 16 = 3: documented collision
    expect(slice('10.0.0.0/8', '192.0.2.77')).toBe('10.77.0.0/16');
    expect(slice('10.0.0.0/20', '192.0.2.5')).toBe('10.0.1.64/26');
    expect(thrown(() => slice('10.0.0.0/29', '192.0.2.5')).exitCode).toBe(2);
  });

  it('addressing: needs one IPv4 subnet; takes the slice, its first address as gateway, endpoints after it', () => {
    const opts: OverlayOptions = { vni: 7, local: '198.51.100.7', underlay: 'ul0', lowerMtu: 1450, peers: [] };
    const sub = parseWrittenCidr('10.77.0.0/16')!;
    // The request carries parsed values; compared here as the text they stand for.
    const addressing = (req: AddressingRequest) => {
      const out = overlayDriver.addressing!(req, opts);
      return { ...out, gateways: out.gateways.map((g) => g.text), ...(out.ipRange ? { ipRange: out.ipRange.text } : {}) };
    };
    expect(addressing({ subnets: [sub], gateways: [], ipv6: false })).toEqual({
      subnets: [sub], gateways: ['10.77.7.1'], ipRange: '10.77.7.0/24', start: '10.77.7.2', ipv6: false,
    });
    expect(addressing({ subnets: [sub], gateways: [givenAddr('10.77.0.1')], ipRange: givenCidr('10.77.128.0/17'), ipv6: false })).toMatchObject({
      gateways: ['10.77.0.1'], ipRange: '10.77.128.0/17', start: '10.77.128.2',
    });
    expect(thrown(() => overlayDriver.addressing!({ subnets: [], gateways: [], ipv6: false }, opts)).message).toMatch(/needs --subnet/);
    expect(thrown(() => overlayDriver.addressing!({ subnets: [sub], gateways: [], ipv6: true }, opts)).message).toMatch(/IPv4 only/);
  });

  it('addressing: an --ip-range that does not parse is left to IPAM, which refuses it as on a bridge network (it was a stack trace)', () => {
    const opts: OverlayOptions = { vni: 7, local: '198.51.100.7', underlay: 'ul0', lowerMtu: 1450, peers: [] };
    const sub = parseWrittenCidr('10.77.0.0/16')!;
    const out = overlayDriver.addressing!({ subnets: [sub], gateways: [], ipRange: givenCidr('banana'), ipv6: false }, opts);
    const e = thrown(() => planSubnet({ subnet: sub, ...(out.ipRange ? { ipRange: out.ipRange } : {}) }, []));
    expect(e.message).toBe('invalid --ip-range "banana": it must be a CIDR inside 10.77.0.0/16');
    expect(e.exitCode).toBe(2);
  });

  it('validate: --local names the underlay (MTU 9000 - 50); without it the route to the first peer does', () => {
    const calls = fakeHost();
    expect(overlayDriver.validate(raw({ vni: 7, local: '198.51.100.7', peers: ['198.51.100.2'] }), observeHost())).toEqual({
      vni: 7, local: '198.51.100.7', underlay: 'ul0', lowerMtu: 8950, peers: ['198.51.100.2'],
    });
    expect(calls.map((c) => c.args.join(' '))).toEqual(['-j -d addr show']);
    expect(overlayDriver.validate(raw({ vni: 7, peers: ['198.51.100.2'] }), observeHost())).toMatchObject({ local: '198.51.100.7', underlay: 'ul0' });
    expect(calls.map((c) => c.args.join(' '))).toContain('-j route get 198.51.100.2');
  });

  it('validate refuses bad input with exit 2', () => {
    fakeHost();
    const cases: [Partial<RawNetworkOptions>, RegExp][] = [
      [{ local: '198.51.100.7' }, /needs --vni/],
      [{ vni: 16_777_216, local: '198.51.100.7' }, /invalid --vni/],
      [{ vni: 1.5, local: '198.51.100.7' }, /invalid --vni/],
      [{ vni: 1 }, /needs --local/],
      [{ vni: 1, local: '203.0.113.1' }, /not an address of this host/],
      [{ vni: 1, local: '198.51.100.7', peers: ['198.51.100.7'] }, /own underlay address/],
      [{ vni: 1, local: '198.51.100.7', peers: ['198.51.100.2', '198.51.100.2'] }, /given twice/],
      [{ vni: 1, local: '198.51.100.7', mode: 'l2' }, /--mode is for macvlan/],
    ];
    const dup = thrown(() => overlayDriver.validate(raw({ vni: 99, local: '198.51.100.7' }), observeHost()));
    expect(dup.message).toMatch(/VNI 99 is already used on this host \(by vx9\)/);
    expect(dup.exitCode).toBe(4);
    for (const [r, message] of cases) {
      const e = thrown(() => overlayDriver.validate(raw(r), observeHost()));
      expect(e.message).toMatch(message);
      expect(e.exitCode).toBe(2);
    }
  });
});

describe('a kernel without the module', () => {
  it('names the missing support for ipvlan and 802.1q, and only for "Unknown device type"', () => {
    const e = new KernelOpError(['ip', 'link', 'add', 'link', 'par0', 'name', 'x', 'type', 'ipvlan', 'mode', 'l2'], 1, 'Error: Unknown device type.', 1);
    expect(e.message).toBe(
      'this kernel has no ipvlan support (module ipvlan): "ip link add link par0 name x type ipvlan mode l2" says "Error: Unknown device type."; load it with "modprobe ipvlan" or use a kernel that has it',
    );
    expect(e.exitCode).toBe(1);
    expect(missingSupport(['link', 'add', 'link', 'par0', 'name', 'par0.10', 'type', 'vlan', 'id', '10'], 'Error: Unknown device type.')).toMatch(
      /^this kernel has no 802\.1q VLAN support \(module 8021q\)/,
    );
    expect(missingSupport(['link', 'add', 'x', 'type', 'vlan'], 'RTNETLINK answers: File exists')).toBeUndefined();
    expect(missingSupport(['link', 'set', 'x', 'up'], 'Error: Unknown device type.')).toBeUndefined();
  });
});

describe('executor: bridge -batch lines', () => {
  const plan: Op[] = [
    { kind: 'link.add', name: 'vx', link: { type: 'vxlan', id: 1, port: 4789, local: '198.51.100.1', dev: 'ul0' } },
    { kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx', dst: '198.51.100.2' },
    { kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx', dst: '198.51.100.3' },
  ];

  it('one ip process and one bridge process', () => {
    const calls = recorder();
    apply(plan, undefined);
    expect(calls.map((c) => `${c.cmd} ${c.args.join(' ')}`)).toEqual(['ip -batch -', 'bridge -batch -']);
    expect(calls[1]!.input).toBe(
      'fdb append 00:00:00:00:00:00 dev vx dst 198.51.100.2\nfdb append 00:00:00:00:00:00 dev vx dst 198.51.100.3\n',
    );
  });

  it('a failed bridge line undoes the lines before it with bridge, then the ip work', () => {
    const calls = recorder((c) =>
      c.cmd === 'bridge' && c.args.includes('-batch') ? { code: 1, stdout: '', stderr: 'RTNETLINK answers: Invalid argument\nCommand failed -:2\n' } : { code: 0, stdout: '', stderr: '' },
    );
    expect(() => apply(plan, undefined)).toThrow(/bridge fdb append 00:00:00:00:00:00 dev vx dst 198\.51\.100\.3 failed/);
    expect(calls.slice(2).map((c) => `${c.cmd} ${c.args.join(' ')}`)).toEqual([
      'bridge fdb del 00:00:00:00:00:00 dev vx dst 198.51.100.2',
      'ip link del vx',
    ]);
  });

  it('an injected fault in a bridge batch is a line that parses', () => {
    const calls = recorder((c) => (c.cmd === 'bridge' ? { code: 1, stdout: '', stderr: 'Cannot find device "cnm-fault"\nCommand failed -:1\n' } : { code: 0, stdout: '', stderr: '' }));
    expect(() => apply(plan, { failAt: 2 })).toThrow(CnmError);
    expect(calls[1]!.input!.split('\n')[0]).toBe('fdb del 00:00:00:00:00:00 dev cnm-fault');
  });
});
