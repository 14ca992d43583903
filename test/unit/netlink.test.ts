/**
 * The rtnetlink encoding of each kind of line op, byte for byte. Where
 * iproute2 6.1 sends a request for the same words, the fixture is what it
 * sent (captured with `strace -e trace=sendmsg -e write=all` in a throwaway
 * namespace; sequence number zeroed; the indexes and the namespace fd it had
 * are the resolver's table below). `link set` and `link del` name the link
 * (IFLA_IFNAME, the kernel looks it up) where ip sends the index it looked up
 * itself: those fixtures are checked by hand against the header layout.
 * Nothing here opens a socket: encoding only.
 */
import { describe, expect, it } from 'vitest';
import { type NetlinkOp, type Resolve, encode } from '../../src/core/exec/netlink/encode.js';
import { Message, errorOf, replies } from '../../src/core/exec/netlink/message.js';
import { entries } from '../../src/core/exec/netlink/neighbours.js';
import { linkSet } from '../../src/core/plan.js';

/** The links and namespaces of the capture: u0 = 3, u1 = 2, vx0 = 6; the namespace t1 open as fd 4. */
const resolve: Resolve = {
  index: (name) => ({ u0: 3, u1: 2, vx0: 6, br0: 9 })[name] ?? Number.NaN,
  nsFd: (name) => (name === 't1' ? 4 : Number.NaN),
};

const hex = (op: NetlinkOp) => Buffer.from(encode(op, resolve).done(0)).toString('hex');
/** ip's bytes with its sequence number (bytes 8-11) zeroed. */
const ip = (h: string) => h.slice(0, 16) + '00000000' + h.slice(24);

describe('rtnetlink requests for line ops: what ip and bridge send', () => {
  it('link add veth with the peer in another namespace', () => {
    expect(hex({ kind: 'link.add', name: 'vA', mtu: 1400, group: 7, link: { type: 'veth', peer: { name: 'eth0', mtu: 1400, mac: '02:42:0a:58:00:02', netns: 't1' } } })).toBe(
      ip('8400000010000506b0be076b0000000000000000000000000000000000000000080004007805000008001b000700000007000300764100004c0012000800010076657468400002003c0001000000000000000000000000000000000008000400780500000a00010002420a580002000008001c0004000000090003006574683000000000'),
    );
  });

  it('link add vxlan (nolearning, proxy)', () => {
    expect(hex({ kind: 'link.add', name: 'vx0', mtu: 1450, link: { type: 'vxlan', id: 42, port: 4789, local: '192.0.2.1', dev: 'u0', proxy: true } })).toBe(
      ip('7400000010000506b1be076b000000000000000000000000000000000000000008000400aa0500000800030076783000440012000900010076786c616e00000034000200080003000300000005000b0001000000080001002a00000008000400c0000201050007000000000006000f0012b50000'),
    );
  });

  it('link add macvlan made inside a namespace, ipvlan, vlan, bridge', () => {
    expect(hex({ kind: 'link.add', name: 'mv0', parent: 'u1', netns: 't1', mtu: 1400, mac: '02:00:00:00:00:09', link: { type: 'macvlan', mode: 'bridge' } })).toBe(
      ip('6800000010000506b4be076b000000000000000000000000000000000000000008001c000400000008000400780500000a00010002000000000900000800050002000000080003006d7630001c0012000b0001006d6163766c616e000c0002000800010004000000'),
    );
    expect(hex({ kind: 'link.add', name: 'iv0', parent: 'u1', link: { type: 'ipvlan', mode: 'l3s' } })).toBe(
      ip('5400000010000506b4be076b000000000000000000000000000000000000000008000500020000000800030069763000240012000a0001006970766c616e00001400020006000100020000000600020000000000'),
    );
    expect(hex({ kind: 'link.add', name: 'u1.5', parent: 'u1', link: { type: 'vlan', id: 5 } })).toBe(
      ip('4c00000010000506b5be076b000000000000000000000000000000000000000008000500020000000900030075312e35000000001800120008000100766c616e0c0002000600010005000000'),
    );
    expect(hex({ kind: 'link.add', name: 'br1', mtu: 1500, mac: '02:42:00:00:00:01', link: { type: 'bridge' } })).toBe(
      ip('4c00000010000506b6be076b000000000000000000000000000000000000000008000400dc0500000a00010002420000000100000800030062723100100012000a0001006272696467650000'),
    );
    // `type bridge mcast_snooping 0`: IFLA_INFO_DATA { IFLA_BR_MCAST_SNOOPING (23) u8 0 } after the kind.
    expect(hex({ kind: 'link.add', name: 'br1', mtu: 1500, mac: '02:42:00:00:00:01', link: { type: 'bridge', mcastSnooping: false } })).toBe(
      ip('58000000100005067554086b000000000000000000000000000000000000000008000400dc0500000a000100024200000001000008000300627231001c0012000a00010062726964676500000c0002000500170000000000'),
    );
  });

  it('addr add: IPv4, IPv6 nodad, loopback scope host', () => {
    expect(hex({ kind: 'addr.add', addr: '10.88.0.2/24', dev: 'u0' })).toBe(ip('2800000014000506b7be076b000000000218000003000000080002000a580002080001000a580002'));
    expect(hex({ kind: 'addr.add', addr: 'fd00::2/64', dev: 'u0', nodad: true })).toBe(
      ip('4000000014000506b7be076b000000000a4002000300000014000200fd00000000000000000000000000000214000100fd000000000000000000000000000002'),
    );
    expect(hex({ kind: 'addr.add', addr: '127.0.0.5/8', dev: 'u0' })).toBe(ip('2800000014000506b8be076b00000000020800fe03000000080002007f000005080001007f000005'));
  });

  it('route replace default via a gateway (IPv4, IPv6); route add on-link with a source', () => {
    expect(hex({ kind: 'route.replace', dst: '0.0.0.0/0', via: '192.0.2.254', dev: 'u0' })).toBe(
      ip('3400000018000505b9be076b0000000002000000fe03000100000000080001000000000008000500c00002fe0800040003000000'),
    );
    expect(hex({ kind: 'route.replace', dst: '::/0', via: 'fd00::1', dev: 'u0' })).toBe(
      ip('4c00000018000505babe076b000000000a000000fe03000100000000140001000000000000000000000000000000000014000500fd0000000000000000000000000000010800040003000000'),
    );
    expect(hex({ kind: 'route.add', dst: '10.9.0.0/16', dev: 'u0', src: '192.0.2.1' })).toBe(
      ip('3400000018000506b9be076b0000000002100000fe03fd0100000000080001000a09000008000700c00002010800040003000000'),
    );
  });

  it('bridge fdb append and del (AF_BRIDGE NEWNEIGH/DELNEIGH, permanent, self)', () => {
    expect(hex({ kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.0.2.2' })).toBe(
      ip('300000001c00050cb3be076b000000000700000006000000c00002000a000200000000000000000008000100c0000202'),
    );
    expect(hex({ kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'vx0', dst: '192.0.2.2' })).toBe(
      ip('300000001d000500b4be076b000000000700000006000000c00002000a000200000000000000000008000100c0000202'),
    );
  });

  it('the cluster agent\'s entries: bridge fdb replace ... self permanent, ip neigh replace ... nud permanent, ip neigh del', () => {
    const captured: [NetlinkOp, string][] = [
      [{ kind: 'fdb.replace', mac: '02:42:0a:00:00:05', dev: 'vx0', dst: '192.0.2.9' }, '300000001c0005059ade076b000000000700000006000000c00002000a00020002420a000005000008000100c0000209'],
      [{ kind: 'neigh.replace', addr: '10.0.0.5', mac: '02:42:0a:00:00:05', dev: 'vx0' }, '300000001c00050599de076b00000000020000000600000080000000080001000a0000050a00020002420a0000050000'],
      [{ kind: 'neigh.replace', addr: 'fd00::5', mac: '02:42:0a:00:00:05', dev: 'vx0' }, '3c0000001c0005059ade076b000000000a000000060000008000000014000100fd0000000000000000000000000000050a00020002420a0000050000'],
      [{ kind: 'neigh.del', addr: '10.0.0.5', dev: 'vx0' }, '240000001d0005009ade076b00000000020000000600000080000000080001000a000005'],
    ];
    captured.forEach(([op, bytes], i) => expect(hex(op), `${op.kind} #${i}`).toBe(ip(bytes)));
  });
});

describe('rtnetlink requests that name the link (hand-checked)', () => {
  it('link set ... master up: NEWLINK, ACK only, IFF_UP in flags and change, IFLA_MASTER, then IFLA_IFNAME', () => {
    expect(hex(linkSet('vA', { master: 'br0', up: true }))).toBe(
      '30000000' + '1000' + '0500' + '00000000' + '00000000' + // len 48, RTM_NEWLINK, REQUEST|ACK, seq, pid
        '00000000' + '00000000' + '01000000' + '01000000' + // ifinfomsg: family, type, index 0, flags IFF_UP, change IFF_UP
        '08000a00' + '09000000' + // IFLA_MASTER br0
        '07000300' + '76410000', // IFLA_IFNAME "vA\0" (padded)
    );
  });

  it('link set addrgenmode none, alias, group, isolated port', () => {
    expect(hex(linkSet('br0', { addrgenmode: 'none', alias: 'hi', group: 7, isolated: true }))).toBe(
      '68000000' + '10000500' + '00000000' + '00000000' + '00000000000000000000000000000000' + // len 104
        '06001400' + '68690000' + // IFLA_IFALIAS "hi" (no NUL)
        '10001a00' + '0c000a00' + '05000800' + '01000000' + // IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE none } }
        '08001b00' + '07000000' + // IFLA_GROUP 7
        '20001200' + '10000100' + '6272696467655f736c617665' + '0c000500' + '05002100' + '01000000' + // LINKINFO { KIND "bridge_slave", SLAVE_DATA { ISOLATED 1 } }
        '08000300' + '62723000', // IFLA_IFNAME "br0\0"
    );
  });

  it('link set type bridge mcast_snooping 0: LINKINFO { KIND "bridge", DATA { MCAST_SNOOPING 0 } }', () => {
    expect(hex(linkSet('br0', { mcastSnooping: false }))).toBe(
      '44000000' + '10000500' + '00000000' + '00000000' + '00000000000000000000000000000000' + // len 68
        '1c001200' + '0a000100' + '627269646765' + '0000' + '0c000200' + '05001700' + '00000000' + // LINKINFO { KIND "bridge", DATA { IFLA_BR_MCAST_SNOOPING 0 } }
        '08000300' + '62723000', // IFLA_IFNAME "br0\0"
    );
  });

  it('link del: DELLINK by name', () => {
    expect(hex({ kind: 'link.del', name: 'vA', ns: 't1' })).toBe('28000000' + '11000500' + '00000000' + '00000000' + '00000000000000000000000000000000' + '07000300' + '76410000');
  });

  it('a name the resolver does not know fails the encoding, not the kernel', () => {
    const missing: Resolve = { index: (n) => { throw new Error(`Cannot find device "${n}"`); }, nsFd: () => 4 };
    expect(() => encode({ kind: 'addr.add', addr: '10.0.0.2/24', dev: 'eth9' }, missing)).toThrow('Cannot find device "eth9"');
  });
});

describe('the kernel\'s answers', () => {
  it('an ack, an error with its extended-ack text, several answers in one read', () => {
    const ack = new Message(2, 0x100).raw(Uint8Array.of(0, 0, 0, 0)).raw(new Uint8Array(16)).done(7);
    const err = new Message(2, 0x300).raw(Uint8Array.of(0xef, 0xff, 0xff, 0xff)).raw(new Uint8Array(16)).cstr(1, 'Unknown device type').done(8);
    const [a, b] = replies(Buffer.concat([ack, err]));
    expect([a!.seq, errorOf(a!)]).toEqual([7, { errno: 0 }]);
    expect([b!.seq, errorOf(b!)]).toEqual([8, { errno: 17, message: 'Unknown device type' }]);
  });
});

describe('a device\'s entries from RTM_GETNEIGH dumps (the parts `bridge fdb show` and `ip -4 neigh show` received)', () => {
  const part = (h: string) => replies(Uint8Array.from(Buffer.from(h, 'hex')))[0]!;
  it('an FDB entry (self, permanent, with its VTEP) and neighbour entries on two links', () => {
    const fdb = part('440000001c00020055ee076ba02b00000700000006000000c00002010a00020002420a000005000008000100c00002091400030000000000020000000200000000000000');
    expect(entries([fdb])).toEqual([{ index: 6, state: 0xc0, mac: '02:42:0a:00:00:05', dst: '192.0.2.9' }]);
    const onD0 = part('4c0000001c00020055ee076bae2b0000020000000300000080000003080001000a0000070a00020002420a000007000008000400000000001400030003000000030000000300000000000000');
    const onVx0 = part('4c0000001c00020055ee076bae2b0000020000000600000080000003080001000a0000050a00020002420a000005000008000400000000001400030004000000040000000400000000000000');
    expect(entries([onD0, onVx0])).toEqual([
      { index: 3, state: 0x80, dst: '10.0.0.7', mac: '02:42:0a:00:00:07' },
      { index: 6, state: 0x80, dst: '10.0.0.5', mac: '02:42:0a:00:00:05' },
    ]);
    // Anything but a neighbour message (the dump's NLMSG_DONE, a truncated part) is no entry.
    expect(entries([{ ...onVx0, type: 3 }, { ...onVx0, body: onVx0.body.subarray(0, 8) }])).toEqual([]);
  });
});
