/**
 * Endpoints on cluster networks. Before the state lock, `sandbox add` /
 * `endpoint connect` claim the address in the store: one transaction reads
 * the network, its IPAM cursor and its claims; a second
 * creates the claim if the cursor is unchanged and the address is still free
 * (compare-and-swap), retrying on contention. Under the lock the local part
 * of the network is made if missing and the endpoint takes the claimed address.
 * A `sandbox add` on a network already local here only sends the
 * compare-and-swap before the lock and reads its answer under it, after the
 * plan is built and before the kernel work (confirmAttach); a lost claim makes
 * the run start over (retryAttach) having changed nothing.
 *
 * The host's gateway claim belongs to the host, not to one run: parallel runs
 * on one host can each be the one that makes the local part, with the gateway
 * claim another of them made. So every run *holds* the gateway claim it
 * builds on: it writes it again in its compare-and-swap (made on first use,
 * rewritten when already there, which moves its revision), and lets it go
 * (the local part turned out to have another gateway, or the run failed and
 * the saved state does not use it) only with a delete conditioned on the
 * revision its own write gave it. A run that held it later moved it on, so
 * the delete fails and the claim stays with the run that builds on it.
 *
 * The store is part of the intent record: the claim keys are written to
 * STATE_DIR/cluster-pending/PID before the store write and removed after
 * state is saved. A claim of this host that no saved endpoint (or local
 * gateway) holds and no live run has pending is released by the next
 * command that reads the network's claims, or by `cnm reconcile`.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmFileSync, writeFileSync, writeSync } from '../files.js';
import { join } from '../paths.js';
import { getDriver } from '../../drivers/index.js';
import { hostLinks, linkWithAddress } from '../observe/host.js';
import { CnmError, ConflictError } from '../errors.js';
import { formatAddr, mustAddr, mustCidr, stripPrefix } from '../ip.js';
import { allocateAddress } from '../ipam.js';
import type { Network, OverlayNetwork, State, SubnetConfig } from '../model.js';
import { bridgeName, macFromIpv4 } from '../names.js';
import { step } from '../faults.js';
import { phase } from '../runner.js';
import type { Op } from '../plan.js';
import { recordsOf } from '../records.js';
import { Store } from '../store.js';
import type { EtcdClient, KeyValue, RequestOp, Txn, TxnResponse, TxnResult } from './etcd.js';
import { type Claim, type GlobalNetwork, claimNetwork, keys, leaf, parseRecord } from './keys.js';
import { type Membership, clientOf, preconnect } from './membership.js';
import { asLocal } from './networks.js';
import { del, get, put, unchangedSince, absent } from './txn.js';
import { type Delta, type NetworkView, type Slot, deltaLines, parseView, slotOf, slotsOf, wholeView } from './view.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Attachment {
  client: EtcdClient;
  m: Membership;
  /** The cluster networks this run joins, with their local records (made under the lock if missing). */
  networks: Joining[];
  /** The claimed address per network ID ("10.210.0.5/24"). */
  ips: Map<string, string>;
  /** The endpoint claim keys this run created. */
  made: string[];
  /** The gateway claim this run holds per network ID, with the revision its write gave it. */
  gateways: Map<string, Held>;
  /** The local part each network's endpoint joins, as the run found (or made) it under the lock. */
  found: Map<string, Network>;
  /** A claim sent whose answer the run has not read yet (confirmAttach reads it). */
  sent?: Sent;
  /** A claim that lost, to make again (retryAttach). */
  retry?: Sent;
  /**
   * A claim sent before the state was read (sendFromView): the checks that need the state are made
   * under the lock. `name` is the network's; `state`, the locked state (materialize); `stale`,
   * the claims of this host that nothing holds, found then and released after the run.
   */
  unread?: { name: string; state?: State; stale?: Slot[] };
  /** The run must start over the usual way (materialize found the state knows the network of a claim sendFromView sent otherwise). */
  redo?: boolean;
}

/** A cluster network a run joins: its ID, and its local record (worked out when first needed). */
export interface Joining {
  id: string;
  record(): Network;
}

interface Held {
  key: string;
  revision: number;
}

const pendingDir = (stateDir: string) => join(stateDir, 'cluster-pending');

function writePending(stateDir: string, claimKeys: readonly string[]): void {
  const file = join(pendingDir(stateDir), String(process.pid));
  const text = `${JSON.stringify(claimKeys)}\n`;
  try {
    writeFileSync(file, text, { mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(pendingDir(stateDir), { recursive: true, mode: 0o700 }); // the first run's
    writeFileSync(file, text, { mode: 0o600 });
  }
}

export function clearPending(stateDir: string): void {
  rmFileSync(join(pendingDir(stateDir), String(process.pid)));
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
      rmFileSync(join(pendingDir(stateDir), f));
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

/**
 * What the saved local state holds: the claim keys of its endpoints' addresses and of this host's
 * gateways, on its cluster networks. One pass over the state, so that checking every claim of a
 * network costs a lookup each (an add checks them all).
 */
function backing(state: State): Set<string> {
  const held = new Set<string>();
  const global = new Map(state.networks.filter((n) => n.scope === 'global').map((n) => [n.id, n.name]));
  for (const n of state.networks) {
    if (n.scope !== 'global') continue;
    for (const s of n.subnets) if (s.gateway) held.add(keys.claim(n.name, formatAddr(s.gateway)));
  }
  for (const e of state.endpoints) {
    const name = global.get(e.networkId);
    if (name !== undefined && e.ipv4 !== undefined) held.add(keys.claim(name, stripPrefix(e.ipv4)));
  }
  return held;
}

/**
 * Which of `addrs` (claimed on the cluster network `name`) the state may hold, found without
 * parsing or decoding the state's records while they are still bytes (records.ts: an add parses
 * only the ones it touches): the network's gateway, and the IPv4 addresses written in any endpoint
 * line. One held on another network counts too: such a claim is only left for the next removal or
 * `cnm reconcile`, never released wrongly.
 */
function mayHold(state: State, name: string, addrs: readonly string[]): Set<string> {
  const records = recordsOf(state);
  const held = records ? records.ipv4Held(addrs) : new Set<string>();
  for (const n of state.networks) {
    if (n.scope === 'global' && n.name === name) for (const s of n.subnets) if (s.gateway) held.add(formatAddr(s.gateway));
  }
  if (!records) for (const e of state.endpoints) if (e.ipv4 !== undefined) held.add(stripPrefix(e.ipv4));
  return held;
}

/**
 * This host's claims that nothing local holds and no live run has pending (a crashed run's leftovers).
 * The pending files are read before the state: a run saves its state before it clears its pending file,
 * so a claim is either still pending or already in the state read after.
 */
export function staleClaims(stateDir: string, readState: () => State, m: Membership, claims: readonly Slot[]): Slot[] {
  const pending = livePending(stateDir);
  const held = backing(readState());
  return claims.filter((s) => s.host === m.name && !pending.has(s.key) && !held.has(s.key));
}

/** staleClaims() of claims read from the store. */
export const staleOf = (stateDir: string, readState: () => State, m: Membership, kvs: readonly KeyValue[]): Slot[] => staleClaims(stateDir, readState, m, slotsOf(kvs));

/** The local record of a cluster network on this host: its gateway, the VXLAN (proxy ARP, no flooding) over this host's underlay. */
function localRecord(g: GlobalNetwork, m: Membership, gateway: string): OverlayNetwork {
  const underlay = linkWithAddress(hostLinks(), mustAddr(m.address));
  if (!underlay) throw new CnmError(`this host's cluster address ${m.address} is on none of its interfaces; join again with --advertise`);
  const lowerMtu = underlay.mtu - 50;
  return {
    ...asLocal(g),
    mtu: Math.min(g.mtu ?? lowerMtu, lowerMtu),
    bridge: bridgeName(g.id),
    subnets: [{ subnet: mustCidr(g.subnet), gateway: mustAddr(stripPrefix(gateway)) }],
    driverOpts: { vni: g.vni, local: m.address, underlay: underlay.name, lowerMtu, peers: [], discovery: true },
  };
}

/**
 * Claims addresses on the cluster networks among refs (names this state
 * knows as cluster networks, or does not know at all). Undefined when none is.
 *
 * With `overlap`, when the one network is already local here, the claim is
 * only sent: its answer is awaited under the lock (confirmAttach), after the
 * run has built its plan on the address it asked for and before it changes
 * the kernel. The local part it builds on is the one its state shows.
 */
export async function prepareAttach(stateDir: string, m: Membership, state: State, refs: readonly string[], sandbox: string, aliases: string[], ip?: string, mac?: string, overlap = false): Promise<Attachment | undefined> {
  const candidates = refs.filter((r) => {
    const local = state.networks.find((n) => n.name === r);
    return local ? local.scope === 'global' : !/^[0-9a-f]{12,64}$/.test(r);
  });
  if (candidates.length === 0) return undefined;
  preconnect(m); // connects while the claim is worked out
  const att = emptyAttachment(m);
  const speculate = overlap && candidates.length === 1 && state.networks.some((n) => n.name === candidates[0] && n.scope === 'global');
  for (const name of candidates) {
    // --ip and --mac pin the first network's endpoint only (as buildEndpoint does).
    const first = refs[0] === name;
    const c: Claiming = { stateDir, att, state, name, sandbox, aliases, ...(first && ip !== undefined ? { ip } : {}), ...(first && mac !== undefined ? { mac } : {}) };
    await claimOn(c, freshRound(stateDir, m, name), speculate);
  }
  return att.networks.length > 0 ? att : undefined;
}

/** An attachment that joins nothing yet. */
export function emptyAttachment(m: Membership): Attachment {
  return { client: clientOf(m), m, networks: [], ips: new Map(), made: [], gateways: new Map(), found: new Map() };
}

/**
 * The claim of a warm `sandbox add` on one network, sent before the state is read: built on this
 * host's last view of the network alone, when that view holds this host's gateway claim there
 * (the network is local here: its local part goes with that claim). What the state has a say in
 * is checked under the lock: that the network is the one the state knows by that name
 * (materialize: else the run starts over the usual way), and which claims of this host nothing
 * holds (confirmAttach, while the answer is awaited; released after the run). Undefined when the
 * view does not allow it (none, or not local here as far as it says): claim the usual way.
 */
export function sendFromView(stateDir: string, m: Membership, name: string, sandbox: string, aliases: string[], ip?: string, mac?: string): Attachment | undefined {
  const view = cachedView(stateDir, m, name);
  if (!view) return undefined;
  const att: Attachment = { ...emptyAttachment(m), unread: { name } };
  const c: Claiming = { stateDir, att, name, sandbox, aliases, ...(ip !== undefined ? { ip } : {}), ...(mac !== undefined ? { mac } : {}) };
  const round: Round = { view, guessed: true, attempt: 0, pause: 0 };
  const o = offerFrom(c, view, true);
  if (o === undefined || o === 'read') return undefined;
  send(att, c, round, o);
  return att;
}

const readOps = (name: string): RequestOp[] => [get(keys.network(name)), get(keys.cursor(name)), get(keys.claims(name), true)];
const viewOf = (responses: readonly TxnResponse[]): NetworkView => ({ net: responses[0]?.kvs[0], cursor: responses[1]?.kvs[0], claims: slotsOf(responses[2]?.kvs ?? []) });

/**
 * This host's last view of a cluster network, as its last successful claim left it
 * (STATE_DIR/cluster-cache/NAME.view, for this membership only; view.ts). Only a guess: the
 * claim's compare-and-swap checks every revision it builds on, and when one moved, the
 * transaction's failure branch reads the network afresh, so a stale guess costs nothing
 * but what a read costs anyway. A fresh one saves the add its first round trip.
 */
const cacheFile = (stateDir: string, name: string) => join(stateDir, 'cluster-cache', `${name}.view`);

/** The networks whose view file, as this run read it, a claim built on it may append to (view.ts, parseView). */
const appendable = new Set<string>();

function cachedView(stateDir: string, m: Membership, name: string): NetworkView | undefined {
  const file = cacheFile(stateDir, name);
  if (!existsSync(file)) return undefined; // asked on every add of a joined host (local networks too): no error built
  try {
    const read = parseView(readFileSync(file, 'utf8'), m.uid, name);
    if (read?.appendable) appendable.add(name);
    else appendable.delete(name);
    return read?.view;
  } catch {
    return undefined;
  }
}

function cacheView(stateDir: string, m: Membership, name: string, view: NetworkView): void {
  const text = wholeView(m.uid, m.name, view);
  if (text === undefined) return dropView(stateDir, name); // what no view file can hold (another tool's keys): the next add reads the store
  try {
    mkdirSync(join(stateDir, 'cluster-cache'), { recursive: true, mode: 0o700 });
    const tmp = `${cacheFile(stateDir, name)}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, cacheFile(stateDir, name));
  } catch {
    /* a cache that cannot be written is a cache that is not used */
  }
}

/** Adds what a claim won to the view file it was built on (read by this run), at its end. */
function appendView(stateDir: string, name: string, d: Delta): void {
  try {
    const fd = openSync(cacheFile(stateDir, name), constants.O_WRONLY | constants.O_APPEND); // gone (dropped meanwhile): nothing to add to
    try {
      writeSync(fd, deltaLines(d));
    } finally {
      closeSync(fd);
    }
  } catch {
    /* the next claim builds on an older view: its compare-and-swap says so */
  }
}

/**
 * After this host released claims: its cached views without them. The release moves nothing else
 * (network, cursor), so the view stays the store's unless another run or host moved something,
 * which the next claim's compare-and-swap checks as always.
 */
export function forgetClaims(stateDir: string, m: Membership, released: readonly string[]): void {
  const gone = new Set(released);
  for (const name of new Set(released.map(claimNetwork))) {
    const view = cachedView(stateDir, m, name);
    if (view) cacheView(stateDir, m, name, { ...view, claims: view.claims.filter((s) => !gone.has(s.key)) });
  }
}

function dropView(stateDir: string, name: string): void {
  try {
    rmFileSync(cacheFile(stateDir, name));
  } catch {
    /* none */
  }
}

/** Forgets every cached view (the host left its cluster). */
export function dropCache(stateDir: string): void {
  const dir = join(stateDir, 'cluster-cache');
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return; // none
  }
  for (const f of files) rmFileSync(join(dir, f));
  try {
    rmdirSync(dir);
  } catch {
    /* a run wrote a view meanwhile: it stays, and is checked like any other */
  }
}

/** One claim being made: what it is for. */
interface Claiming {
  stateDir: string;
  att: Attachment;
  /** The state as read before the lock (none: sendFromView, whose checks on it come under the lock). */
  state?: State;
  /** The claim keys it holds (backing), worked out once. */
  held?: Set<string>;
  name: string;
  sandbox: string;
  aliases: string[];
  ip?: string;
  mac?: string;
}

/** Where a claim's attempts stand: the view the next one builds on, and whether it is the cache's. */
interface Round {
  view: NetworkView | undefined;
  guessed: boolean;
  attempt: number;
  /** Milliseconds to wait before the next attempt (contention). */
  pause: number;
}

const freshRound = (stateDir: string, m: Membership, name: string): Round => {
  const view = cachedView(stateDir, m, name);
  return { view, guessed: view !== undefined, attempt: 0, pause: 0 };
};

/** A compare-and-swap for one address, and what its success means for the run. */
interface Offer {
  txn: Txn;
  /** The network's ID and the address asked for ("10.210.0.5/24"). */
  id: string;
  address: string;
  /** The network the endpoint joins, with its local record (the state's, or a new local part). */
  local: Joining;
  /** After it succeeded: keeps the claim (made, the gateway held, the cached view). */
  won(w: TxnResult): void;
}

/** A claim sent before the lock whose answer the run has not read yet. */
interface Sent {
  c: Claiming;
  round: Round;
  offer: Offer;
  /** The answer, read when first asked for. */
  reply: () => Promise<TxnResult | Error>;
  /** False when the request never left this host (its connection failed): the answer is another endpoint's, or the failure. */
  written: boolean;
}

/**
 * The compare-and-swap of the next free address after the view's cursor (and of the gateway claim
 * this run holds). Undefined: not a cluster network. 'read': the guess says "in use" or "none
 * left", which only the store may say.
 */
function offerFrom(c: Claiming, view: NetworkView, guessed: boolean): Offer | 'read' | undefined {
  const { stateDir, att, state, name, sandbox, aliases, ip, mac } = c;
  const { m } = att;
  const { net: netKv, cursor, claims } = view;
  const g = netKv ? parseRecord<GlobalNetwork>(netKv.value) : undefined;
  if (!netKv || !g) return undefined; // not a cluster network: the local lookup says "not found"
  // The common case costs nothing: only when the state read before finds claims it does not hold is
  // the careful pass (pending files, then a fresh state) run.
  const backed = state === undefined ? undefined : (c.held ??= backing(state));
  // Every claim of the network, in one index loop (as in confirmAttach, mayHold, view.ts): a warm
  // add runs it once in a fresh process, where a pass per question through the array builtins
  // (map, filter, find, the array and regexp iterators) cost more and made JavaScriptCore compile
  // Array.prototype.map (DFG, on its JIT thread) in most cluster adds. A view's claims are slots
  // (view.ts): host, sandbox and revision, no value to parse.
  const taken = new Set<bigint>();
  const suspects: Slot[] = [];
  let ownGateways = 0;
  for (let i = 0; i < claims.length; i++) {
    const s = claims[i]!;
    // Stale claims stay taken in this round (they are released by this very transaction).
    taken.add(BigInt(s.value));
    if (s.host !== m.name) continue;
    if (s.sandbox === '') ownGateways++;
    if (backed !== undefined && !backed.has(s.key)) suspects.push(s);
  }
  const others = view.others;
  if (others !== undefined) for (let i = 0; i < others.length; i++) taken.add(BigInt(others[i]!));
  // Built on the view alone (sendFromView): only when it shows the network local here, by this host's one gateway claim.
  if (state === undefined && ownGateways !== 1) return 'read';
  const stale = suspects.length === 0 ? [] : staleClaims(stateDir, () => new Store(stateDir).read(), m, suspects);
  const staleKeys = new Set<string>();
  for (let i = 0; i < stale.length; i++) staleKeys.add(stale[i]!.key);
  const local = state?.networks.find((n) => n.id === g.id);
  let mine: Slot | undefined;
  for (let i = 0; i < claims.length && mine === undefined; i++) {
    const s = claims[i]!;
    if (s.host === m.name && s.sandbox === '' && !staleKeys.has(s.key)) mine = s;
  }
  const sub: SubnetConfig = { subnet: mustCidr(g.subnet), ...(g.gateway === undefined ? {} : { gateway: mustAddr(g.gateway) }) };
  const prefix = sub.subnet.prefix;
  if (cursor) sub.next = cursor.value;
  const localGateway = local?.subnets[0]?.gateway;
  let gateway = localGateway ? formatAddr(localGateway) : mine?.addr;
  let gwValue: bigint;
  let gwTaken = false;
  let a;
  try {
    if (gateway === undefined) {
      const gw = allocateAddress(sub, taken);
      gateway = stripPrefix(gw.address);
      sub.next = gw.next;
    }
    gwValue = mustAddr(gateway).value;
    gwTaken = taken.has(gwValue);
    taken.add(gwValue);
    a = allocateAddress(sub, taken, ip);
  } catch (e) {
    if (!guessed) throw e;
    return 'read';
  }
  sub.next = a.next;
  const gwKey = keys.claim(name, gateway);
  let gwSlot: Slot | undefined;
  for (let i = 0; i < claims.length && gwSlot === undefined; i++) if (claims[i]!.key === gwKey) gwSlot = claims[i];
  // Held (written again) unless it is, wrongly, someone else's (a claim of another host in a view
  // file is only its address): then it is left alone.
  const hold = gwSlot ? gwSlot.host === m.name && gwSlot.sandbox === '' : !gwTaken;
  const addr = stripPrefix(a.address);
  const claimKey = keys.claim(name, addr);
  const claim: Claim = { host: m.name, sandbox, mac: mac?.toLowerCase() ?? macFromIpv4(addr), address: `${addr}/${prefix}`, aliases };
  const gwClaim = JSON.stringify({ host: m.name, sandbox: '', mac: '', address: `${gateway}/${prefix}`, aliases: [] } satisfies Claim);
  const pending: string[] = [...att.made];
  att.gateways.forEach((x) => void pending.push(x.key));
  pending.push(claimKey);
  if (hold) pending.push(gwKey);
  writePending(stateDir, pending);
  const success: RequestOp[] = hold ? [put(gwKey, gwClaim)] : [];
  success.push(put(claimKey, claim), put(keys.cursor(name), sub.next!));
  const compare = [unchangedSince(keys.network(name), netKv.modRevision), unchangedSince(keys.cursor(name), cursor?.modRevision ?? 0), absent(claimKey)];
  if (hold) compare.push(unchangedSince(gwKey, gwSlot?.modRevision ?? 0));
  for (let i = 0; i < stale.length; i++) {
    compare.push(unchangedSince(stale[i]!.key, stale[i]!.modRevision));
    success.push(del(stale[i]!.key));
  }
  return {
    id: g.id,
    address: `${addr}/${prefix}`,
    // No flooding: the agent programs one FDB and one neighbour entry per remote endpoint.
    local: { id: g.id, record: local ? () => local : once(() => localRecord(g, m, gateway!)) },
    txn: { compare, success, failure: readOps(name) }, // failure: what moved, read in the same round trip
    won(w) {
      att.made.push(claimKey);
      if (hold) att.gateways.set(g.id, { key: gwKey, revision: w.revision });
      const slot = (key: string, at: string, value: bigint, sb: string): Slot => ({ key, addr: at, value: Number(value), modRevision: w.revision, host: m.name, sandbox: sb });
      const mineNow = slot(claimKey, addr, mustAddr(addr).value, sandbox);
      const wrote = hold ? [slot(gwKey, gateway!, gwValue, ''), mineNow] : [mineNow];
      if (guessed && appendable.has(name)) {
        // Built on the view this run read from the file: what it changed, added at the file's end.
        const released: string[] = [];
        for (let i = 0; i < stale.length; i++) released.push(stale[i]!.addr);
        return appendView(stateDir, name, { r: w.revision, c: sub.next!, p: wrote, d: released });
      }
      const kept: Slot[] = [];
      for (let i = 0; i < claims.length; i++) if (!staleKeys.has(claims[i]!.key) && claims[i]!.key !== gwKey) kept.push(claims[i]!);
      if (!hold && gwSlot) kept.push(gwSlot);
      for (let i = 0; i < wrote.length; i++) kept.push(wrote[i]!);
      const next: NetworkView = { net: netKv, cursor: { value: sub.next!, modRevision: w.revision }, claims: kept };
      if (others !== undefined) next.others = others;
      cacheView(stateDir, m, name, next);
    },
  };
}

/** f, called at most once. */
function once<T>(f: () => T): () => T {
  let done: { v: T } | undefined;
  return () => (done ??= { v: f() }).v;
}

/** The run builds on this claim: the endpoint takes its address, and the network is joined. */
function provide(att: Attachment, o: Offer): void {
  att.ips.set(o.id, o.address);
  att.networks.push(o.local);
}

/** Takes the answer to a claim: true when it was won; 'taken' when the --ip asked for is; else the round goes on from what moved. */
function answered(c: Claiming, round: Round, o: Offer, w: TxnResult): boolean | 'taken' {
  if (w.succeeded) {
    step('claimed in the cluster store');
    o.won(w);
    return true;
  }
  round.view = viewOf(w.responses);
  if (c.ip !== undefined && round.view.claims.some((s) => s.addr === stripPrefix(c.ip!))) return 'taken';
  // Someone else moved the cursor: try again, after a pause (taken before the next attempt, outside the lock).
  round.pause = round.guessed ? 0 : 2 + Math.random() * 20 * Math.min(round.attempt + 1, 5);
  round.guessed = false;
  round.attempt++;
  return false;
}

/** Sends a compare-and-swap whose answer the run reads later (confirmAttach), and builds on it meanwhile. */
function send(att: Attachment, c: Claiming, round: Round, o: Offer): void {
  // Caught here, thrown where it is awaited: a rejection nobody awaits yet must not end the process.
  const later = att.client.txnLater(o.txn);
  let reply: Promise<TxnResult | Error> | undefined;
  // Read once, when first awaited; a failure is handed back as a value.
  att.sent = { c, round, offer: o, written: later.written, reply: () => (reply ??= later.read().catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))) };
  provide(att, o);
  phase('claim sent');
  step('claim sent to the cluster store');
}

/**
 * Claims an address on one network (bounded retries on contention). With `speculate`, the first
 * compare-and-swap is only sent, and the run builds on it until confirmAttach reads the answer.
 */
async function claimOn(c: Claiming, round: Round, speculate: boolean): Promise<void> {
  const { att, name } = c;
  const { client, m } = att;
  while (round.attempt < 60) {
    if (round.pause > 0) await sleep(round.pause);
    round.pause = 0;
    round.view ??= viewOf((await client.txn({ compare: [], success: readOps(name) })).responses);
    const o = offerFrom(c, round.view, round.guessed);
    if (o === undefined) return;
    if (o === 'read') {
      round.view = undefined; // "in use" or "none left" from a guess: ask the store
      round.guessed = false;
      continue;
    }
    step('claim addresses in the cluster store');
    if (speculate) return send(att, c, round, o);
    const won = answered(c, round, o, await client.txn(o.txn));
    if (won === 'taken') break;
    if (won) return provide(att, o);
  }
  writePending(c.stateDir, [...att.made, ...[...att.gateways.values()].map((x) => x.key)]);
  if (c.ip !== undefined) {
    throw new ConflictError(`address ${c.ip} is already in use on cluster network "${name}"`);
  }
  throw new CnmError(`could not claim an address on cluster network "${name}" in ${m.store}: too much contention; try again`);
}

/**
 * Under the lock, before the run changes the kernel: the answer to a claim that was only sent.
 * False when another run or host moved first: the run must start again (retryAttach claims the
 * next address, from what moved, before the lock), having changed nothing.
 */
export async function confirmAttach(att: Attachment): Promise<boolean> {
  const sent = att.sent;
  if (!sent) return true;
  att.sent = undefined;
  const unread = att.unread;
  if (unread?.state) {
    // While the store answers: the view's claims of this host that the locked state does not hold.
    const mine: Slot[] = [];
    const addrs: string[] = [];
    const claims = sent.round.view?.claims ?? [];
    for (let i = 0; i < claims.length; i++) {
      if (claims[i]!.host !== att.m.name) continue;
      mine.push(claims[i]!);
      addrs.push(claims[i]!.addr);
    }
    const held = mayHold(unread.state, unread.name, addrs);
    const suspects: Slot[] = [];
    for (let i = 0; i < mine.length; i++) if (!held.has(mine[i]!.addr)) suspects.push(mine[i]!);
    unread.stale = suspects.length === 0 ? [] : staleClaims(sent.c.stateDir, () => unread.state!, att.m, suspects);
    unread.state = undefined;
  }
  const w = await sent.reply();
  if (w instanceof Error) throw w;
  const won = answered(sent.c, sent.round, sent.offer, w);
  if (won === true) return true;
  att.ips.delete(sent.offer.id);
  att.networks = att.networks.filter((n) => n !== sent.offer.local);
  att.retry = won === 'taken' ? { ...sent, round: { ...sent.round, attempt: 60 } } : sent;
  return false;
}

/** After a claim that was only sent lost: claims again (awaited, before the lock), from the view its answer carried. */
export async function retryAttach(att: Attachment): Promise<void> {
  const r = att.retry;
  att.retry = undefined;
  if (!r) return;
  // A claim sent before the state was read is made again with the state's checks (its own
  // transaction releases the leftovers they find).
  r.c.state ??= new Store(r.c.stateDir).read();
  if (att.unread) att.unread.stale = undefined;
  await claimOn(r.c, r.round, false);
}

/** Under the lock: adds the local part of each cluster network this state lacks; its plan. */
export function materialize(state: State, att: Attachment): Op[] {
  const ops: Op[] = [];
  if (att.unread && att.networks.length > 0) {
    // Sent before the state was read: the state must know the network by its name as this one
    // (else nothing is changed, and the caller starts over the usual way).
    const named = state.networks.find((n) => n.name === att.unread!.name);
    if (named && (named.scope !== 'global' || named.id !== att.networks[0]!.id)) {
      att.redo = true;
      return [];
    }
    att.unread.state = state;
  }
  for (const j of att.networks) {
    const there = state.networks.find((n) => n.id === j.id);
    const net = there ?? j.record();
    att.found.set(j.id, net);
    if (there) continue;
    state.networks.push(net);
    ops.push(...getDriver('overlay').createNetwork(net));
  }
  return ops;
}

/**
 * Held gateway claims the local part found under the lock does not use: another run made it first,
 * with another gateway (rarely). Asked after the claims are answered.
 */
function spareGateways(att: Attachment): Held[] {
  const spare: Held[] = [];
  att.gateways.forEach((gw, id) => {
    const there = att.found.get(id);
    if (there !== undefined && !there.subnets.some((x) => x.gateway && formatAddr(x.gateway) === leaf(gw.key))) spare.push(gw);
  });
  return spare;
}

/**
 * After the run: releases the claims it did not keep. On success, the spare gateway claims; on failure,
 * its endpoint claims and the gateway claims the saved state does not use. A gateway claim goes only if
 * no run held it since (its revision is still this run's write).
 */
export async function settleAttach(stateDir: string, att: Attachment, ok: boolean): Promise<void> {
  if (att.sent) {
    // The run failed before it read the answer to the claim it sent: what it won is released below.
    const w = await att.sent.reply();
    if (!(w instanceof Error) && w.succeeded) att.sent.offer.won(w);
    att.sent = undefined;
  }
  let gateways = spareGateways(att);
  if (!ok) {
    const held = backing(new Store(stateDir).read());
    gateways = [...att.gateways.values()].filter((gw) => !held.has(gw.key));
  }
  try {
    if (!ok && att.made.length > 0) await att.client.txn({ compare: [], success: att.made.map((k) => del(k)) });
    for (const gw of gateways) await att.client.txn({ compare: [unchangedSince(gw.key, gw.revision)], success: [del(gw.key)] });
  } catch {
    return; // the pending file stays: the next run releases them
  }
  clearPending(stateDir);
  const stale = ok ? (att.unread?.stale ?? []) : [];
  if (stale.length > 0) await releaseStale(stateDir, att, stale);
}

/** Releases leftovers found by a claim sent before the state was read (each only if unchanged since the view). */
async function releaseStale(stateDir: string, att: Attachment, stale: readonly Slot[]): Promise<void> {
  try {
    const r = await att.client.txn({ compare: stale.map((kv) => unchangedSince(kv.key, kv.modRevision)), success: stale.map((kv) => del(kv.key)) });
    if (r.succeeded) forgetClaims(stateDir, att.m, stale.map((kv) => kv.key));
    else dropCache(stateDir);
  } catch {
    /* still leftovers: the next removal or `cnm reconcile` releases them */
  }
}
