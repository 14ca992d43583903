/**
 * This host's last view of a cluster network as a file (STATE_DIR/cluster-cache/NAME.view), one
 * record a line, holding exactly what an add needs to pick and claim an address:
 *
 *   cnm-view 2 UID            this membership's uid (another membership's file is no view)
 *   n REV JSON                the network's record and its revision
 *   c REV ADDR                the IPAM cursor and its revision
 *   o N,N,...                 the addresses (as numbers) other hosts' claims hold
 *   + ADDR N REV HOST SANDBOX a claim: its address (and as a number), revision, host and sandbox ('' for a host's gateway)
 *   - ADDR                    a claim released
 *
 * Another host's claim is only an address taken to an add: it never builds on one (its revision,
 * holder and value are no compare of this host's transactions), and no delta of this host changes
 * one. So they are one line of numbers, read by one JSON.parse: a network with hundreds of other
 * hosts' claims cost a warm add ~1.3 ms to read as a line per claim, and as much again to use.
 *
 * The view is written whole (header, network, cursor, others, this host's claims), then each claim won on a view read
 * from the file appends its delta: a cursor line (every won claim moves the cursor) and the claims
 * it released and wrote. A delta no newer than the cursor so far is skipped: it was appended after
 * another run wrote a fresher view whole (one read from the store after that claim), which holds
 * it already. A later line for an address replaces the earlier one.
 *
 * Read with a loop over the lines and no JSON but the network's record: the claims' values (MAC,
 * aliases) are no add's business, and parsing each was most of a warm add's cost of its view. A file
 * that is not this format (the JSON written by cnm before it, a torn last line) is no view: the add
 * reads the network from the store and writes the view whole. Only a guess either way: a claim's
 * compare-and-swap checks every revision it builds on.
 */
import type { KeyValue } from './etcd.js';
import { parseAddr } from '../ip.js';
import { type Claim, keys, leaf, parseRecord } from './keys.js';

/** A record the view keeps with its revision (the network's, the cursor's). */
export interface Versioned {
  value: string;
  modRevision: number;
}

/** One claim as a view keeps it. */
export interface Slot {
  /** The claim's key (keys.claim(network, addr)). */
  key: string;
  addr: string;
  /** The IPv4 address as a number (what IPAM's scan compares: no address parsed per claim). */
  value: number;
  modRevision: number;
  /** '?' when the value is no claim of any host cnm knows. */
  host: string;
  /** '' for a host's own gateway on the network. */
  sandbox: string;
}

/** One read of a cluster network: its record, its IPAM cursor, its claims. */
export interface NetworkView {
  net: Versioned | undefined;
  cursor: Versioned | undefined;
  /** Every claim read from the store; read from a view file, this host's only. */
  claims: Slot[];
  /** Read from a view file: the addresses (as numbers) other hosts' claims hold. */
  others?: number[];
}

/** What one won claim changed in the view it was built on. */
export interface Delta {
  /** The revision the claim was written at. */
  r: number;
  /** The cursor's value it wrote. */
  c: string;
  /** The claims it wrote. */
  p: readonly Slot[];
  /** The addresses it released. */
  d: readonly string[];
}

/** Deltas a view file may hold before a claim writes the view whole again. */
const MAX_DELTAS = 32;

const header = (uid: string) => `cnm-view 2 ${uid}\n`;

/** A host or sandbox name as a field: '?' for what no line may hold (cnm's names never have a space or a line end). */
const field = (s: string, last: boolean) => (s.includes('\n') || (!last && (s === '' || s.includes(' '))) ? '?' : s);

const slotLine = (s: Slot) => `+ ${s.addr} ${s.value} ${s.modRevision} ${field(s.host, false)} ${field(s.sandbox, true)}\n`;

/**
 * The file of a view written whole for host `me`: its claims a line each, other hosts' as numbers;
 * undefined when a line could not hold it (a record or an address with a line end, an address that
 * is no IPv4 one: then nothing is cached).
 */
export function wholeView(uid: string, me: string, view: NetworkView): string | undefined {
  const net = view.net;
  if (!net || net.value.includes('\n') || (view.cursor && (view.cursor.value.includes(' ') || view.cursor.value.includes('\n')))) return undefined;
  let text = `${header(uid)}n ${net.modRevision} ${net.value}\n`;
  if (view.cursor) text += `c ${view.cursor.modRevision} ${view.cursor.value}\n`;
  const others = view.others === undefined ? [] : view.others.slice();
  let own = '';
  for (let i = 0; i < view.claims.length; i++) {
    const s = view.claims[i]!;
    if (s.value < 0 || s.addr.includes(' ') || s.addr.includes('\n')) return undefined;
    if (s.host === me) own += slotLine(s);
    else others.push(s.value);
  }
  if (others.length > 0) text += `o ${others.join(',')}\n`;
  return text + own;
}

/** The lines that add one won claim to the view (written in one write: appends do not interleave). */
export function deltaLines(d: Delta): string {
  let text = `c ${d.r} ${d.c}\n`;
  for (let i = 0; i < d.d.length; i++) text += `- ${d.d[i]!}\n`;
  for (let i = 0; i < d.p.length; i++) text += slotLine(d.p[i]!);
  return text;
}

/**
 * The view a file holds for membership `uid` on network `name`, and whether a claim built on it
 * may append its delta (fewer than MAX_DELTAS); undefined when it is no view of this format for
 * that membership (another's, the older JSON file, a torn or unknown line).
 */
export function parseView(text: string, uid: string, name: string): { view: NetworkView; deltas: number; appendable: boolean } | undefined {
  const head = header(uid);
  if (!text.startsWith(head) || text.charCodeAt(text.length - 1) !== 10) return undefined;
  const prefix = keys.claims(name);
  const claims = new Map<string, Slot>();
  let net: Versioned | undefined;
  let cursor: Versioned | undefined;
  let others: number[] | undefined;
  let deltas = 0;
  let skip = false;
  // One pass over the lines, each cut at its spaces by indexOf (no split, no helper per line).
  for (let at = head.length; at < text.length; ) {
    const eol = text.indexOf('\n', at);
    const kind = text.charCodeAt(at);
    if (text.charCodeAt(at + 1) !== 32) return undefined;
    if (kind === 45) {
      // '-': released
      if (!skip) claims.delete(text.slice(at + 2, eol));
    } else if (kind === 111) {
      // 'o': other hosts' addresses, one native parse
      let list: unknown;
      try {
        list = JSON.parse(`[${text.slice(at + 2, eol)}]`);
      } catch {
        return undefined;
      }
      if (!Array.isArray(list)) return undefined;
      for (let i = 0; i < list.length; i++) {
        const v: unknown = list[i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 0xffffffff)) return undefined;
      }
      others = others === undefined ? (list as number[]) : others.concat(list as number[]);
    } else {
      const a = text.indexOf(' ', at + 2);
      if (a < 0 || a >= eol) return undefined;
      if (kind === 43) {
        // '+': ADDR N REV HOST SANDBOX
        const n = text.indexOf(' ', a + 1);
        const b = n < 0 ? -1 : text.indexOf(' ', n + 1);
        const h = b < 0 ? -1 : text.indexOf(' ', b + 1);
        if (h < 0 || h >= eol) return undefined;
        const addr = text.slice(at + 2, a);
        const value = Number(text.slice(a + 1, n));
        const modRevision = Number(text.slice(n + 1, b));
        if (!(modRevision >= 0) || !(value >= 0 && value <= 0xffffffff)) return undefined;
        if (!skip) {
          claims.delete(addr); // written again: last, where a whole write puts it
          claims.set(addr, { key: prefix + addr, addr, value, modRevision, host: text.slice(b + 1, h), sandbox: text.slice(h + 1, eol) });
        }
      } else {
        const modRevision = Number(text.slice(at + 2, a));
        if (!(modRevision >= 0)) return undefined;
        const value = text.slice(a + 1, eol);
        if (kind === 110) net = { value, modRevision }; // 'n'
        else if (kind === 99) {
          // 'c': the whole view's cursor, or a delta's first line
          if (cursor !== undefined) deltas++;
          skip = cursor !== undefined && modRevision <= cursor.modRevision;
          if (!skip) cursor = { value, modRevision };
        } else return undefined;
      }
    }
    at = eol + 1;
  }
  if (!net) return undefined;
  const all: Slot[] = [];
  claims.forEach((s) => void all.push(s));
  const view: NetworkView = { net, cursor, claims: all };
  if (others !== undefined) view.others = others;
  return { view, deltas, appendable: deltas < MAX_DELTAS };
}

/** A claim read from the store, as a view keeps it. */
export function slotOf(kv: KeyValue): Slot {
  const c = parseRecord<Claim>(kv.value);
  const addr = leaf(kv.key);
  const a = parseAddr(addr);
  return { key: kv.key, addr, value: a?.family === 4 ? Number(a.value) : -1, modRevision: kv.modRevision, host: typeof c?.host === 'string' ? c.host : '?', sandbox: typeof c?.sandbox === 'string' ? c.sandbox : '?' };
}

/** The claims read from the store (a network's range), as a view keeps them. */
export function slotsOf(kvs: readonly KeyValue[]): Slot[] {
  const out: Slot[] = [];
  for (let i = 0; i < kvs.length; i++) out.push(slotOf(kvs[i]!));
  return out;
}
