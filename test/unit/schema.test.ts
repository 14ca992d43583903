import { describe, expect, it } from 'vitest';
import { encodeState, layOut, parseState } from '../../src/core/store.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';
import { validateState } from '../../src/core/schema.js';

const id = (c: string) => c.repeat(64);

function good() {
  return {
    schema: 1,
    networks: [
      {
        id: id('a'), name: 'front', driver: 'bridge', created: 'x', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
        bridge: 'cnm-aaaaaaaaaaa', subnets: [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }], options: {}, labels: { k: 'v' }, driverOpts: {},
      },
    ],
    sandboxes: [{ id: id('b'), name: 'web', created: 'x', hostname: 'web', netns: 'web', dns: [], ports: [{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp' }] }],
    endpoints: [{ id: id('c'), networkId: id('a'), sandboxId: id('b'), ifname: 'eth0', hostIfname: 'vethccccccccccc', mac: '02:42:ac:12:00:02', ipv4: '172.18.0.2/16', aliases: [], created: 'x' }],
  };
}

type Doc = ReturnType<typeof good>;
const cases: [string, (d: Doc) => void, RegExp][] = [
  ['a subnet entry of the wrong type', (d) => ((d.networks[0]!.subnets as unknown[])[0] = 'x'), /networks\[0\]\.subnets\[0\] must be an object/],
  ['a gateway that is a number', (d) => ((d.networks[0]!.subnets[0] as Record<string, unknown>).gateway = 5), /networks\[0\]\.subnets\[0\]\.gateway must be a string, found number/],
  ['a subnet that is no CIDR', (d) => (d.networks[0]!.subnets[0]!.subnet = 'banana'), /networks\[0\]\.subnets\[0\]\.subnet "banana" is not a CIDR/],
  ['a label that is not a string', (d) => ((d.networks[0]!.labels as Record<string, unknown>).k = 1), /networks\[0\]\.labels\.k must be a string/],
  ['a short id', (d) => (d.networks[0]!.id = 'abc'), /networks\[0\]\.id must be 12-64 letters/],
  ['a bad name', (d) => (d.sandboxes[0]!.name = '-x'), /sandboxes\[0\]\.name "-x" is not a valid name/],
  ['a port without a number', (d) => ((d.sandboxes[0]!.ports[0] as Record<string, unknown>).hostPort = '80'), /sandboxes\[0\]\.ports\[0\]\.hostPort must be a number, found string/],
  ['an unknown protocol', (d) => ((d.sandboxes[0]!.ports[0] as Record<string, unknown>).proto = 'icmp'), /sandboxes\[0\]\.ports\[0\]\.proto must be tcp, udp or sctp/],
  ['a dns entry that is a number', (d) => ((d.sandboxes[0]!.dns as unknown[]).push(1)), /sandboxes\[0\]\.dns\[0\] must be a string/],
  ['an adopted pid that is a string', (d) => ((d.sandboxes[0] as Record<string, unknown>).adopted = { pid: '12' }), /sandboxes\[0\]\.adopted\.pid must be a number/],
  ['an endpoint on a missing network', (d) => (d.endpoints[0]!.networkId = id('f')), /endpoints\[0\]\.networkId ffffffffffff refers to no network/],
  ['an endpoint of a missing sandbox', (d) => (d.endpoints[0]!.sandboxId = id('e')), /endpoints\[0\]\.sandboxId eeeeeeeeeeee refers to no sandbox/],
  ['an alias that is not a string', (d) => ((d.endpoints[0]!.aliases as unknown[]).push(null)), /endpoints\[0\]\.aliases\[0\] must be a string, found null/],
  ['two networks of one name', (d) => d.networks.push({ ...d.networks[0]!, id: id('d') }), /networks\[1\]\.name "front" is used twice/],
  ['an unknown driver', (d) => (d.networks[0]!.driver = 'weave'), /networks\[0\]\.driver "weave" is none of bridge, overlay, macvlan, ipvlan, host, none/],
  ['a bridge network without its bridge', (d) => delete (d.networks[0] as Record<string, unknown>).bridge, /networks\[0\]\.bridge must be a string for a bridge network, found undefined/],
  ['a spoofcheck that is a string', (d) => ((d.networks[0]!.driverOpts as Record<string, unknown>).spoofcheck = 'no'), /networks\[0\]\.driverOpts\.spoofcheck must be a boolean, found string/],
  ['a macvlan network without its parent', (d) => Object.assign(d.networks[0]!, { driver: 'macvlan', driverOpts: { mode: 'bridge' } }), /networks\[0\]\.driverOpts\.parent must be a string, found undefined/],
  ['an ipvlan mode the kernel does not name', (d) => Object.assign(d.networks[0]!, { driver: 'ipvlan', driverOpts: { parent: 'eth0', mode: 'vepa' } }), /networks\[0\]\.driverOpts\.mode "vepa" is none of l2, l3, l3s/],
  ['an overlay network without its VNI', (d) => Object.assign(d.networks[0]!, { driver: 'overlay', driverOpts: { local: '192.0.2.1', underlay: 'eth0', lowerMtu: 1450, peers: [] } }), /networks\[0\]\.driverOpts\.vni must be a number, found undefined/],
  ['a missing top-level list', (d) => delete (d as Partial<Doc>).endpoints, /"endpoints" must be an array/],
];

describe('state shape checks name the path and field', () => {
  it('accepts a well-formed state', () => {
    expect(validateState(good())).toBeUndefined();
  });
  for (const [what, edit, want] of cases) {
    it(`refuses ${what}`, () => {
      const d = good();
      edit(d);
      expect(validateState(d)).toMatch(want);
      expect(() => parseState(JSON.stringify(d), '/var/lib/cnm/state.json')).toThrow(/state file \/var\/lib\/cnm\/state\.json is invalid: .*repair it or move it away/);
    });
  }
});

describe('state files of earlier cnm versions load typed', () => {
  // As written before driver options were typed: a macvlan shim that used the parent's address
  // (shimSource, no lowerMtu), a cnm-made VLAN parent, an overlay and the built-ins.
  const net = (c: string, name: string, driver: string, extra: Record<string, unknown>) => ({
    id: id(c), name, driver, created: 'x', builtin: false, internal: false, dns: false, ipv6: false, mtu: 1500,
    subnets: [{ subnet: `10.${c.charCodeAt(0) - 90}.0.0/24`, gateway: `10.${c.charCodeAt(0) - 90}.0.1` }], options: {}, labels: {}, ...extra,
  });
  const old = {
    schema: 1,
    networks: [
      net('a', 'bridge', 'bridge', { builtin: true, bridge: 'cnm0', options: { 'com.docker.network.bridge.name': 'cnm0' }, driverOpts: {} }),
      { ...net('b', 'host', 'host', { builtin: true, driverOpts: {} }), subnets: [] },
      { ...net('c', 'none', 'none', { builtin: true, driverOpts: {} }), subnets: [] },
      net('d', 'lan', 'macvlan', { driverOpts: { parent: 'eth0.10', vlanLink: 'eth0', vlanId: 10, makeParent: true, mode: 'bridge', hostShim: true, shimSource: '10.10.0.9' } }),
      net('e', 'l3', 'ipvlan', { driverOpts: { parent: 'eth0', lowerMtu: 9000, mode: 'l3' } }),
      net('f', 'ov', 'overlay', { bridge: 'cnm-fffffffffff', driverOpts: { vni: 42, local: '192.0.2.1', underlay: 'eth1', lowerMtu: 1450, peers: ['192.0.2.2'], spoofcheck: false } }),
      {
        ...net('g', 'dual', 'bridge', { bridge: 'cnm-ggggggggggg', driverOpts: {} }),
        ipv6: true,
        subnets: [
          { subnet: '10.13.0.0/16', gateway: '10.13.255.254', ipRange: '10.13.8.0/21', next: '10.13.8.7', aux: { nas: '10.13.0.2' } },
          { subnet: 'fd12:3456:789a:1::/64', gateway: 'fd12:3456:789a:1::1', next: 'fd12:3456:789a:1::2' },
        ],
      },
    ],
    sandboxes: [],
    endpoints: [],
  };

  it('loads, and each network reads as its driver\'s type', () => {
    const state = parseState(JSON.stringify(old), '/var/lib/cnm/state.json');
    expect(state.networks.map((n) => n.driver)).toEqual(['bridge', 'host', 'none', 'macvlan', 'ipvlan', 'overlay', 'bridge']);
    const [bridge, , , lan, l3, ov, dual] = state.networks;
    expect(bridge!.driver === 'bridge' && bridge!.bridge).toBe('cnm0');
    expect(lan!.driver === 'macvlan' && [lan!.driverOpts.parent, lan!.driverOpts.mode, lan!.driverOpts.shimSource, lan!.driverOpts.lowerMtu]).toEqual(['eth0.10', 'bridge', '10.10.0.9', undefined]);
    expect(l3!.driver === 'ipvlan' && l3!.driverOpts.mode).toBe('l3');
    expect(ov!.driver === 'overlay' && ov!.bridge !== undefined && [ov!.bridge, ov!.driverOpts.vni, ov!.driverOpts.peers]).toEqual(['cnm-fffffffffff', 42, ['192.0.2.2']]);
    // The subnets' addresses are parsed on the way in.
    expect(dual!.subnets).toEqual([
      { subnet: mustCidr('10.13.0.0/16'), gateway: mustAddr('10.13.255.254'), ipRange: mustCidr('10.13.8.0/21'), next: '10.13.8.7', aux: { nas: mustAddr('10.13.0.2') } },
      { subnet: mustCidr('fd12:3456:789a:1::/64'), gateway: mustAddr('fd12:3456:789a:1::1'), next: 'fd12:3456:789a:1::2' },
    ]);
    // Nothing is rewritten on the way in: the same document goes out, byte for byte (laid out a record a line).
    expect(encodeState(state)).toBe(layOut(JSON.stringify(old)));
    expect(JSON.parse(encodeState(state))).toEqual(old);
  });

  it('decodes the subnets on the stamped path too (its shape checks are skipped, not its decoding)', () => {
    const state = parseState(JSON.stringify(old), '/var/lib/cnm/state.json', true);
    expect(state.networks[0]!.subnets[0]).toEqual({ subnet: mustCidr('10.7.0.0/24'), gateway: mustAddr('10.7.0.1') });
    expect(encodeState(state)).toBe(layOut(JSON.stringify(old)));
  });

  it.each([
    ['gateway', { subnet: '10.7.0.0/24', gateway: '10.7.0.300' }, /networks\[0\]\.subnets\[0\]\.gateway "10\.7\.0\.300" is not an address/],
    ['ipRange', { subnet: '10.7.0.0/24', ipRange: '10.7.0.0/33' }, /networks\[0\]\.subnets\[0\]\.ipRange "10\.7\.0\.0\/33" is not a CIDR/],
    ['aux', { subnet: '10.7.0.0/24', aux: { nas: 'nas.lan' } }, /networks\[0\]\.subnets\[0\]\.aux\.nas "nas\.lan" is not an address/],
    ['subnet', { subnet: '10.7.0.0/40' }, /networks\[0\]\.subnets\[0\]\.subnet "10\.7\.0\.0\/40" is not a CIDR/],
  ])('refuses a state whose %s does not parse, naming it', (_field, sub, msg) => {
    const doc = { ...old, networks: [{ ...old.networks[0]!, subnets: [sub] }] };
    expect(() => parseState(JSON.stringify(doc), '/var/lib/cnm/state.json')).toThrow(msg);
  });
});
