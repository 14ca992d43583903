/**
 * The sandboxes and endpoints of a state, kept as the bytes they were read
 * from until someone needs them all.
 *
 * state.json holds one sandbox or endpoint per line (still one JSON document:
 * any JSON reader takes it whole). A locked update of a file cnm wrote itself
 * (its stamp: store.ts) parses only the rest of it (networks, the serial) and
 * keeps the two arrays as the file's bytes: `sandbox add` and `sandbox rm`
 * find what they need by searching them (a name, an address, a veth name, a
 * MAC, one sandbox's endpoints; in the file's text for a small state, in its
 * bytes for a big one: SEARCH_BYTES_FROM), parse only the lines they hit, and
 * the write puts the file back together from the lines nobody touched (views
 * of the bytes read), the changed ones and the new ones.
 * Parsing and encoding every record cost each add and rm ~3 ms of a fresh
 * process at 1,000 sandboxes, and its heap's page faults more.
 *
 * For everything else the state is an ordinary State: the first touch of its
 * `sandboxes` or `endpoints` parses every record (the edits made so far
 * included, the records already handed out kept as the same objects), and
 * the update goes on, and is written, as a fully parsed one.
 *
 * A search needle is the JSON text of a key and its value, and a record is
 * taken only when its parsed value matches: a needle found elsewhere on a
 * line (a label) costs a parse, never a wrong answer.
 */
import type { Endpoint, Sandbox, State } from './model.js';
import { stripPrefix } from './ip.js';
import { phase } from './runner.js';
import { fromUtf8, utf8 } from './utf8.js';

/** A block of records in the bytes: `start` is the `\n` of its first line, `end` the `\n` of its closing `\n]`. */
interface Block {
  start: number;
  end: number;
}

type Item = Sandbox | Endpoint;

/**
 * Where the records are searched: the file's text, or its bytes as a Buffer
 * (the same calls: indexOf and lastIndexOf of a string). Offsets are byte
 * offsets either way: the text serves only a file all ASCII.
 */
type Haystack = string | Buffer;

/**
 * A state this big is searched in its bytes (Buffer's indexOf, memmem), not
 * in its text: decoding 570 KB (1,000 sandboxes) into a string cost an add or
 * rm ~0.5 ms of fresh pages, and JavaScriptCore's indexOf ~0.1 ms a search,
 * against Buffer's ~0.01 ms a search and ~0.15 ms once, to build Buffer (on
 * its first use in a run), which a small state does not repay.
 */
export const SEARCH_BYTES_FROM = 64 * 1024;

const slim = new WeakMap<State, Records>();

/** The state's records as text, while they are still text (undefined once parsed, or for a state read whole). */
export function recordsOf(state: State): Records | undefined {
  return slim.get(state);
}

/** The JSON of a block: one record a line, so that a reader can take one line without the others. */
export function encodeLines(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) out += `${i === 0 ? '' : ','}\n${JSON.stringify(items[i])}`;
  return `${out}\n]`;
}

/**
 * Splits the UTF-8 of state text as encodeLines wrote it into the rest of the
 * document (with both blocks empty, for JSON.parse) and the records, or
 * undefined when it is not laid out so (an older cnm's compact file, a hand
 * edit). The records stay bytes, searched as text or as bytes
 * (SEARCH_BYTES_FROM; `inBytes` to choose), and only the lines a search hits
 * are decoded. A file not all ASCII is searched in its bytes.
 */
export function splitRecords(bytes: Uint8Array, inBytes = bytes.length >= SEARCH_BYTES_FROM): { rest: string; records: Records } | undefined {
  let hay: Haystack | undefined;
  if (!inBytes) {
    const text = fromUtf8(bytes);
    if (text.length === bytes.length) hay = text;
  }
  hay ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sb = block(hay, '"sandboxes":[', 0, false);
  // cnm writes the endpoints after the sandboxes: looked for there first, not through the sandboxes' lines,
  // and as the last block, its end is the file's last `\n]`, found from the end, not through its own lines.
  const ep = sb && (block(hay, '"endpoints":[', sb.end, true) ?? block(hay, '"endpoints":[', 0, false));
  if (!sb || !ep) return undefined;
  const [a, b] = sb.start < ep.start ? [sb, ep] : [ep, sb];
  const rest = fromUtf8(bytes.subarray(0, a.start)) + fromUtf8(bytes.subarray(a.end, b.start)) + fromUtf8(bytes.subarray(b.end));
  return { rest, records: new Records(bytes, hay, sb, ep) };
}

/**
 * A raw newline is only ever a line break of a block: JSON keeps the ones in
 * strings escaped (and no byte of a multi-byte UTF-8 character is one). So
 * `\n]` only ever ends a block, and the last one in the file ends the last
 * block (`last`: the one looked for is it). `key` is ASCII: its length is its bytes'.
 */
function block(hay: Haystack, key: string, from: number, last: boolean): Block | undefined {
  const at = hay.indexOf(`${key}\n`, from);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = last ? hay.lastIndexOf('\n]') : hay.indexOf('\n]', start);
  return end < start ? undefined : { start, end };
}

/**
 * Makes `doc` (the rest of the document, its blocks empty) the state, its
 * `sandboxes` and `endpoints` parsed from `records` on first use.
 */
export function withRecords(doc: State, records: Records): State {
  const parse = (): void => {
    if (slim.get(doc) !== records) return;
    slim.delete(doc);
    const all = records.parse();
    for (const key of ['sandboxes', 'endpoints'] as const) {
      Object.defineProperty(doc, key, { value: all[key], writable: true, enumerable: true, configurable: true });
    }
    phase('all records parsed');
  };
  for (const key of ['sandboxes', 'endpoints'] as const) {
    Object.defineProperty(doc, key, {
      enumerable: true,
      configurable: true,
      get() {
        parse();
        return doc[key];
      },
      set(value: unknown) {
        parse();
        (doc as unknown as Record<string, unknown>)[key] = value;
      },
    });
  }
  slim.set(doc, records);
  return doc;
}

export class Records {
  /** Records parsed so far, by the offset of their line (the `\n` before it), and back. */
  private readonly loaded = new Map<number, Item>();
  private readonly lineOf = new Map<Item, number>();
  private readonly removed = new Set<number>();
  private readonly newSandboxes: Sandbox[] = [];
  private readonly newEndpoints: Endpoint[] = [];
  /** The lines each needle was found on: the bytes never change, so a needle is searched for once. */
  private readonly hits = new Map<string, number[]>();

  /** `bytes`: the file's, searched in `hay` (them, or their text if all ASCII); every offset here is a byte offset in them. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly hay: Haystack,
    private readonly sb: Block,
    private readonly ep: Block,
  ) {}

  /** The sandbox with this name. */
  sandboxNamed(name: string): Sandbox | undefined {
    return this.sandboxesWith(`"name":${JSON.stringify(name)}`, (s) => s.name === name)[0];
  }

  /** The sandboxes whose ID starts with `prefix` (hex). */
  sandboxesById(prefix: string): Sandbox[] {
    return this.sandboxesWith(`"id":"${prefix}`, (s) => s.id.startsWith(prefix));
  }

  /** The sandboxes whose line holds `needle` and that pass `test`, the new ones included. */
  sandboxesWith(needle: string, test: (s: Sandbox) => boolean): Sandbox[] {
    return this.find(this.sb, needle, test, this.newSandboxes);
  }

  /** The endpoints of the sandbox with this ID (of one added in this update: only the added ones, no search). */
  endpointsOf(sandboxId: string): Endpoint[] {
    const test = (e: Endpoint): boolean => e.sandboxId === sandboxId;
    for (let i = 0; i < this.newSandboxes.length; i++) if (this.newSandboxes[i]!.id === sandboxId) return this.newEndpoints.filter(test);
    return this.endpointsWith(`"sandboxId":"${sandboxId}"`, test);
  }

  /** The endpoints whose line holds `needle` and that pass `test`, the new ones included. */
  endpointsWith(needle: string, test: (e: Endpoint) => boolean): Endpoint[] {
    return this.find(this.ep, needle, test, this.newEndpoints);
  }

  /**
   * Which of `addrs` (IPv4 addresses, without a prefix) an endpoint holds, on
   * any network, the edits made so far included: a line of the endpoints
   * holding `"ipv4":"ADDR/` (not one parsed since: those, and the added ones,
   * as they are now). Without decoding the block: a few are each one search
   * of it, more are one pass over its `"ipv4":"` keys (~0.4 us each: at 1,000
   * endpoints, in bytes, as much as ~30 searches of their 380 KB; in text, the
   * pass over a small state's as much as ~16). mayHold (cluster/attach.ts)
   * asks it for this host's claims on a network, under the lock of an add.
   */
  ipv4Held(addrs: readonly string[]): Set<string> {
    const out = new Set<string>();
    const b = this.ep;
    const hay = this.blockOf(b);
    // The block's lines parsed so far (dropped ones too: only a parsed one is dropped), as [from, to)
    // pairs in it: their text may be out of date, they are asked as they are now below.
    const edited: number[] = [];
    if (this.loaded.size > 0) for (const at of this.loaded.keys()) if (at >= b.start && at < b.end) edited.push(at - b.start, this.hay.indexOf('\n', at + 1) - b.start);
    if (addrs.length <= (this.inBytes ? 32 : 16)) {
      for (let i = 0; i < addrs.length; i++) {
        const needle = `"ipv4":"${addrs[i]!}/`;
        for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
          let skip = false;
          for (let j = 0; j < edited.length; j += 2) if (at > edited[j]! && at < edited[j + 1]!) skip = true;
          if (skip) continue;
          out.add(addrs[i]!);
          break;
        }
      }
    } else {
      const want = new Set<string>();
      for (let i = 0; i < addrs.length; i++) want.add(addrs[i]!);
      // In bytes, the needle as bytes and '/' as a byte: Buffer converts a string needle on every call
      // (~0.3 us a hit, as much again as the rest).
      const key = utf8('"ipv4":"');
      for (let i = 0; ; i += 8) {
        i = typeof hay === 'string' ? hay.indexOf('"ipv4":"', i) : hay.indexOf(key, i);
        if (i === -1) break;
        const to = typeof hay === 'string' ? hay.indexOf('/', i + 8) : hay.indexOf(47, i + 8);
        if (to === -1) break;
        let skip = false;
        for (let j = 0; j < edited.length; j += 2) if (i > edited[j]! && i < edited[j + 1]!) skip = true;
        if (skip) continue;
        // Up to the next '/': text that is no address there (a value without one) matches none of addrs.
        const a = typeof hay === 'string' ? hay.slice(i + 8, to) : hay.toString('latin1', i + 8, to);
        if (want.has(a)) out.add(a);
      }
    }
    // The lines parsed so far (an add's few), as they are now.
    if (this.loaded.size > 0) {
      for (const at of this.loaded.keys()) {
        const v4 = (this.loaded.get(at) as Endpoint).ipv4;
        if (at < b.start || at >= b.end || this.removed.has(at) || v4 === undefined) continue;
        const a = stripPrefix(v4);
        for (let i = 0; i < addrs.length; i++) if (addrs[i] === a) out.add(a);
      }
    }
    for (let i = 0; i < this.newEndpoints.length; i++) {
      const v4 = this.newEndpoints[i]!.ipv4;
      if (v4 === undefined) continue;
      const a = stripPrefix(v4);
      for (let j = 0; j < addrs.length; j++) if (addrs[j] === a) out.add(a);
    }
    return out;
  }

  addSandbox(sb: Sandbox): void {
    this.newSandboxes.push(sb);
  }

  addEndpoint(ep: Endpoint): void {
    this.newEndpoints.push(ep);
  }

  /** Drops a sandbox this state holds (found here or added) and its endpoints. */
  dropSandbox(sb: Sandbox): void {
    for (const ep of this.endpointsOf(sb.id)) this.drop(ep, this.newEndpoints);
    this.drop(sb, this.newSandboxes);
  }

  private drop<T extends Item>(item: T, added: T[]): void {
    const at = this.lineOf.get(item);
    if (at !== undefined) this.removed.add(at);
    const i = added.indexOf(item);
    if (i >= 0) added.splice(i, 1);
  }

  private find<T extends Item>(b: Block, needle: string, test: (x: T) => boolean, added: readonly T[]): T[] {
    const out: T[] = [];
    const lines = this.linesWith(b, needle);
    for (let i = 0; i < lines.length; i++) {
      if (this.removed.has(lines[i]!)) continue;
      const x = this.load(lines[i]!) as T;
      if (test(x)) out.push(x);
    }
    for (let i = 0; i < added.length; i++) if (test(added[i]!)) out.push(added[i]!);
    return out;
  }

  /**
   * How many endpoints are on the network with this ID (no line is parsed): a
   * raw `"` in JSON only ever delimits a string, and only an endpoint has a
   * "networkId" key, so each line holding `"networkId":"ID"` is one endpoint
   * on it. Less the dropped ones, with the added. One native split (of the
   * bytes as Latin-1: no byte of a multi-byte character is ASCII), not a loop
   * of searches, hot enough to compile at 1,000 hits; still ~0.5-0.9 ms of a
   * fresh process at 1,000, so adds ask only now and then (ops/endpoint.ts).
   */
  countEndpointsOn(networkId: string): number {
    const needle = `"networkId":"${networkId}"`;
    const hay = this.blockOf(this.ep);
    let n = (typeof hay === 'string' ? hay : hay.toString('latin1')).split(needle).length - 1;
    for (const at of this.removed) if ((this.loaded.get(at) as Endpoint | undefined)?.networkId === networkId) n--;
    for (let i = 0; i < this.newEndpoints.length; i++) if (this.newEndpoints[i]!.networkId === networkId) n++;
    return n;
  }

  /** Whether the records are searched in the file's bytes, not its text. */
  get inBytes(): boolean {
    return typeof this.hay !== 'string';
  }

  /** Each block's text or bytes (a slice or view: nothing is copied), by its start. */
  private readonly blockHay = new Map<number, Haystack>();

  /**
   * The offsets of the lines of a block that hold `needle`. Searched in the
   * block's view: a search in the whole file does not stop at the block's
   * end, so looking for a name ran on through every endpoint line (at 1,000
   * sandboxes, 380 KB after the 180 KB of sandboxes: ~0.15 ms of each add and rm).
   */
  private linesWith(b: Block, needle: string): number[] {
    const key = `${b.start} ${needle}`;
    let lines = this.hits.get(key);
    if (lines) return lines;
    lines = [];
    const hay = this.blockOf(b);
    // On from the byte after a hit (a needle's length in bytes is not its length), a line taken once.
    for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) {
      const at = b.start + hay.lastIndexOf('\n', i);
      if (lines[lines.length - 1] !== at) lines.push(at);
    }
    this.hits.set(key, lines);
    return lines;
  }

  /** The block's text or bytes (a slice or view), made once. */
  private blockOf(b: Block): Haystack {
    let hay = this.blockHay.get(b.start);
    if (hay === undefined) this.blockHay.set(b.start, (hay = typeof this.hay === 'string' ? this.hay.slice(b.start, b.end) : this.hay.subarray(b.start, b.end)));
    return hay;
  }

  private load(at: number): Item {
    let x = this.loaded.get(at);
    if (!x) {
      x = JSON.parse(this.line(at)) as Item;
      this.loaded.set(at, x);
      this.lineOf.set(x, at);
    }
    return x;
  }

  /** The JSON of the line at `at`, without its separating comma. */
  private line(at: number): string {
    const s = this.text(at + 1, this.hay.indexOf('\n', at + 1));
    return s.endsWith(',') ? s.slice(0, -1) : s;
  }

  /** The text of bytes [from, to) (at a line's or a block's bounds: whole characters). */
  private text(from: number, to: number): string {
    return typeof this.hay === 'string' ? this.hay.slice(from, to) : fromUtf8(this.bytes.subarray(from, to));
  }

  /** Every record, in the order a whole parse and then the same edits give. */
  parse(): { sandboxes: Sandbox[]; endpoints: Endpoint[] } {
    return { sandboxes: this.all(this.sb, this.newSandboxes), endpoints: this.all(this.ep, this.newEndpoints) };
  }

  private all<T extends Item>(b: Block, added: readonly T[]): T[] {
    const parsed = JSON.parse(`[${this.text(b.start, b.end)}]`) as T[];
    const out: T[] = [];
    for (let i = 0, at = b.start; i < parsed.length; i++, at = this.hay.indexOf('\n', at + 1)) {
      if (!this.removed.has(at)) out.push((this.loaded.get(at) as T | undefined) ?? parsed[i]!);
    }
    for (let i = 0; i < added.length; i++) out.push(added[i]!);
    return out;
  }

  /** The JSON of both blocks as encodeLines gives it for the edited records, reusing every line nobody changed. */
  encode(): { sandboxes: string; endpoints: string } {
    const { sandboxes, endpoints } = this.pieces();
    return { sandboxes: this.join(sandboxes), endpoints: this.join(endpoints) };
  }

  /**
   * The JSON of both blocks as encodeLines gives it for the edited records, as
   * pieces: every run of lines nobody changed is a span of the bytes read.
   */
  pieces(): { sandboxes: Piece[]; endpoints: Piece[] } {
    return { sandboxes: this.blockPieces(this.sb, this.newSandboxes), endpoints: this.blockPieces(this.ep, this.newEndpoints) };
  }

  private blockPieces(b: Block, added: readonly Item[]): Piece[] {
    const edits: number[] = [];
    for (const at of this.loaded.keys()) if (at >= b.start && at < b.end) edits.push(at);
    edits.sort((x, y) => x - y);
    // The block's records, each `\n` JSON, joined by commas: runs of untouched lines are spans of the bytes
    // (their last comma left out), never decoded: the write takes them as views of the bytes read (fileParts).
    const parts: Piece[] = [];
    let from = b.start;
    for (const at of edits) {
      let now: string | undefined;
      if (!this.removed.has(at)) {
        const json = JSON.stringify(this.loaded.get(at));
        if (json === this.line(at)) continue; // read, not changed: stays as it is
        now = `\n${json}`;
      }
      if (from < at) parts.push({ from, to: at - 1 });
      if (now !== undefined) parts.push(now);
      from = this.hay.indexOf('\n', at + 1);
    }
    if (from < b.end) parts.push({ from, to: b.end });
    for (let i = 0; i < added.length; i++) parts.push(`\n${JSON.stringify(added[i])}`);
    const out: Piece[] = ['['];
    for (let i = 0; i < parts.length; i++) {
      if (i > 0) out.push(',');
      out.push(parts[i]!);
    }
    out.push('\n]');
    return out;
  }

  /** The text of pieces made of spans of these bytes (each decoded). */
  join(pieces: readonly Piece[]): string {
    let out = '';
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      out += typeof p === 'string' ? p : this.text(p.from, p.to);
    }
    return out;
  }

  /** Whether pieces give the bytes read themselves (their first `length`): nothing to write. */
  same(pieces: readonly Piece[], length: number): boolean {
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (typeof p !== 'string') {
        if (p.from !== at) return false;
        at = p.to;
        continue;
      }
      const n = utf8(p).length;
      if (at + n > length || this.text(at, at + n) !== p) return false;
      at += n;
    }
    return at === length;
  }

  /**
   * The bytes of the file of `pieces` and a final newline, as parts to write
   * one after another: each span a view of the bytes read, only the new text
   * encoded. No copy of the whole file is made: laid out in one buffer, it was
   * the read's pages moved (or a fresh buffer's faulted in, ~0.3 ms at 1,000
   * sandboxes), and a mapped file's pages are not to be written.
   */
  fileParts(pieces: readonly Piece[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (typeof p !== 'string') out.push(this.bytes.subarray(p.from, p.to));
      else out.push(utf8(i === pieces.length - 1 ? `${p}\n` : p));
    }
    if (typeof pieces[pieces.length - 1] !== 'string') out.push(utf8('\n'));
    return out;
  }
}

/** A run of the file read, kept as it was: bytes [from, to). */
export interface Span {
  from: number;
  to: number;
}

/** A part of a new state file: new text, or a span of the file read. */
export type Piece = string | Span;

/* The state's records, added and dropped the same way whether they are still text or parsed. */

export function addSandboxRecord(state: State, sb: Sandbox): void {
  const r = slim.get(state);
  if (r) r.addSandbox(sb);
  else state.sandboxes.push(sb);
}

export function addEndpointRecord(state: State, ep: Endpoint): void {
  const r = slim.get(state);
  if (r) r.addEndpoint(ep);
  else state.endpoints.push(ep);
}

/** Drops a sandbox and its endpoints from the state. */
export function dropSandboxRecord(state: State, sb: Sandbox): void {
  const r = slim.get(state);
  if (r) return r.dropSandbox(sb);
  state.endpoints = without(state.endpoints, 'sandboxId', sb.id);
  state.sandboxes = without(state.sandboxes, 'id', sb.id);
}

/** The records whose `key` is not `value` (a plain loop: see resolve.ts). */
function without<T, K extends keyof T>(items: T[], key: K, value: T[K]): T[] {
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) if (items[i]![key] !== value) out.push(items[i]!);
  return out;
}
