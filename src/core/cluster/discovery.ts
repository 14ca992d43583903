/**
 * Endpoint discovery without flooding. The claims of a cluster network are its
 * endpoint records (address, MAC, host, sandbox, aliases); the agent turns the
 * records of the other live hosts into, on each local cluster overlay's VXLAN
 * device (made with `nolearning proxy`):
 *   - one static FDB entry per remote endpoint: MAC -> the VTEP of its host,
 *   - one permanent neighbour entry per remote endpoint: IP -> MAC (the device
 *     answers ARP from it, so ARP never crosses the underlay),
 *   - and no all-zeros (flooding) entry at all.
 * The entries are typed ops (fdb.replace|del, neigh.replace|del) that the
 * executor tries all of, in-process over netlink in the binary (the agent
 * starts no process to program them), else `bridge -batch` + `ip -batch`;
 * it reads a device the same way (RTM_GETNEIGH dumps, else `bridge -j fdb
 * show` and `ip -j neigh show`).
 * It also writes STATE_DIR/cluster-records.json, the remote names the embedded
 * DNS server answers besides the local ones. A host whose alive key is gone
 * (lease expired) has no records here: its entries and names go.
 */
import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import type { RemoteName } from '../dns/records.js';
import { clusterRecordsFile as recordsFile } from '../paths.js';
import { vxlanName } from '../../drivers/overlay.js';
import { stripPrefix } from '../ip.js';
import type { Network } from '../model.js';
import { teardown } from '../exec.js';
import { deviceEntries } from '../exec/netlink/neighbours.js';
import { netlinkLibc } from '../exec/netlink/socket.js';
import type { FdbOp, LineOp, NeighDelOp, NeighReplaceOp } from '../plan.js';
import { run } from '../runner.js';
import { type Claim, claimNetwork } from './keys.js';

/** An endpoint on another live host. */
export interface Remote {
  /** The cluster network's name. */
  network: string;
  host: string;
  /** The underlay address of its host (the VTEP). */
  vtep: string;
  /** Without prefix length. */
  address: string;
  mac: string;
  sandbox: string;
  aliases: string[];
}


/** The remote endpoints: claims of sandboxes on other hosts that are alive (pure). */
export function remotes(claims: ReadonlyMap<string, Claim>, live: ReadonlyMap<string, string>, me: string): Remote[] {
  const out: Remote[] = [];
  for (const [key, c] of claims) {
    const vtep = live.get(c.host);
    if (c.host === me || vtep === undefined || c.sandbox === '' || c.mac === '') continue;
    out.push({ network: claimNetwork(key), host: c.host, vtep, address: stripPrefix(c.address), mac: c.mac.toLowerCase(), sandbox: c.sandbox, aliases: c.aliases ?? [] });
  }
  return out.sort((a, b) => (a.network + a.address < b.network + b.address ? -1 : 1));
}

/**
 * Whether a claim's change (its record before and after; undefined: none) can change the remote
 * endpoints of host `me`: only a claim of another host, before or after, can.
 */
export function changesRemotes(before: Claim | undefined, after: Claim | undefined, me: string): boolean {
  return (before !== undefined && before.host !== me) || (after !== undefined && after.host !== me);
}

export interface FdbRow {
  mac: string;
  dst: string;
}

export interface NeighRow {
  ip: string;
  mac: string;
}

/** The ops that take a device's entries to the wanted ones: fdb entries first, then neighbours (pure). */
export function entryChanges(dev: string, fdb: readonly FdbRow[], neigh: readonly NeighRow[], wanted: readonly Remote[]): LineOp[] {
  const bridge: FdbOp[] = [];
  const ip: (NeighReplaceOp | NeighDelOp)[] = [];
  const wantFdb = new Map(wanted.map((r) => [r.mac, r.vtep]));
  const wantNeigh = new Map(wanted.map((r) => [r.address, r.mac]));
  const haveFdb = new Map<string, string[]>();
  for (const row of fdb) haveFdb.set(row.mac, [...(haveFdb.get(row.mac) ?? []), row.dst]);
  for (const [mac, dsts] of haveFdb) {
    const want = wantFdb.get(mac);
    for (const dst of dsts) if (dst !== want) bridge.push({ kind: 'fdb.del', mac, dev, dst });
  }
  for (const [mac, vtep] of wantFdb) {
    if (!(haveFdb.get(mac) ?? []).includes(vtep)) bridge.push({ kind: 'fdb.replace', mac, dev, dst: vtep });
  }
  const haveNeigh = new Map(neigh.map((n) => [n.ip, n.mac]));
  for (const [addr] of haveNeigh) if (!wantNeigh.has(addr)) ip.push({ kind: 'neigh.del', addr, dev });
  for (const [addr, mac] of wantNeigh) {
    if (haveNeigh.get(addr) !== mac) ip.push({ kind: 'neigh.replace', addr, mac, dev });
  }
  return [...bridge, ...ip];
}

function rows<T>(cmd: string, args: string[]): T[] | undefined {
  const r = run(cmd, args);
  if (r.code !== 0) return undefined; // the device is not there (yet, or any more)
  try {
    return JSON.parse(r.stdout || '[]') as T[];
  } catch {
    return [];
  }
}

/**
 * What the agent last made each VXLAN device hold, by device name: a change is
 * diffed against these rows instead of reading the kernel again, so a record
 * added anywhere in the cluster costs each host only the two batches that
 * program it (and nothing when it is not for a local network). A device not in
 * the map is read; a failed batch drops its rows, so the next pass reads it.
 */
export type Held = Map<string, { fdb: FdbRow[]; neigh: NeighRow[] }>;

/** What the devices hold now, read from the kernel; a device that is not there has no rows. */
function readRows(devs: readonly string[]): Map<string, { fdb: FdbRow[]; neigh: NeighRow[] }> {
  const c = netlinkLibc();
  if (c) return deviceEntries(c, devs);
  const out = new Map<string, { fdb: FdbRow[]; neigh: NeighRow[] }>();
  for (const dev of devs) {
    const rows = readDevice(dev);
    if (rows) out.set(dev, rows);
  }
  return out;
}

function readDevice(dev: string): { fdb: FdbRow[]; neigh: NeighRow[] } | undefined {
  const fdb = rows<{ mac?: string; dst?: string }>('bridge', ['-j', 'fdb', 'show', 'dev', dev]);
  const neigh = rows<{ dst?: string; lladdr?: string }>('ip', ['-j', '-4', 'neigh', 'show', 'dev', dev]);
  if (fdb === undefined || neigh === undefined) return undefined;
  return {
    fdb: fdb.filter((x) => x.mac && x.dst).map((x) => ({ mac: x.mac!, dst: x.dst! })),
    neigh: neigh.filter((x) => x.dst && x.lladdr).map((x) => ({ ip: x.dst!, mac: x.lladdr! })),
  };
}

/**
 * Makes each local cluster overlay's VXLAN device hold exactly the entries of
 * the remote endpoints on its network (and no flooding entry); the problems.
 * Devices in `held` are taken to hold those rows (see Held); an empty map
 * (the default) reads every device from the kernel.
 */
export function programEntries(nets: readonly Network[], all: readonly Remote[], held: Held = new Map()): string[] {
  const problems: string[] = [];
  const devs = new Set(nets.map((n) => vxlanName(n)));
  for (const dev of held.keys()) if (!devs.has(dev)) held.delete(dev);
  const read = readRows([...devs].filter((dev) => !held.has(dev)));
  for (const net of nets) {
    const dev = vxlanName(net);
    const have = held.get(dev) ?? read.get(dev);
    if (have === undefined) continue; // the device is not there (yet, or any more)
    const wanted = all.filter((r) => r.network === net.name);
    const ops = entryChanges(dev, have.fdb, have.neigh, wanted);
    // All-zeros rows (flooding entries of a part-1 device) are wanted by no endpoint: they go too.
    // Every op is tried; a delete of what is already gone is fine, a replace that fails is not.
    const failed = ops.length === 0 ? [] : teardown(ops);
    if (failed.length === 0) held.set(dev, { fdb: wanted.map((r) => ({ mac: r.mac, dst: r.vtep })), neigh: wanted.map((r) => ({ ip: r.address, mac: r.mac })) });
    else held.delete(dev);
    problems.push(...failed);
  }
  return problems;
}

/** The DNS records of remote endpoints on the local cluster networks (pure). */
export function remoteNames(nets: readonly Network[], all: readonly Remote[]): RemoteName[] {
  const ids = new Map(nets.map((n) => [n.name, n.id]));
  return all.flatMap((r) => {
    const networkId = ids.get(r.network);
    return networkId === undefined ? [] : [{ networkId, name: r.sandbox, aliases: r.aliases, address: r.address }];
  });
}

/** Writes cluster-records.json when it changes (atomically: the DNS server never reads half a file). */
export function writeRemoteNames(stateDir: string, names: readonly RemoteName[]): void {
  const text = `${JSON.stringify(names)}\n`;
  let now = '';
  try {
    now = readFileSync(recordsFile(stateDir), 'utf8');
  } catch {
    /* none yet */
  }
  if (now === text) return;
  const tmp = `${recordsFile(stateDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, recordsFile(stateDir));
}
