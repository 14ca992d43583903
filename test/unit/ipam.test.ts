import { describe, expect, it } from 'vitest';
import { ConflictError, UsageError } from '../../src/core/errors.js';
import { formatCidr, givenAddr, mustAddr, mustCidr, parseCidr } from '../../src/core/ip.js';
import { allocateAddress, defaultPools, pickFreeSubnet, planSubnet, reserveAux, reserveHostAddress, takenAddresses, ulaFor, usedSubnets } from '../../src/core/ipam.js';
import type { SubnetConfig } from '../../src/core/model.js';
import { type Endpoint, type Network, type State, emptyState } from '../../src/core/model.js';

const cidr = (t: string) => parseCidr(t)!;

function net(subnets: Network['subnets'], id = 'a'.repeat(64)): Network {
  return {
    id, name: 'n', driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
    bridge: 'cnm-aaaaaaaaaaa', subnets, options: {}, labels: {}, driverOpts: {},
  };
}

describe('default pools', () => {
  it('are 172.17-31.0.0/16 then 192.168.0.0/16 in /20s', () => {
    const pools = [...defaultPools()].map(formatCidr);
    expect(pools.slice(0, 3)).toEqual(['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16']);
    expect(pools[14]).toBe('172.31.0.0/16');
    expect(pools[15]).toBe('192.168.0.0/20');
    expect(pools.at(-1)).toBe('192.168.240.0/20');
    expect(pools).toHaveLength(31);
  });

  it('skip subnets used by networks and by host routes, but not the default route', () => {
    const state: State = emptyState();
    state.networks.push(net([{ subnet: mustCidr('172.17.0.0/16') }]));
    const used = usedSubnets(state, [cidr('0.0.0.0/0'), cidr('172.18.5.0/24')]);
    expect(formatCidr(pickFreeSubnet(used))).toBe('172.19.0.0/16');
  });

  it('fall through to 192.168 and then give a clear error', () => {
    const used = [cidr('172.16.0.0/12')];
    expect(formatCidr(pickFreeSubnet(used))).toBe('192.168.0.0/20');
    expect(() => pickFreeSubnet([...used, cidr('192.168.0.0/16')])).toThrow(/no free subnet left.*--subnet/);
  });
});

describe('planSubnet', () => {
  it('fills in the first usable address as gateway', () => {
    expect(planSubnet({ subnet: '10.1.0.0/24' }, [])).toEqual({ subnet: mustCidr('10.1.0.0/24'), gateway: mustAddr('10.1.0.1') });
    expect(planSubnet({ subnet: 'fd00:1::/64' }, [])).toEqual({ subnet: mustCidr('fd00:1::/64'), gateway: mustAddr('fd00:1::1') });
  });

  it('keeps a given gateway and range', () => {
    expect(planSubnet({ subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.128/25' }, [])).toEqual({
      subnet: mustCidr('10.1.0.0/24'), gateway: mustAddr('10.1.0.254'), ipRange: mustCidr('10.1.0.128/25'),
    });
  });

  it.each([
    [{ subnet: '10.1.0.1/24' }, /host bits set, did you mean 10.1.0.0\/24/],
    [{ subnet: '10.1.0.0/31' }, /too small/],
    [{ subnet: '10.1.0.0/24', gateway: '10.1.0.0' }, /usable address/],
    [{ subnet: '10.1.0.0/24', gateway: '10.1.0.255' }, /usable address/],
    [{ subnet: '10.1.0.0/24', gateway: 'fd00::1' }, /usable address/],
    [{ subnet: '10.1.0.0/24', ipRange: '10.2.0.0/25' }, /inside 10.1.0.0\/24/],
  ])('refuses %j as usage', (req, msg) => {
    expect(() => planSubnet(req, [])).toThrow(UsageError);
    expect(() => planSubnet(req, [])).toThrow(msg);
  });

  it('refuses overlaps as a conflict', () => {
    expect(() => planSubnet({ subnet: '10.1.2.0/24' }, [cidr('10.1.0.0/16')])).toThrow(ConflictError);
  });
});

describe('allocateAddress', () => {
  it('skips the addresses of the endpoints on the network, both families, and only those', () => {
    const v4 = { subnet: mustCidr('10.1.0.0/29'), gateway: mustAddr('10.1.0.1'), next: '10.1.0.2' };
    const v6 = { subnet: mustCidr('fd00::/125'), gateway: mustAddr('fd00::1'), next: 'fd00::2' };
    const n = net([v4, v6]);
    const ep = (id: string, networkId: string, ipv4?: string, ipv6?: string): Endpoint => ({
      id: id.repeat(64), networkId, sandboxId: 's'.repeat(64), ifname: 'eth0', hostIfname: '', mac: '', aliases: [], created: '',
      ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}),
    });
    const taken = takenAddresses(n, [ep('1', n.id, '10.1.0.2/29', 'fd00::2/125'), ep('2', n.id, '10.1.0.3/29'), ep('3', 'b'.repeat(64), '10.1.0.4/29', 'fd00::3/125')]);
    expect(allocateAddress(v4, taken).address).toBe('10.1.0.4/29');
    expect(allocateAddress(v6, taken).address).toBe('fd00::3/125');
    expect(() => allocateAddress(v4, taken, '10.1.0.3')).toThrow(ConflictError);
    expect(allocateAddress(v4, taken, '10.1.0.5').address).toBe('10.1.0.5/29');
    // Full: the one left is the last usable; then none.
    taken.add(parseCidr('10.1.0.4/32')!.base);
    taken.add(parseCidr('10.1.0.5/32')!.base);
    expect(allocateAddress(v4, taken).address).toBe('10.1.0.6/29');
    taken.add(parseCidr('10.1.0.6/32')!.base);
    expect(() => allocateAddress(v4, taken)).toThrow(/no free address left in 10.1.0.0\/29/);
  });

  it('hands out addresses in order, skipping network, gateway and taken ones', () => {
    const sub = { subnet: mustCidr('10.1.0.0/29'), gateway: mustAddr('10.1.0.1') };
    const n = net([sub]);
    const taken = takenAddresses(n, []);
    const a = allocateAddress(sub, taken);
    expect(a.address).toBe('10.1.0.2/29');
    taken.add(parseCidr('10.1.0.3/32')!.base);
    const b = allocateAddress({ ...sub, next: a.next }, taken);
    expect(b.address).toBe('10.1.0.4/29');
  });

  it('does not reuse a released address until the range wraps', () => {
    const sub: Network['subnets'][number] = { subnet: mustCidr('10.1.0.0/29'), gateway: mustAddr('10.1.0.1') };
    const taken = new Set<bigint>([parseCidr('10.1.0.1/32')!.base]);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const a = allocateAddress(sub, taken);
      sub.next = a.next;
      got.push(a.address);
      taken.add(parseCidr(a.address.replace(/\/\d+$/, '/32'))!.base);
      if (i === 1) taken.delete(parseCidr('10.1.0.2/32')!.base); // released early
    }
    expect(got).toEqual(['10.1.0.2/29', '10.1.0.3/29', '10.1.0.4/29', '10.1.0.5/29', '10.1.0.6/29']);
    // Now the range is exhausted up to .6 (broadcast .7 excluded): the cursor wraps to the released .2.
    expect(allocateAddress(sub, taken).address).toBe('10.1.0.2/29');
  });

  it('stays inside --ip-range and says when it is full', () => {
    const sub = { subnet: mustCidr('10.1.0.0/24'), gateway: mustAddr('10.1.0.1'), ipRange: mustCidr('10.1.0.64/31') };
    const taken = new Set<bigint>();
    const a = allocateAddress(sub, taken);
    expect(a.address).toBe('10.1.0.64/24');
    taken.add(parseCidr('10.1.0.64/32')!.base);
    expect(allocateAddress({ ...sub, next: a.next }, taken).address).toBe('10.1.0.65/24');
    taken.add(parseCidr('10.1.0.65/32')!.base);
    expect(() => allocateAddress(sub, taken)).toThrow(/no free address left in 10.1.0.64\/31/);
  });

  it('checks a requested address', () => {
    const sub = { subnet: mustCidr('10.1.0.0/24'), gateway: mustAddr('10.1.0.1') };
    const taken = new Set<bigint>([parseCidr('10.1.0.1/32')!.base]);
    expect(allocateAddress(sub, taken, '10.1.0.200').address).toBe('10.1.0.200/24');
    expect(() => allocateAddress(sub, taken, '10.1.0.1')).toThrow(ConflictError);
    expect(() => allocateAddress(sub, taken, '10.2.0.1')).toThrow(UsageError);
    expect(() => allocateAddress(sub, taken, '10.1.0.255')).toThrow(UsageError);
  });

  it('allocates IPv6 from a /64 starting after the gateway', () => {
    const sub = { subnet: mustCidr('fd00:1::/64'), gateway: mustAddr('fd00:1::1') };
    const taken = new Set<bigint>([parseCidr('fd00:1::1/128')!.base]);
    expect(allocateAddress(sub, taken).address).toBe('fd00:1::2/64');
  });
});

describe('ulaFor', () => {
  it('derives a stable fd00::/8 /64 from the network ID', () => {
    const id = '0123456789' + 'f'.repeat(54);
    expect(formatCidr(ulaFor(id))).toBe('fd01:2345:6789::/64');
  });
});

describe('reserved addresses (--aux-address, the host shim)', () => {
  const subnets = (): SubnetConfig[] => [
    { subnet: mustCidr('10.88.30.0/24'), gateway: mustAddr('10.88.30.254'), ipRange: mustCidr('10.88.30.0/25') },
    { subnet: mustCidr('fd00:1::/64'), gateway: mustAddr('fd00:1::1') },
  ];

  it('places each in the subnet of its family that holds it; bad ones are usage errors', () => {
    // As precheck gives them: parsed once (an address that does not parse is refused here, in its turn).
    const reserve = (subs: SubnetConfig[], aux: Record<string, string>) => reserveAux(subs, Object.fromEntries(Object.entries(aux).map(([k, v]) => [k, givenAddr(v)])));
    const s = subnets();
    reserve(s, { printer: '10.88.30.1', six: 'fd00:1::9' });
    expect(s[0]!.aux).toEqual({ printer: mustAddr('10.88.30.1') });
    expect(s[1]!.aux).toEqual({ six: mustAddr('fd00:1::9') });
    for (const bad of [{ a: '10.88.31.1' }, { a: '10.88.30.255' }, { a: '10.88.30.0' }, { a: 'nope' }, { a: '10.88.30.254' }]) {
      expect(() => reserve(subnets(), bad)).toThrow(UsageError);
    }
    expect(() => reserve(subnets(), { a: '10.88.30.7', b: '10.88.30.7' })).toThrow(/already the gateway or reserved/);
  });

  it('the host address: the one already reserved under its name, else the last free of the range', () => {
    const s = subnets();
    expect(reserveHostAddress(s, 'host-shim')).toBe('10.88.30.127'); // the range's last: usable in the /24
    expect(s[0]!.aux).toEqual({ 'host-shim': mustAddr('10.88.30.127') });
    const t = subnets();
    reserveAux(t, { 'host-shim': givenAddr('10.88.30.200') });
    expect(reserveHostAddress(t, 'host-shim')).toBe('10.88.30.200');
    const u: SubnetConfig[] = [{ subnet: mustCidr('10.88.30.0/24'), gateway: mustAddr('10.88.30.254'), aux: { x: mustAddr('10.88.30.253') } }];
    expect(reserveHostAddress(u, 'host-shim')).toBe('10.88.30.252'); // .255 broadcast, .254 gateway, .253 reserved
    expect(() => reserveHostAddress([{ subnet: mustCidr('fd00:1::/64') }], 'host-shim')).toThrow(/needs an IPv4 subnet/);
  });

  it('IPAM hands them to no endpoint', () => {
    const net = { id: 'n', subnets: [{ subnet: mustCidr('10.88.30.0/24'), gateway: mustAddr('10.88.30.1'), aux: { nas: mustAddr('10.88.30.2') } }] } as unknown as Network;
    const taken = takenAddresses(net, []);
    expect(allocateAddress(net.subnets[0]!, taken).address).toBe('10.88.30.3/24');
    expect(() => allocateAddress(net.subnets[0]!, taken, '10.88.30.2')).toThrow(ConflictError);
  });
});
