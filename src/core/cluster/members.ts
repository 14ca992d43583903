/**
 * Membership orchestration: join (register this host under a lease and start
 * its agent), the member list, and leave. Round trips are counted: a join is
 * a lease grant and one transaction; `cluster ls` is one transaction of three
 * ranges.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConflictError, UsageError } from '../errors.js';
import { hostRoutes } from '../hostinfo.js';
import { formatCidr, parseAddr, parseCidr } from '../ip.js';
import { checkName } from '../names.js';
import { run } from '../runner.js';
import type { EtcdClient, TlsFiles } from './etcd.js';
import { type Claim, type ClusterConfig, type HostRecord, keys, leaf, parseRecord } from './keys.js';
import { type Membership, checkTls, clientOf, parseStoreUrl, readMembership, writeMembership } from './membership.js';
import { absent, del, get, put } from './txn.js';

export interface JoinInput {
  store: string;
  advertise?: string;
  name?: string;
  tls: TlsFiles;
  ttl: number;
  /** The subnet pool of cluster networks (set by the first host that gives it; later joins must agree). */
  pool?: string;
}

/** This host's source address towards the store, as the routing table says. */
function sourceTowards(endpoint: string): string {
  const ip = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  const r = run('ip', ['-j', 'route', 'get', ip]);
  const hit = r.code === 0 ? (JSON.parse(r.stdout || '[]') as { prefsrc?: string }[])[0] : undefined;
  if (!hit?.prefsrc) throw new UsageError(`no route to the store at ${ip} on this host; give --advertise with this host's underlay address`);
  return hit.prefsrc;
}

export async function join(stateDir: string, input: JoinInput): Promise<Membership> {
  const withTls = input.tls.cacert !== undefined || input.tls.cert !== undefined || input.tls.key !== undefined;
  const endpoints = parseStoreUrl(input.store, withTls);
  if (withTls) checkTls(input.tls);
  if (!Number.isInteger(input.ttl) || input.ttl < 2 || input.ttl > 3600) throw new UsageError(`invalid --ttl ${input.ttl}: use 2-3600 seconds`);
  const name = input.name ?? hostname().split('.')[0]!;
  checkName('host', name);
  const was = readMembership(stateDir);
  if (was) throw new ConflictError(`this host already joined ${was.store} as "${was.name}"; run 'cnm cluster leave' first`);
  if (input.advertise !== undefined && !parseAddr(input.advertise)) throw new UsageError(`invalid --advertise "${input.advertise}": expected this host's underlay IP address`);
  const pool = input.pool === undefined ? undefined : parsePool(input.pool);
  const address = input.advertise ?? sourceTowards(endpoints[0]!);
  const m: Membership = { store: input.store, endpoints, name, address, uid: randomBytes(8).toString('hex'), lease: '', ttl: input.ttl, joined: new Date().toISOString() };
  if (withTls) m.tls = input.tls;
  const client = clientOf(m);
  if (pool) await agreePool(client, pool, input.store);
  const lease = await client.grant(input.ttl);
  const holder = await register(client, m, lease);
  if (holder !== undefined) {
    throw new ConflictError(`a live host named "${name}" (${holder?.address ?? 'unknown address'}) is already a member of ${input.store}; pick another --name`);
  }
  m.lease = lease;
  writeMembership(stateDir, m);
  return m;
}

/** --pool CIDR: an IPv4 pool of /24s for cluster networks (/8 to /24). */
function parsePool(text: string): ClusterConfig {
  const c = parseCidr(text);
  if (!c || c.family !== 4 || c.prefix < 8 || c.prefix > 24 || formatCidr(c) !== text) {
    throw new UsageError(`invalid --pool "${text}": expected an IPv4 CIDR from /8 to /24 without host bits, like 10.210.0.0/16`);
  }
  return { pool: formatCidr(c), prefix: 24 };
}

/** Sets the cluster's pool if none is set; a different pool already set is a conflict. */
async function agreePool(client: EtcdClient, pool: ClusterConfig, store: string): Promise<void> {
  const r = await client.txn({ compare: [absent(keys.config())], success: [put(keys.config(), pool)], failure: [get(keys.config())] });
  if (r.succeeded) return;
  const have = parseRecord<ClusterConfig>(r.responses[0]?.kvs[0]?.value ?? '');
  if (have?.pool !== pool.pool) throw new ConflictError(`the cluster at ${store} already uses the pool ${have?.pool ?? '(unreadable)'}; join without --pool or with that one`);
}

/**
 * Creates this host's alive key under lease (and writes its member record) unless a live
 * host holds the name: then the lease is revoked and the holder returned (null when unreadable).
 */
async function register(client: EtcdClient, m: Membership, lease: string): Promise<HostRecord | null | undefined> {
  const rec: HostRecord = { name: m.name, address: m.address, uid: m.uid, joined: m.joined, routes: hostRoutes().filter((r) => r.family === 4).map(formatCidr) };
  const r = await client.txn({
    compare: [absent(keys.alive(m.name))],
    success: [put(keys.host(m.name), rec), put(keys.alive(m.name), rec, lease)],
    failure: [get(keys.alive(m.name))],
  });
  if (r.succeeded) return undefined;
  await client.revoke(lease);
  return parseRecord<HostRecord>(r.responses[0]?.kvs[0]?.value ?? '') ?? null;
}

/** Registers this host again under a fresh lease (its lease expired while the store or the agent was away). */
export async function reregister(client: EtcdClient, m: Membership): Promise<string> {
  const lease = await client.grant(m.ttl);
  if ((await register(client, m, lease)) !== undefined) throw new ConflictError(`another live host holds the name "${m.name}" in ${m.store}`);
  return lease;
}

export interface MemberView {
  Name: string;
  Address: string;
  State: 'alive' | 'dead';
  Endpoints: number;
}

/** The members with their state and endpoint counts, in one transaction. */
export async function members(client: EtcdClient): Promise<MemberView[]> {
  const r = await client.txn({ compare: [], success: [get(keys.hosts(), true), get(keys.alives(), true), get(keys.claims(), true)] });
  const [hosts, alive, claims] = r.responses.map((x) => x.kvs);
  const live = new Set((alive ?? []).map((kv) => leaf(kv.key)));
  const count = new Map<string, number>();
  for (const kv of claims ?? []) {
    const c = parseRecord<Claim>(kv.value);
    if (c && c.sandbox !== '') count.set(c.host, (count.get(c.host) ?? 0) + 1);
  }
  return (hosts ?? [])
    .map((kv) => parseRecord<HostRecord>(kv.value))
    .filter((h): h is HostRecord => h !== undefined)
    .map((h) => ({ Name: h.name, Address: h.address, State: live.has(h.name) ? ('alive' as const) : ('dead' as const), Endpoints: count.get(h.name) ?? 0 }));
}

/** Ends this host's membership in the store: its lease (and the alive key with it) and its host record. */
export async function deregister(client: EtcdClient, m: Membership): Promise<void> {
  await client.revoke(m.lease);
  await client.txn({ compare: [], success: [del(keys.host(m.name)), del(keys.alive(m.name))] });
}
