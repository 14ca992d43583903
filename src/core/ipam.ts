/**
 * IPAM: a pure allocator over the state. Subnets come from the default pools
 * (172.17-31.0.0/16, then 192.168.0.0/16 cut into /20s), skipping any that
 * overlap a cnm network or a route of the host. Addresses are handed out in
 * order from a cursor and not reused until the range wraps.
 */
import { ConflictError, CnmError, UsageError } from './errors.js';
import {
  type Addr,
  type Cidr,
  type Family,
  cidrContains,
  contains,
  formatAddr,
  formatCidr,
  type Given,
  givenAddr,
  givenCidr,
  last,
  mustCidr,
  overlaps,
  parseAddr,
  parseCidr,
  parseWrittenCidr,
  stripPrefix,
  type WrittenCidr,
} from './ip.js';
import type { Endpoint, Network, State, SubnetConfig } from './model.js';

export function* defaultPools(): Generator<Cidr> {
  for (let second = 17; second <= 31; second++) {
    yield { family: 4, base: (172n << 24n) | (BigInt(second) << 16n), prefix: 16 };
  }
  for (let third = 0; third < 256; third += 16) {
    yield { family: 4, base: (192n << 24n) | (168n << 16n) | (BigInt(third) << 8n), prefix: 20 };
  }
}

/** Every subnet in use: those of cnm networks and the host's own routes. */
export function usedSubnets(state: State, hostRoutes: readonly Cidr[], except?: string): Cidr[] {
  const out: Cidr[] = [];
  for (const net of state.networks) {
    if (net.id === except) continue;
    for (const s of net.subnets) out.push(s.subnet);
  }
  for (const r of hostRoutes) if (r.prefix > 0) out.push(r);
  return out;
}

export function pickFreeSubnet(used: readonly Cidr[], pools: Iterable<Cidr> = defaultPools()): Cidr {
  for (const pool of pools) {
    if (!used.some((u) => overlaps(u, pool))) return pool;
  }
  throw new CnmError('no free subnet left in the default pools; pass --subnet CIDR');
}

/**
 * Ranges no network may use (or overlap): a bridge's gateway there would break
 * the host (loopback, link-local) or the kernel refuses it (multicast,
 * "this network", class E; IPv6's unspecified, v4-mapped and multicast).
 */
const RESERVED: readonly [string, string][] = [
  ['0.0.0.0/8', '"this network"'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved (class E)'],
  ['::/127', 'unspecified and loopback'],
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
];

/** Why a subnet cannot be a network's, or undefined when it can. */
export function reservedRange(c: Cidr): string | undefined {
  for (const [text, what] of RESERVED) {
    const r = mustCidr(text);
    if (r.family === c.family && overlaps(r, c)) return `it overlaps ${text} (${what})`;
  }
  return undefined;
}

/** A ULA /64 derived from the network ID (RFC 4193: fd + 40 bits + subnet 0). */
export function ulaFor(networkId: string): Cidr {
  const global = BigInt(`0x${networkId.slice(0, 10)}`);
  return { family: 6, base: ((0xfdn << 120n) | (global << 80n)), prefix: 64 };
}

export function firstUsable(c: Cidr): bigint {
  // IPv4 /31 and /32 have no network/broadcast address to skip (RFC 3021).
  if (c.family === 4 && c.prefix >= 31) return c.base;
  return c.base + 1n;
}

export function lastUsable(c: Cidr): bigint {
  if (c.family === 4 && c.prefix < 31) return last(c) - 1n;
  return last(c);
}

export interface SubnetRequest {
  /** Text (tests, state) or already parsed at the edge. */
  subnet?: string | WrittenCidr;
  gateway?: string | Given<Addr>;
  ipRange?: string | Given<Cidr>;
}

/**
 * Checks one user-given subnet/gateway/range triple and fills in the gateway.
 * Throws UsageError for malformed or inconsistent input, ConflictError for overlaps.
 */
export function planSubnet(req: SubnetRequest & { subnet: string | WrittenCidr }, used: readonly Cidr[], withGateway = true): SubnetConfig {
  const given = typeof req.subnet === 'string' ? parseWrittenCidr(req.subnet) : req.subnet;
  if (!given) throw new UsageError(`invalid subnet "${String(req.subnet)}": expected CIDR like 172.20.0.0/16`);
  const { cidr, written } = given;
  const canonical = formatCidr(cidr);
  if (written.value !== cidr.base) {
    throw new UsageError(`invalid subnet "${given.text}": host bits set, did you mean ${canonical}?`);
  }
  if (cidr.family === 4 && cidr.prefix > 30 && withGateway) {
    throw new UsageError(`subnet ${canonical} is too small: it needs room for a gateway and endpoints (/30 or larger)`);
  }
  if (cidr.family === 6 && cidr.prefix > 126 && withGateway) {
    throw new UsageError(`subnet ${canonical} is too small (/126 or larger)`);
  }
  const clash = used.find((u) => overlaps(u, cidr));
  if (clash) throw new ConflictError(`subnet ${canonical} overlaps ${formatCidr(clash)}, which is already in use; pick another --subnet`);
  const out: SubnetConfig = { subnet: cidr };
  if (req.ipRange !== undefined) {
    const given = typeof req.ipRange === 'string' ? givenCidr(req.ipRange) : req.ipRange;
    const range = given.value;
    if (!range || range.family !== cidr.family || !cidrContains(cidr, range)) {
      throw new UsageError(`invalid --ip-range "${given.text}": it must be a CIDR inside ${canonical}`);
    }
    out.ipRange = range;
  }
  if (req.gateway !== undefined) {
    const given = typeof req.gateway === 'string' ? givenAddr(req.gateway) : req.gateway;
    const gw = given.value;
    if (!gw || gw.family !== cidr.family || !contains(cidr, gw) || gw.value < firstUsable(cidr) || gw.value > lastUsable(cidr)) {
      throw new UsageError(`invalid --gateway "${given.text}": it must be a usable address of ${canonical}`);
    }
    out.gateway = gw;
  } else if (withGateway) {
    out.gateway = { family: cidr.family, value: firstUsable(cidr) };
  }
  return out;
}

/**
 * Places named reserved addresses (`--aux-address NAME=IP`, Docker's) in the
 * subnet of their family that holds them. Each must be a usable address that
 * is not a gateway nor reserved twice.
 */
export function reserveAux(subnets: SubnetConfig[], aux: Readonly<Record<string, Given<Addr>>>): void {
  for (const [name, { text: ip, value: a }] of Object.entries(aux)) {
    const sub = a && subnets.find((s) => {
      const c = s.subnet;
      return c.family === a.family && contains(c, a) && a.value >= firstUsable(c) && a.value <= lastUsable(c);
    });
    if (!a || !sub) throw new UsageError(`invalid --aux-address ${name}=${ip}: it must be a usable address of ${subnets.map((s) => formatCidr(s.subnet)).join(' or ')}`);
    const taken = (sub.gateway !== undefined && sameAddr(sub.gateway, a)) || Object.values(sub.aux ?? {}).some((x) => sameAddr(x, a));
    if (taken) throw new UsageError(`invalid --aux-address ${name}=${ip}: ${formatAddr(a)} is already the gateway or reserved`);
    sub.aux = { ...sub.aux, [name]: a };
  }
}

/**
 * Reserves an address for the host under `name` in the IPv4 subnet, unless
 * one is reserved already: the last free usable address of the --ip-range
 * (else of the subnet), so endpoints, handed out from the start, meet it last.
 */
export function reserveHostAddress(subnets: SubnetConfig[], name: string): string {
  const sub = subnets.find((s) => s.subnet.family === 4);
  if (!sub) throw new UsageError(`the ${name} address needs an IPv4 subnet`);
  const mine = sub.aux?.[name];
  if (mine !== undefined) return formatAddr(mine);
  const cidr = sub.subnet;
  const range = sub.ipRange ?? cidr;
  const lo = maxBig(firstUsable(cidr), range.base);
  const taken = new Set(Object.values(sub.aux ?? {}).map((x) => x.value));
  if (sub.gateway) taken.add(sub.gateway.value);
  for (let v = minBig(lastUsable(cidr), last(range)); v >= lo; v--) {
    if (taken.has(v)) continue;
    sub.aux = { ...sub.aux, [name]: { family: 4, value: v } };
    return formatAddr({ family: 4, value: v });
  }
  throw new ConflictError(`no free address left in ${formatCidr(sub.ipRange ?? sub.subnet)} for the ${name}`);
}

/**
 * The taken addresses of a network as the allocator asks for them, one candidate
 * at a time (usually one: the cursor). The endpoints' IPv4 addresses are kept as
 * written, not parsed: the file holds them as cnm formats them (parseAddr accepts
 * no other spelling), and parsing every one to a bigint cost each `sandbox add`
 * ~2 ms with 1,000 endpoints. A candidate is formatted to be looked up.
 */
class TakenAddresses extends Set<bigint> {
  readonly written4 = new Set<string>();
  /** With the endpoints still text (records.ts): whether one on the network holds this IPv4 address, as written. */
  search4?: (written: string) => boolean;

  override has(value: bigint): boolean {
    if (super.has(value)) return true;
    if (value > 0xffffffffn) return false;
    if (this.search4) return this.search4(formatAddr({ family: 4, value }));
    return this.written4.size > 0 && this.written4.has(formatAddr({ family: 4, value }));
  }
}

/** Endpoints held as text (records.ts): the ones whose line holds a needle and that pass a test. */
export interface EndpointSearch {
  endpointsWith(needle: string, test: (e: Endpoint) => boolean): Endpoint[];
}

/**
 * Addresses already taken on a network, per family: gateways, reserved
 * addresses and endpoints. With endpoints still held as text (`search`), a
 * network without an IPv6 subnet searches them for each candidate (usually
 * one, the cursor) instead of reading them all; an IPv6 address can be written
 * more ways than one, so a network with one reads every endpoint.
 */
export function takenAddresses(net: Network, endpoints: readonly Endpoint[] | (() => readonly Endpoint[]), search?: EndpointSearch): Set<bigint> {
  const taken = new TakenAddresses();
  for (const s of net.subnets) if (s.gateway) taken.add(s.gateway.value);
  for (const s of net.subnets) for (const a of Object.values(s.aux ?? {})) taken.add(a.value);
  if (search && !net.subnets.some((s) => s.subnet.family === 6)) {
    taken.search4 = (a) => search.endpointsWith(`"ipv4":"${a}/`, (e) => e.networkId === net.id && e.ipv4 !== undefined && stripPrefix(e.ipv4) === a).length > 0;
    return taken;
  }
  const all = typeof endpoints === 'function' ? endpoints() : endpoints;
  for (let i = 0; i < all.length; i++) {
    const ep = all[i]!;
    if (ep.networkId !== net.id) continue;
    if (ep.ipv4) taken.written4.add(stripPrefix(ep.ipv4));
    if (ep.ipv6) taken.add(parseAddr(stripPrefix(ep.ipv6))!.value);
  }
  return taken;
}

export interface Allocation {
  /** "172.18.0.2/16" */
  address: string;
  /** The subnet's new cursor. */
  next: string;
}

/**
 * Hands out the next free address of a subnet, or checks a requested one.
 * Pure: the caller stores `next` back into the subnet config.
 */
export function allocateAddress(sub: SubnetConfig, taken: ReadonlySet<bigint>, requested?: string): Allocation {
  const cidr = sub.subnet;
  const range = sub.ipRange ?? cidr;
  const lo = maxBig(firstUsable(cidr), range.base);
  const hi = minBig(lastUsable(cidr), last(range));
  const fam = cidr.family;
  const fmt = (v: bigint): Allocation => ({
    address: `${formatAddr({ family: fam, value: v })}/${cidr.prefix}`,
    next: formatAddr({ family: fam, value: v + 1n > hi ? lo : v + 1n }),
  });
  if (requested !== undefined) {
    const want = parseAddr(requested);
    if (!want || want.family !== fam) throw new UsageError(`invalid address "${requested}" for subnet ${formatCidr(sub.subnet)}`);
    if (!contains(cidr, want) || want.value < firstUsable(cidr) || want.value > lastUsable(cidr)) {
      throw new UsageError(`address ${requested} is not a usable address of subnet ${formatCidr(sub.subnet)}`);
    }
    if (taken.has(want.value)) throw new ConflictError(`address ${requested} is already in use on this network`);
    // A pinned address does not move the cursor: ordering is for what cnm picks.
    return { address: `${formatAddr(want)}/${cidr.prefix}`, next: sub.next ?? formatAddr({ family: fam, value: lo }) };
  }
  let start = sub.next ? parseAddr(sub.next)?.value ?? lo : lo;
  if (start < lo || start > hi) start = lo;
  const span = hi - lo + 1n;
  // Scan from the cursor to the end, then wrap; bounded by the range size.
  let v = start;
  for (let i = 0n; i < span; i++) {
    if (!taken.has(v)) return fmt(v);
    v = v + 1n > hi ? lo : v + 1n;
  }
  throw new ConflictError(`no free address left in ${formatCidr(sub.ipRange ?? sub.subnet)}`);
}

export function familyOf(sub: SubnetConfig): Family {
  return sub.subnet.family;
}

export function sameAddr(a: Addr, b: Addr): boolean {
  return a.family === b.family && a.value === b.value;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
