/**
 * Cluster networks: an overlay defined once, in the store, for every joined
 * host. `net create` writes the definition (name, VNI and subnet unique
 * cluster-wide, in one create-if-absent transaction); `net ls`/`inspect` read
 * it on every member; `net rm` is refused while any host has endpoints on it.
 * The local part (bridge, VXLAN device, firewall) is made by the first
 * `sandbox add` on a host (attach.ts) and removed with its last endpoint.
 */
import { type CnmError, ConflictError, NotFoundError, UsageError } from '../errors.js';
import { type Cidr, formatAddr, formatCidr, mustCidr, overlaps, parseCidr } from '../ip.js';
import { firstUsable } from '../ipam.js';
import type { ClusterOverlay } from '../model.js';
import { checkName, newId } from '../names.js';
import type { EtcdClient, KeyValue } from './etcd.js';
import { type Claim, type ClusterConfig, DEFAULT_POOL, type GlobalNetwork, type HostRecord, keys, parseRecord } from './keys.js';
import type { Membership } from './membership.js';
import { absent, del, get, put, unchangedSince } from './txn.js';

const MAX_VNI = 16_777_215;
/** VNIs cnm picks start here, above what people tend to pick by hand. */
const FIRST_AUTO_VNI = 4096;

export interface GlobalCreateInput {
  name: string;
  subnet?: string;
  vni?: number;
  internal: boolean;
  dns: boolean;
  mtu?: number;
  labels: Record<string, string>;
  options: Record<string, string>;
}

const records = <T>(kvs: readonly KeyValue[] | undefined) => (kvs ?? []).map((kv) => parseRecord<T>(kv.value)).filter((x): x is T => x !== undefined);

/** The first /prefix of the pool that overlaps no cluster network's subnet and no member's route. */
export function pickPoolSubnet(cfg: ClusterConfig, used: readonly Cidr[]): Cidr {
  const pool = mustCidr(cfg.pool);
  const step = 1n << BigInt(32 - cfg.prefix);
  const count = 1n << BigInt(cfg.prefix - pool.prefix);
  for (let i = 0n; i < count; i++) {
    const c: Cidr = { family: 4, base: pool.base + i * step, prefix: cfg.prefix };
    if (!used.some((u) => overlaps(u, c))) return c;
  }
  throw new ConflictError(`the cluster pool ${cfg.pool} has no free /${cfg.prefix} left; pass --subnet CIDR`);
}

/** Defines a cluster network in the store: one read, one create-if-absent transaction. */
export async function createGlobal(client: EtcdClient, m: Membership, input: GlobalCreateInput): Promise<GlobalNetwork> {
  checkName('network', input.name);
  if (input.vni !== undefined && (!Number.isInteger(input.vni) || input.vni < 1 || input.vni > MAX_VNI)) throw new UsageError(`invalid --vni ${input.vni}: use 1-${MAX_VNI}`);
  if (input.subnet !== undefined) {
    const c = parseCidr(input.subnet);
    if (!c || c.family !== 4) throw new UsageError(`invalid subnet "${input.subnet}": a cluster overlay takes one IPv4 CIDR like 10.210.1.0/24`);
    if (c.prefix > 28) throw new UsageError(`subnet ${input.subnet} is too small for a cluster network (a gateway per host): use /28 or larger`);
  }
  const read = await client.txn({ compare: [], success: [get(keys.config()), get(keys.networks(), true), get(keys.hosts(), true)] });
  const [cfgKv, netKvs, hostKvs] = read.responses.map((r) => r.kvs);
  const nets = records<GlobalNetwork>(netKvs);
  const clash = nets.find((n) => n.name === input.name);
  if (clash) throw new ConflictError(`network "${input.name}" already exists in the cluster (created on ${clash.host})`);
  const vniHolder = nets.find((n) => n.vni === input.vni);
  if (vniHolder) throw new ConflictError(`VNI ${input.vni} is already used by cluster network "${vniHolder.name}"; pick another --vni`);
  const routes = records<HostRecord>(hostKvs).flatMap((h) => (h.routes ?? []).map((r) => mustCidr(r)));
  const usedSubnets = nets.map((n) => mustCidr(n.subnet));
  let subnet: Cidr;
  if (input.subnet !== undefined) {
    subnet = mustCidr(input.subnet);
    const other = nets.find((n) => overlaps(mustCidr(n.subnet), subnet));
    if (other) throw new ConflictError(`subnet ${formatCidr(subnet)} overlaps ${other.subnet} of cluster network "${other.name}"; pick another --subnet`);
  } else {
    subnet = pickPoolSubnet(parseRecord<ClusterConfig>(cfgKv?.[0]?.value ?? '') ?? DEFAULT_POOL, [...usedSubnets, ...routes]);
  }
  let vni = input.vni ?? FIRST_AUTO_VNI;
  if (input.vni === undefined) while (nets.some((n) => n.vni === vni)) vni++;
  const net: GlobalNetwork = {
    id: newId(),
    name: input.name,
    vni,
    subnet: formatCidr(subnet),
    gateway: formatAddr({ family: 4, value: firstUsable(subnet) }),
    internal: input.internal,
    dns: input.dns,
    labels: input.labels,
    options: input.options,
    created: new Date().toISOString(),
    host: m.name,
  };
  if (input.mtu !== undefined) net.mtu = input.mtu;
  const w = await client.txn({
    compare: [absent(keys.network(net.name)), absent(keys.vni(vni)), absent(keys.subnet(net.subnet))],
    success: [put(keys.network(net.name), net), put(keys.vni(vni), net.name), put(keys.subnet(net.subnet), net.name)],
    failure: [get(keys.network(net.name)), get(keys.vni(vni))],
  });
  if (!w.succeeded) {
    // Another host created it (or took the VNI or subnet) between our read and our write.
    const [byName, byVni] = w.responses.map((r) => r.kvs[0]);
    if (byName) throw new ConflictError(`network "${net.name}" already exists in the cluster`);
    if (byVni) throw new ConflictError(`VNI ${vni} is already used by cluster network "${byVni.value}"; pick another --vni`);
    throw new ConflictError(`subnet ${net.subnet} was just taken by another cluster network; try again or pick another --subnet`);
  }
  return net;
}

/** Every cluster network, in one request. */
export async function listGlobal(client: EtcdClient): Promise<GlobalNetwork[]> {
  return records<GlobalNetwork>((await client.range(keys.networks(), true)).kvs);
}

/** A cluster network as a local Network record with no local part yet (for ls/inspect). */
export function asLocal(g: GlobalNetwork): ClusterOverlay {
  return {
    id: g.id,
    name: g.name,
    driver: 'overlay',
    created: g.created,
    builtin: false,
    internal: g.internal,
    dns: g.dns,
    ipv6: false,
    mtu: g.mtu ?? 1450,
    subnets: [{ subnet: mustCidr(g.subnet) }],
    options: g.options,
    labels: g.labels,
    scope: 'global',
    driverOpts: { vni: g.vni },
  };
}

/**
 * Removes a cluster network from the store. Refused (exit 4) while any host
 * has endpoints on it, naming the hosts; hosts' gateway claims go with it.
 */
export async function removeGlobal(client: EtcdClient, name: string): Promise<GlobalNetwork> {
  const read = await client.txn({ compare: [], success: [get(keys.network(name)), get(keys.claims(name), true)] });
  const [netKv, claimKvs] = read.responses.map((r) => r.kvs);
  const kv = netKv?.[0];
  const net = kv ? parseRecord<GlobalNetwork>(kv.value) : undefined;
  if (!kv || !net) throw new NotFoundError(`network "${name}" not found; see 'cnm net ls'`);
  const inUse = records<Claim>(claimKvs).filter((c) => !isGatewayClaim(c));
  if (inUse.length > 0) {
    const hosts = [...new Set(inUse.map((c) => c.host))].sort();
    throw new ConflictError(`network "${name}" has ${inUse.length} endpoint(s) on host(s) ${hosts.join(', ')}; remove them there first`);
  }
  const w = await client.txn({
    compare: [unchangedSince(keys.network(name), kv.modRevision), ...(claimKvs ?? []).map((c) => unchangedSince(c.key, c.modRevision))],
    success: [del(keys.network(name)), del(keys.vni(net.vni)), del(keys.subnet(net.subnet)), del(keys.cursor(name)), del(keys.claims(name), true)],
  });
  if (!w.succeeded) throw new ConflictError(`network "${name}" changed while it was being removed (an endpoint joined?); try again`);
  return net;
}

export function isGatewayClaim(c: Claim): boolean {
  return c.sandbox === '';
}

/**
 * `net rm` on a joined host: removes the refs that are cluster networks from
 * the store; the others (local networks, unknown names) are left for the
 * local removal. Store failures stop the whole command (exit 1).
 */
export async function removeGlobalRefs(client: EtcdClient, localNames: ReadonlySet<string>, refs: readonly string[]): Promise<{ rest: string[]; removed: string[]; errors: CnmError[] }> {
  const out = { rest: [] as string[], removed: [] as string[], errors: [] as CnmError[] };
  for (const ref of refs) {
    if (localNames.has(ref) || /^[0-9a-f]{12,64}$/.test(ref)) {
      out.rest.push(ref);
      continue;
    }
    try {
      await removeGlobal(client, ref);
      out.removed.push(ref);
    } catch (e) {
      if (e instanceof NotFoundError) out.rest.push(ref);
      else if (e instanceof ConflictError) out.errors.push(e);
      else throw e;
    }
  }
  return out;
}
