/**
 * Endpoints on cluster networks. Before the state lock, `sandbox add` /
 * `endpoint connect` claim the address in the store: one transaction reads
 * the network, its IPAM cursor and its claims; a second
 * creates the claim (and, on a host's first use, its gateway's claim) if the
 * cursor is unchanged and the addresses are still free (compare-and-swap),
 * retrying on contention. Under the lock the local part of the network is
 * made if missing and the endpoint takes the claimed address.
 *
 * The store is part of the intent record: the claim keys are written to
 * STATE_DIR/cluster-pending/PID before the store write and removed after
 * state is saved. A claim of this host that no saved endpoint (or local
 * gateway) holds and no live run has pending is released by the next
 * command that reads the network's claims, or by `cnm reconcile`.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getDriver } from '../../drivers/index.js';
import { hostLinks, linkWithAddress } from '../observe/host.js';
import { CnmError, ConflictError } from '../errors.js';
import { mustAddr, mustCidr, stripPrefix } from '../ip.js';
import { allocateAddress } from '../ipam.js';
import type { Network, State, SubnetConfig } from '../model.js';
import { bridgeName, macFromIpv4 } from '../names.js';
import { step } from '../faults.js';
import type { Op } from '../plan.js';
import { Store } from '../store.js';
import type { EtcdClient, KeyValue, RequestOp } from './etcd.js';
import { type Claim, type GlobalNetwork, claimNetwork, keys, leaf, parseRecord } from './keys.js';
import { type Membership, clientOf } from './membership.js';
import { asLocal } from './networks.js';
import { del, get, put, unchangedSince, absent } from './txn.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Attachment {
  client: EtcdClient;
  m: Membership;
  /** Local records of the cluster networks this run joins (made under the lock if missing). */
  networks: Network[];
  /** The claimed address per network ID ("10.210.0.5/24"). */
  ips: Map<string, string>;
  /** The claim keys this run created. */
  made: string[];
  /** Gateway claims made for a local part another run made first (found under the lock): not kept. */
  spare: string[];
  /** The gateway claim key per network ID, when this run made one. */
  gatewayKeys: Map<string, string>;
}

const pendingDir = (stateDir: string) => join(stateDir, 'cluster-pending');

function writePending(stateDir: string, claimKeys: readonly string[]): void {
  mkdirSync(pendingDir(stateDir), { recursive: true, mode: 0o700 });
  writeFileSync(join(pendingDir(stateDir), String(process.pid)), `${JSON.stringify(claimKeys)}\n`, { mode: 0o600 });
}

export function clearPending(stateDir: string): void {
  rmSync(join(pendingDir(stateDir), String(process.pid)), { force: true });
}

/** Claim keys that runs still alive have pending (their state is not saved yet): never released by others. */
function livePending(stateDir: string): Set<string> {
  const out = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(pendingDir(stateDir));
  } catch {
    return out;
  }
  for (const f of files) {
    const pid = Number(f);
    if (pid === process.pid) continue;
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      /* dead: its claims are fair game */
    }
    if (!alive) {
      rmSync(join(pendingDir(stateDir), f), { force: true });
      continue;
    }
    try {
      for (const k of JSON.parse(readFileSync(join(pendingDir(stateDir), f), 'utf8')) as string[]) out.add(k);
    } catch {
      /* being written */
    }
  }
  return out;
}

/** Whether the saved local state holds this claim (an endpoint's address, or this host's gateway). */
function backed(state: State, claimKey: string): boolean {
  const name = claimNetwork(claimKey);
  const addr = leaf(claimKey);
  const net = state.networks.find((n) => n.name === name && n.scope === 'global');
  if (!net) return false;
  if (net.subnets.some((s) => s.gateway === addr)) return true;
  return state.endpoints.some((e) => e.networkId === net.id && e.ipv4 !== undefined && stripPrefix(e.ipv4) === addr);
}

/**
 * This host's claims that nothing local holds and no live run has pending (a crashed run's leftovers).
 * The pending files are read before the state: a run saves its state before it clears its pending file,
 * so a claim is either still pending or already in the state read after.
 */
export function staleClaims(stateDir: string, readState: () => State, m: Membership, claims: readonly KeyValue[]): KeyValue[] {
  const pending = livePending(stateDir);
  const state = readState();
  return claims.filter((kv) => {
    const c = parseRecord<Claim>(kv.value);
    return c !== undefined && c.host === m.name && !pending.has(kv.key) && !backed(state, kv.key);
  });
}

/** The local record of a cluster network on this host: its gateway, the VXLAN (proxy ARP, no flooding) over this host's underlay. */
function localRecord(g: GlobalNetwork, m: Membership, gateway: string): Network {
  const underlay = linkWithAddress(hostLinks(), mustAddr(m.address));
  if (!underlay) throw new CnmError(`this host's cluster address ${m.address} is on none of its interfaces; join again with --advertise`);
  const lowerMtu = underlay.mtu - 50;
  return {
    ...asLocal(g),
    mtu: Math.min(g.mtu ?? lowerMtu, lowerMtu),
    bridge: bridgeName(g.id),
    subnets: [{ subnet: g.subnet, gateway: stripPrefix(gateway) }],
    driverOpts: { vni: g.vni, local: m.address, underlay: underlay.name, lowerMtu, peers: [], discovery: true },
  };
}

/**
 * Claims addresses on the cluster networks among refs (names this state
 * knows as cluster networks, or does not know at all). Undefined when none is.
 */
export async function prepareAttach(stateDir: string, m: Membership, state: State, refs: readonly string[], sandbox: string, aliases: string[], ip?: string, mac?: string): Promise<Attachment | undefined> {
  const candidates = refs.filter((r) => {
    const local = state.networks.find((n) => n.name === r);
    return local ? local.scope === 'global' : !/^[0-9a-f]{12,64}$/.test(r);
  });
  if (candidates.length === 0) return undefined;
  const client = clientOf(m);
  const att: Attachment = { client, m, networks: [], ips: new Map(), made: [], spare: [], gatewayKeys: new Map() };
  for (const name of candidates) {
    // --ip and --mac pin the first network's endpoint only (as buildEndpoint does).
    const first = refs[0] === name;
    await claimOn(stateDir, att, state, name, sandbox, aliases, first ? ip : undefined, first ? mac : undefined);
  }
  return att.networks.length > 0 ? att : undefined;
}

async function claimOn(stateDir: string, att: Attachment, state: State, name: string, sandbox: string, aliases: string[], ip?: string, mac?: string): Promise<void> {
  const { client, m } = att;
  for (let attempt = 0; attempt < 60; attempt++) {
    const read = await client.txn({ compare: [], success: [get(keys.network(name)), get(keys.cursor(name)), get(keys.claims(name), true)] });
    const [netKvs, cursorKvs, claimKvs] = read.responses.map((r) => r.kvs);
    const netKv = netKvs?.[0];
    const g = netKv ? parseRecord<GlobalNetwork>(netKv.value) : undefined;
    if (!netKv || !g) return; // not a cluster network: the local lookup says "not found"
    const claims = claimKvs ?? [];
    // The common case costs nothing: only when the state read before finds claims it does not hold is
    // the careful pass (pending files, then a fresh state) run.
    const suspects = claims.filter((kv) => parseRecord<Claim>(kv.value)?.host === m.name && !backed(state, kv.key));
    const stale = suspects.length === 0 ? [] : staleClaims(stateDir, () => new Store(stateDir).read(), m, suspects);
    const staleKeys = new Set(stale.map((kv) => kv.key));
    const taken = new Set<bigint>(claims.filter((kv) => !staleKeys.has(kv.key)).map((kv) => mustAddr(leaf(kv.key)).value));
    const local = state.networks.find((n) => n.id === g.id);
    const mine = claims.find((kv) => !staleKeys.has(kv.key) && parseRecord<Claim>(kv.value)?.host === m.name && parseRecord<Claim>(kv.value)?.sandbox === '');
    const cursor = cursorKvs?.[0];
    const prefix = mustCidr(g.subnet).prefix;
    const sub: SubnetConfig = { subnet: g.subnet, gateway: g.gateway };
    if (cursor) sub.next = cursor.value;
    const claimsToMake: [string, Claim][] = [];
    let gateway = local?.subnets[0]?.gateway ?? (mine ? leaf(mine.key) : undefined);
    if (gateway === undefined) {
      const a = allocateAddress(sub, taken);
      gateway = stripPrefix(a.address);
      sub.next = a.next;
      taken.add(mustAddr(gateway).value);
      claimsToMake.push([keys.claim(name, gateway), { host: m.name, sandbox: '', mac: '', address: a.address, aliases: [] }]);
    }
    const a = allocateAddress(sub, taken, ip);
    sub.next = a.next;
    const addr = stripPrefix(a.address);
    claimsToMake.push([keys.claim(name, addr), { host: m.name, sandbox, mac: mac?.toLowerCase() ?? macFromIpv4(addr), address: `${addr}/${prefix}`, aliases }]);
    const claimKeys = claimsToMake.map(([k]) => k);
    writePending(stateDir, [...att.made, ...claimKeys]);
    step('claim addresses in the cluster store');
    const ops: RequestOp[] = [...claimsToMake.map(([k, c]) => put(k, c)), put(keys.cursor(name), sub.next!), ...stale.map((kv) => del(kv.key))];
    const w = await client.txn({
      compare: [
        unchangedSince(keys.network(name), netKv.modRevision),
        unchangedSince(keys.cursor(name), cursor?.modRevision ?? 0),
        ...claimKeys.map((k) => absent(k)),
        ...stale.map((kv) => unchangedSince(kv.key, kv.modRevision)),
      ],
      success: ops,
    });
    if (w.succeeded) {
      step('claimed in the cluster store');
      att.made.push(...claimKeys);
      if (claimKeys.length > 1) att.gatewayKeys.set(g.id, claimKeys[0]!);
      att.ips.set(g.id, `${addr}/${prefix}`);
      // No flooding: the agent programs one FDB and one neighbour entry per remote endpoint.
      att.networks.push(local ?? localRecord(g, m, gateway));
      return;
    }
    if (ip !== undefined && claims.some((kv) => leaf(kv.key) === stripPrefix(ip))) break;
    await sleep(2 + Math.random() * 20 * Math.min(attempt + 1, 5)); // someone else moved the cursor: read again
  }
  writePending(stateDir, att.made);
  if (ip !== undefined) {
    throw new ConflictError(`address ${ip} is already in use on cluster network "${name}"`);
  }
  throw new CnmError(`could not claim an address on cluster network "${name}" in ${m.store}: too much contention; try again`);
}

/** Under the lock: adds the local part of each cluster network this state lacks; its plan. */
export function materialize(state: State, att: Attachment): Op[] {
  const ops: Op[] = [];
  for (const net of att.networks) {
    if (state.networks.some((n) => n.id === net.id)) {
      const gw = att.gatewayKeys.get(net.id);
      if (gw) att.spare.push(gw); // another run made the local part (with its gateway) first
      continue;
    }
    state.networks.push(net);
    ops.push(...getDriver('overlay').createNetwork(net));
  }
  return ops;
}

/** After the run: releases the claims it did not keep (all of them when it failed). */
export async function settleAttach(stateDir: string, att: Attachment, ok: boolean): Promise<void> {
  const unused = ok ? att.spare : att.made;
  if (unused.length > 0) {
    try {
      await att.client.txn({ compare: [], success: unused.map((k) => del(k)) });
    } catch {
      return; // the pending file stays: the next run releases them
    }
  }
  clearPending(stateDir);
}
