/**
 * Typed line ops as rtnetlink requests: the same kernel objects `ip` and
 * `bridge` make from exec/*.ts's words, attribute for attribute what iproute2
 * 6.1 sends (captured with strace). Pure: names and namespaces are resolved
 * through the caller (the socket, or a test's table).
 */
import { CnmError } from '../../errors.js';
import { parseAddr } from '../../ip.js';
import type { AddrAddOp, FdbOp, LineOp, LinkAddOp, LinkSetOp, LinkType, NeighDelOp, NeighReplaceOp, RouteOp } from '../../plan.js';
import { F, Message, RTM, ifinfomsg, le } from './message.js';

/** What encoding needs from the kernel: a link's index by name, a namespace's fd by name. */
export interface Resolve {
  index(name: string): number;
  nsFd(name: string): number;
}

/** The rtnetlink ops (netns ops are not messages). */
export type NetlinkOp = Exclude<LineOp, { kind: 'netns.add' | 'netns.attach' | 'netns.del' }>;

const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, LINKINFO: 18, IFALIAS: 20, AF_SPEC: 26, GROUP: 27, NET_NS_FD: 28 } as const;
const INFO = { KIND: 1, DATA: 2, SLAVE_DATA: 5 } as const;
const IFLA_BR_MCAST_SNOOPING = 23;
const IFF_UP = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_BRIDGE = 7;

export function isNetlinkOp(op: LineOp): op is NetlinkOp {
  return !op.kind.startsWith('netns.');
}

/** The request for one op (sequence number 0; the socket numbers them). */
export function encode(op: NetlinkOp, r: Resolve): Message {
  switch (op.kind) {
    case 'link.add':
      return linkAdd(op, r);
    case 'link.set':
      return linkSet(op, r);
    case 'link.del':
      return new Message(RTM.DELLINK, F.REQUEST | F.ACK).raw(ifinfomsg()).cstr(IFLA.IFNAME, op.name);
    case 'addr.add':
      return addrAdd(op, r);
    case 'route.add':
    case 'route.replace':
      return route(op, r);
    case 'fdb.append':
    case 'fdb.replace':
    case 'fdb.del':
      return fdb(op, r);
    case 'neigh.replace':
    case 'neigh.del':
      return neigh(op, r);
  }
}

/** mtu and address, as `ip link add` writes them for the link and for a veth's peer. */
function mtuAndMac(m: Message, o: { mtu?: number | undefined; mac?: string | undefined }): void {
  if (o.mtu !== undefined) m.u32(IFLA.MTU, o.mtu);
  if (o.mac !== undefined) m.attr(IFLA.ADDRESS, mac(o.mac));
}

function linkAdd(op: LinkAddOp, r: Resolve): Message {
  const m = new Message(RTM.NEWLINK, F.REQUEST | F.ACK | F.CREATE | F.EXCL).raw(ifinfomsg());
  // In the order of the words (exec/link.ts): netns, mtu, address, group; then ip's own: link, name, kind.
  if (op.netns !== undefined) m.u32(IFLA.NET_NS_FD, r.nsFd(op.netns));
  mtuAndMac(m, op);
  if (op.group !== undefined) m.u32(IFLA.GROUP, op.group);
  if (op.parent !== undefined) m.u32(IFLA.LINK, r.index(op.parent));
  m.cstr(IFLA.IFNAME, op.name);
  m.nest(IFLA.LINKINFO).str(INFO.KIND, op.link.type);
  linkData(m, op.link, r);
  return m.end();
}

const MACVLAN_MODE: Record<string, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 };
const IPVLAN_MODE: Record<string, number> = { l2: 0, l3: 1, l3s: 2 };

function modeOf(table: Record<string, number>, mode: string, type: string): number {
  const v = table[mode];
  if (v === undefined) throw new CnmError(`unknown ${type} mode "${mode}"`);
  return v;
}

function linkData(m: Message, t: LinkType, r: Resolve): void {
  switch (t.type) {
    case 'bridge':
      if (t.mcastSnooping !== undefined) m.nest(INFO.DATA).u8(IFLA_BR_MCAST_SNOOPING, t.mcastSnooping ? 1 : 0).end();
      return;
    case 'veth': {
      m.nest(INFO.DATA).nest(1 /* VETH_INFO_PEER */).raw(ifinfomsg());
      mtuAndMac(m, t.peer);
      if (t.peer.netns !== undefined) m.u32(IFLA.NET_NS_FD, r.nsFd(t.peer.netns));
      m.cstr(IFLA.IFNAME, t.peer.name).end().end();
      return;
    }
    case 'vxlan': {
      const local = ipBytes(t.local);
      m.nest(INFO.DATA).u32(3 /* LINK */, r.index(t.dev));
      if (t.proxy === true) m.u8(11 /* PROXY */, 1);
      m.u32(1 /* ID */, t.id).attr(local.length === 4 ? 4 /* LOCAL */ : 17 /* LOCAL6 */, local).u8(7 /* LEARNING */, 0).be16(15 /* PORT */, t.port).end();
      return;
    }
    case 'macvlan':
      m.nest(INFO.DATA).u32(1 /* MODE */, modeOf(MACVLAN_MODE, t.mode, t.type)).end();
      return;
    case 'ipvlan':
      m.nest(INFO.DATA).u16(1 /* MODE */, modeOf(IPVLAN_MODE, t.mode, t.type)).u16(2 /* FLAGS */, 0).end();
      return;
    case 'vlan':
      m.nest(INFO.DATA).u16(1 /* ID */, t.id).end();
      return;
  }
}

/** `ip link set`: the link named by IFLA_IFNAME (the kernel looks it up), changes in the order of the words. */
function linkSet(op: LinkSetOp, r: Resolve): Message {
  const m = new Message(RTM.NEWLINK, F.REQUEST | F.ACK).raw(op.up ? ifinfomsg(0, IFF_UP, IFF_UP) : ifinfomsg());
  if (op.master !== undefined) m.u32(IFLA.MASTER, r.index(op.master));
  if (op.alias !== undefined) m.str(IFLA.IFALIAS, op.alias);
  if (op.addrgenmode !== undefined) m.nest(IFLA.AF_SPEC).nest(AF_INET6).u8(8 /* IFLA_INET6_ADDR_GEN_MODE */, 1 /* none */).end().end();
  if (op.group !== undefined) m.u32(IFLA.GROUP, op.group);
  if (op.isolated) m.nest(IFLA.LINKINFO).str(INFO.KIND, 'bridge_slave').nest(INFO.SLAVE_DATA).u8(33 /* IFLA_BRPORT_ISOLATED */, 1).end().end();
  if (op.mcastSnooping !== undefined) m.nest(IFLA.LINKINFO).str(INFO.KIND, 'bridge').nest(INFO.DATA).u8(IFLA_BR_MCAST_SNOOPING, op.mcastSnooping ? 1 : 0).end().end();
  return m.cstr(IFLA.IFNAME, op.name);
}

function addrAdd(op: AddrAddOp, r: Resolve): Message {
  const [text, prefix] = op.addr.split('/');
  const a = ipBytes(text!);
  const family = a.length === 4 ? AF_INET : AF_INET6;
  // ip's default scope: host for 127/8, else universe (the kernel picks IPv6 scopes itself).
  const scope = family === AF_INET && a[0] === 127 ? 254 : 0;
  const head = Uint8Array.of(family, Number(prefix ?? (a.length * 8)), op.nodad ? 0x02 /* IFA_F_NODAD */ : 0, scope, ...le(4, r.index(op.dev)));
  return new Message(RTM.NEWADDR, F.REQUEST | F.ACK | F.CREATE | F.EXCL).raw(head).attr(2 /* IFA_LOCAL */, a).attr(1 /* IFA_ADDRESS */, a);
}

function route(op: RouteOp, r: Resolve): Message {
  const [text, prefix] = op.dst.split('/');
  const dst = ipBytes(text!);
  const family = dst.length === 4 ? AF_INET : AF_INET6;
  // ip's default scope: link for a route with no gateway, universe otherwise (always universe for IPv6).
  const scope = family === AF_INET && op.via === undefined ? 253 : 0;
  const head = Uint8Array.of(family, Number(prefix ?? dst.length * 8), 0, 0, 254 /* main */, 3 /* boot */, scope, 1 /* unicast */, 0, 0, 0, 0);
  const flags = F.REQUEST | F.ACK | F.CREATE | (op.kind === 'route.add' ? F.EXCL : F.REPLACE);
  const m = new Message(RTM.NEWROUTE, flags).raw(head).attr(1 /* RTA_DST */, dst);
  if (op.via !== undefined) m.attr(5 /* RTA_GATEWAY */, ipBytes(op.via));
  if (op.src !== undefined) m.attr(7 /* RTA_PREFSRC */, ipBytes(op.src));
  return m.u32(4 /* RTA_OIF */, r.index(op.dev));
}

const NUD_PERMANENT = 0x80;
const NDA = { DST: 1, LLADDR: 2 } as const;

/** `bridge fdb append|replace|del`: a permanent entry of the device itself (NTF_SELF), as bridge(8) defaults. */
function fdb(op: FdbOp, r: Resolve): Message {
  const head = Uint8Array.of(AF_BRIDGE, 0, 0, 0, ...le(4, r.index(op.dev)), 0x40 | NUD_PERMANENT /* NUD_NOARP too */, 0, 0x02 /* NTF_SELF */, 0);
  const m =
    op.kind === 'fdb.del'
      ? new Message(RTM.DELNEIGH, F.REQUEST | F.ACK)
      : new Message(RTM.NEWNEIGH, F.REQUEST | F.ACK | F.CREATE | (op.kind === 'fdb.append' ? F.APPEND : F.REPLACE));
  return m.raw(head).attr(NDA.LLADDR, mac(op.mac)).attr(NDA.DST, ipBytes(op.dst));
}

/** `ip neigh replace ... nud permanent` / `ip neigh del`: struct ndmsg with the link's index, then NDA_DST (and NDA_LLADDR). */
function neigh(op: NeighReplaceOp | NeighDelOp, r: Resolve): Message {
  const dst = ipBytes(op.addr);
  const head = Uint8Array.of(dst.length === 4 ? AF_INET : AF_INET6, 0, 0, 0, ...le(4, r.index(op.dev)), NUD_PERMANENT, 0, 0, 0);
  if (op.kind === 'neigh.del') return new Message(RTM.DELNEIGH, F.REQUEST | F.ACK).raw(head).attr(NDA.DST, dst);
  return new Message(RTM.NEWNEIGH, F.REQUEST | F.ACK | F.CREATE | F.REPLACE).raw(head).attr(NDA.DST, dst).attr(NDA.LLADDR, mac(op.mac));
}

export function ipBytes(text: string): Uint8Array {
  const a = parseAddr(text);
  if (!a) throw new CnmError(`not an IP address: "${text}"`);
  const n = a.family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number((a.value >> BigInt(8 * (n - 1 - i))) & 0xffn);
  return out;
}

export function mac(text: string): Uint8Array {
  const parts = text.split(':');
  const out = new Uint8Array(6);
  let ok = parts.length === 6;
  for (let i = 0; ok && i < 6; i++) {
    ok = /^[0-9a-fA-F]{1,2}$/.test(parts[i]!);
    out[i] = parseInt(parts[i]!, 16);
  }
  if (!ok) throw new CnmError(`not a MAC address: "${text}"`);
  return out;
}
