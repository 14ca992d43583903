/**
 * Kernel work as data. Drivers, IPAM and the firewall return these typed ops;
 * only the executor (exec.ts, with one module per op kind under exec/) applies
 * them, and only it and the --dry-run renderer (shell.ts) turn them into
 * `ip -batch` / `bridge -batch` lines. Each kind knows its inverse (inverseOf)
 * and, in its executor module, which failures mean "already gone".
 */

/** Where a command runs: a network namespace name (as `ip -n` takes it); absent = cnm's own (host) namespace. */
interface InNs {
  ns?: string;
}

/** The type-specific part of `ip link add ... type T ...`. */
export type LinkType =
  /** mcastSnooping: IGMP/MLD snooping (the kernel's default is on; cnm's bridges have it off, docs/security.md). */
  | { type: 'bridge'; mcastSnooping?: boolean }
  | { type: 'veth'; peer: { name: string; mtu?: number; mac?: string; netns?: string } }
  /** proxy: the device answers ARP from its neighbour table (cluster overlays, whose entries the agent programs). */
  | { type: 'vxlan'; id: number; port: number; local: string; dev: string; proxy?: boolean }
  | { type: 'macvlan'; mode: string }
  | { type: 'ipvlan'; mode: string }
  | { type: 'vlan'; id: number };

/** `ip link add [link PARENT name] NAME [netns NS] [mtu M] [address MAC] type ...`; undone by deleting NAME where it ends up. */
export interface LinkAddOp extends InNs {
  kind: 'link.add';
  name: string;
  /** The lower device (macvlan, ipvlan, vlan). */
  parent?: string;
  /** Made straight inside this namespace. */
  netns?: string;
  mtu?: number;
  mac?: string;
  /** The interface group (guard.ts marks endpoint ports by theirs). */
  group?: number;
  link: LinkType;
}

/** `ip link set NAME [master M] [alias A] [addrgenmode none] [up] [type bridge_slave isolated on | type bridge mcast_snooping 0|1]`. */
export interface LinkSetOp extends InNs {
  kind: 'link.set';
  name: string;
  master?: string;
  /** An isolated bridge port: it forwards only to ports that are not isolated (enable_icc=false). */
  isolated?: true;
  /** A bridge's IGMP/MLD snooping, changed on a bridge that exists (reconcile: one made by an older cnm). */
  mcastSnooping?: boolean;
  alias?: string;
  /** No automatic IPv6 link-local address. A kernel without IPv6 (ipv6.disable=1) has no such setting: there the op goes without it. */
  addrgenmode?: 'none';
  group?: number;
  up?: true;
}

export interface LinkDelOp extends InNs {
  kind: 'link.del';
  name: string;
}

/** `ip addr add ADDR/PREFIX dev DEV [nodad]`. Undone by deleting its link. */
export interface AddrAddOp extends InNs {
  kind: 'addr.add';
  addr: string;
  dev: string;
  nodad?: true;
}

/** `ip route add|replace DST [via GW] dev DEV [src SRC]`. Undone by deleting its link. */
export interface RouteOp extends InNs {
  kind: 'route.add' | 'route.replace';
  dst: string;
  via?: string;
  dev: string;
  src?: string;
}

/**
 * `bridge fdb append|replace|del MAC dev DEV dst IP`: a VXLAN device's entry (self, permanent), a
 * flooding entry (all-zeros MAC, appended) or the cluster agent's MAC -> VTEP (replaced).
 */
export interface FdbOp extends InNs {
  kind: 'fdb.append' | 'fdb.replace' | 'fdb.del';
  mac: string;
  dev: string;
  dst: string;
  /** Removing something else (the VXLAN device) takes it back: no undo of its own. */
  covered?: true;
}

/** `ip neigh replace ADDR lladdr MAC dev DEV nud permanent`: the cluster agent's IP -> MAC on a proxy-ARP VXLAN device. */
export interface NeighReplaceOp extends InNs {
  kind: 'neigh.replace';
  addr: string;
  mac: string;
  dev: string;
}

/** `ip neigh del ADDR dev DEV`. */
export interface NeighDelOp extends InNs {
  kind: 'neigh.del';
  addr: string;
  dev: string;
}

export interface NetnsAddOp {
  kind: 'netns.add';
  name: string;
}

/** `ip netns attach NAME PID`: names the namespace a process lives in. */
export interface NetnsAttachOp {
  kind: 'netns.attach';
  name: string;
  pid: number;
}

export interface NetnsDelOp {
  kind: 'netns.del';
  name: string;
}

export interface NftOp {
  kind: 'nft';
  /** Lines of an `nft -f` script; all nft ops of a plan run as one transaction. */
  script: string[];
  undo?: string[];
  /** The same work as the script, when it is only set elements (the binary sends them over netlink). */
  elements?: SetElements[];
  undoElements?: SetElements[];
}

/** One part of a concatenated set key, as nft names its type (`raw128`: a 128-bit field written `0x...`, given as an IPv6 address). */
export interface KeyPart {
  type: 'ifname' | 'ether_addr' | 'ipv4_addr' | 'ipv6_addr' | 'raw128';
  value: string;
}

/** `add|delete element FAMILY TABLE SET { KEY [comment "..."], ... }`. */
export interface SetElements {
  verb: 'add' | 'delete';
  family: 'bridge' | 'inet';
  table: string;
  set: string;
  elements: { key: KeyPart[]; comment?: string }[];
}

export interface SysctlOp {
  kind: 'sysctl';
  /** Dotted key, e.g. net.ipv4.ip_forward, in cnm's own namespace. */
  key: string;
  value: string;
  /** Only on a kernel with IPv6: one booted with ipv6.disable=1 has no net.ipv6 keys, and the op is skipped there. */
  ipv6Only?: true;
}

/** An interface's setting: net.ipv4.conf.DEV.KEY, net.ipv6.conf.DEV.KEY, net.ipv6.neigh.DEV.KEY (DEV may hold dots: br.1). */
const IFACE_KEY = /^(net\.ipv[46]\.(?:conf|neigh))\.(.+)\.([^.]+)$/;

/** A sysctl key as a path under /proc/sys: the dots are separators, but for those of an interface's name. */
export function sysctlPath(key: string): string {
  const m = IFACE_KEY.exec(key);
  return m ? `${m[1]!.replace(/\./g, '/')}/${m[2]}/${m[3]}` : key.replace(/\./g, '/');
}

/** The key as sysctl(8) takes it: with '/' separators when an interface's name holds a dot (it then reads the dots as part of a name). */
export function sysctlKeyWord(key: string): string {
  return IFACE_KEY.exec(key)?.[2]?.includes('.') ? sysctlPath(key) : key;
}

export interface FileOp {
  kind: 'file';
  path: string;
  /** New content; null removes the file (and its directory when empty). */
  content: string | null;
}

/** `mount --bind SOURCE TARGET` (adopting a namespace file); undone by `umount TARGET`. */
export interface MountOp {
  kind: 'mount.bind';
  source: string;
  target: string;
}

export interface UmountOp {
  kind: 'umount';
  target: string;
}

/** `kill -9 PID...` (processes left inside a sandbox being force-removed). */
export interface KillOp {
  kind: 'process.kill';
  pids: number[];
}

/** The ops one `ip -batch` (or `bridge -batch`) line does. */
export type LineOp = LinkAddOp | LinkSetOp | LinkDelOp | AddrAddOp | RouteOp | FdbOp | NeighReplaceOp | NeighDelOp | NetnsAddOp | NetnsAttachOp | NetnsDelOp;

export type Op = LineOp | NftOp | SysctlOp | FileOp | MountOp | UmountOp | KillOp;

export type OpKind = Op['kind'];

/**
 * The plan as this kernel can carry it out: without its IPv6 settings when it has no IPv6 (an op
 * that only made one goes). `hasIPv6` may be a question, asked only of a plan that has such
 * settings (a teardown has none).
 */
export function forKernel(plan: readonly Op[], hasIPv6: boolean | (() => boolean)): readonly Op[] {
  const v6 = (op: Op): boolean => (op.kind === 'sysctl' && op.ipv6Only === true) || (op.kind === 'link.set' && op.addrgenmode !== undefined);
  if (!plan.some(v6)) return plan;
  if (typeof hasIPv6 === 'function' ? hasIPv6() : hasIPv6) return plan;
  return plan.flatMap((op): Op[] => {
    if (op.kind === 'sysctl') return op.ipv6Only ? [] : [op];
    if (op.kind !== 'link.set' || op.addrgenmode === undefined) return [op];
    const { addrgenmode: _, ...rest } = op;
    return Object.keys(rest).some((k) => k !== 'kind' && k !== 'name' && k !== 'ns') ? [rest] : [];
  });
}

const LINE_KINDS: ReadonlySet<OpKind> = new Set<OpKind>(['link.add', 'link.set', 'link.del', 'addr.add', 'route.add', 'route.replace', 'fdb.append', 'fdb.replace', 'fdb.del', 'neigh.replace', 'neigh.del', 'netns.add', 'netns.attach', 'netns.del']);

export function isLineOp(op: Op): op is LineOp {
  return LINE_KINDS.has(op.kind);
}

/** The iproute2 tool whose batch runs a line op: `bridge` for fdb entries, which `ip -batch` cannot do. */
export function toolOf(op: LineOp): 'ip' | 'bridge' {
  return op.kind.startsWith('fdb.') ? 'bridge' : 'ip';
}

/** The namespace a line op runs in (netns ops always run in cnm's own). */
export function nsOf(op: LineOp): string | undefined {
  return 'ns' in op ? op.ns : undefined;
}

/** Where a link made by this op ends up: its own namespace (and the veth peer's). */
export function linkPlace(op: LinkAddOp): string | undefined {
  return op.netns ?? op.ns;
}

export const isRoute = (op: Op): op is RouteOp => op.kind === 'route.add' || op.kind === 'route.replace';

/**
 * The op that takes back a step that succeeded; undefined when the kind has
 * none (addresses, routes and `link set` go with their link; deletions are
 * not undone), or when undoing something else covers it.
 */
export function inverseOf(op: Op): Op | undefined {
  switch (op.kind) {
    case 'link.add':
      return linkDel(op.name, linkPlace(op));
    case 'fdb.append':
    case 'fdb.del':
      return op.covered ? undefined : { ...fdbCopy(op), kind: op.kind === 'fdb.append' ? 'fdb.del' : 'fdb.append' };
    case 'netns.add':
    case 'netns.attach':
      return { kind: 'netns.del', name: op.name };
    case 'nft':
      return op.undo ? { kind: 'nft', script: op.undo, ...(op.undoElements ? { elements: op.undoElements } : {}) } : undefined;
    case 'mount.bind':
      return { kind: 'umount', target: op.target };
    default:
      return undefined;
  }
}

/**
 * The host-side devices a plan makes that go when a namespace it makes is deleted: each veth pair
 * whose peer it puts in one (the kernel deletes the pair with the namespace, in the background;
 * deleting the host end itself waits out RCU grace periods, 15-40 ms here).
 */
export function goneWithNamespaces(plan: readonly Op[]): Set<string> {
  const spaces = new Set(plan.flatMap((op) => (op.kind === 'netns.add' ? [op.name] : [])));
  const out = new Set<string>();
  for (const op of plan) {
    if (op.kind === 'link.add' && op.ns === undefined && op.link.type === 'veth' && op.link.peer.netns !== undefined && spaces.has(op.link.peer.netns)) out.add(op.name);
  }
  return out;
}

function fdbCopy(op: FdbOp): FdbOp {
  const copy: FdbOp = { kind: op.kind, mac: op.mac, dev: op.dev, dst: op.dst };
  if (op.ns !== undefined) copy.ns = op.ns;
  return copy;
}

const inNs = <T extends object>(op: T, ns: string | undefined): T => (ns === undefined ? op : { ...op, ns });

export function linkDel(name: string, ns?: string): LinkDelOp {
  return inNs({ kind: 'link.del', name }, ns);
}

export function linkSet(name: string, set: Omit<LinkSetOp, 'kind' | 'name' | 'ns'>, ns?: string): LinkSetOp {
  return inNs({ kind: 'link.set', name, ...set }, ns);
}

export function addrAdd(addr: string, dev: string, ns?: string, nodad = false): AddrAddOp {
  return inNs({ kind: 'addr.add', addr, dev, ...(nodad ? { nodad: true as const } : {}) }, ns);
}

export function nft(script: string[], undo?: string[]): NftOp {
  return undo ? { kind: 'nft', script, undo } : { kind: 'nft', script };
}

/**
 * Orders a plan made of independent parts (say, the teardowns of many
 * endpoints) so the executor can batch it: ip lines of cnm's own namespace
 * first, then each sandbox namespace's, then everything else, each in its
 * original order. Only for parts that do not depend on one another.
 */
export function byNamespace(ops: readonly Op[]): Op[] {
  const host: Op[] = [];
  const perNs = new Map<string, Op[]>();
  const rest: Op[] = [];
  for (const op of ops) {
    if (!isLineOp(op)) rest.push(op);
    else if (nsOf(op) === undefined && toolOf(op) === 'ip') host.push(op);
    else {
      const key = `${toolOf(op)} ${nsOf(op) ?? ''}`;
      perNs.set(key, [...(perNs.get(key) ?? []), op]);
    }
  }
  return [...host, ...[...perNs.values()].flat(), ...rest];
}
