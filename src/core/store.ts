/**
 * The state store: the only code that reads or writes state.json.
 * Writes are atomic (temp file, fsync, rename, fsync of the directory) and
 * happen under the exclusive lock, so parallel runs serialize and none is lost.
 * A corrupt, misshapen or newer-schema file is refused and never overwritten.
 * The CNM_PAUSE_AT hook (faults.ts) counts the write and the moment after it as steps.
 *
 * The shape checks (schema.ts) are for hand edits, and they cost more than
 * parsing (with 1,000 sandboxes, ~10 ms of a fresh process's CPU). After each
 * write, the store stamps the text it wrote (state.stamp: cnm's version and a
 * hash of the text); a read whose text has that stamp is the file this cnm wrote
 * itself, byte for byte, and skips them. Any other text, a missing or stale
 * stamp, or another version of cnm, and the checks run as before.
 */
import { CnmError, UsageError } from './errors.js';
import { step } from './faults.js';
import { knowStateDir, serveStateDir, storeInstance, useStateDir } from './instance.js';
import { intentFile } from './intent.js';
import { acquire } from './lock.js';
import { phase } from './runner.js';
import { SCHEMA_VERSION, type State, type SubnetConfig, emptyState } from './model.js';
import { type Addr, type Cidr, formatAddr, formatCidr, parseAddr, parseCidr } from './ip.js';
import { dirname, lockFile, resolve, stateFile, stateStampFile } from './paths.js';
import { VERSION } from '../version.js';
import { validateState } from './schema.js';
import { type Piece, encodeLines, recordsOf, splitRecords, withRecords } from './records.js';
import { fromUtf8, utf8 } from './utf8.js';
import { Reservation, mapRegularBytes, mkdirSync, readFileSync, readRegularBytes, rmdirSync, sweepTemps, unlinkSync, writeFileSync } from './files.js';

/** Room kept for the state to grow by in one run, on top of its current size. */
const RESERVE_MARGIN = 64 * 1024;

export class Store {
  constructor(readonly dir: string) {
    this.checkDir();
    serveStateDir(dir);
  }

  /** Refuses a directory no file can live in (a NUL byte), before anything opens it. */
  private checkDir(): void {
    if (this.dir.includes('\0') || this.dir === '') throw new UsageError(`invalid --state-dir ${JSON.stringify(this.dir)}: give a directory path`);
  }

  get path(): string {
    this.checkDir();
    return stateFile(this.dir);
  }

  /** Reads the state without the lock (for read-only commands): renames are atomic. */
  read(): State {
    knowStateDir(this.dir);
    const bytes = this.readFile(false);
    return bytes === null ? emptyState() : parseState(fromUtf8(bytes), this.path, this.wroteItself(bytes));
  }

  /** Whether `bytes` are the state this cnm last wrote here (its stamp matches). */
  private wroteItself(bytes: Uint8Array): boolean {
    try {
      return readFileSync(stateStampFile(this.dir), 'utf8') === stampOf(bytes);
    } catch {
      return false;
    }
  }

  /** Best effort: without a stamp, the next read runs the shape checks. */
  private stamp(bytes: Uint8Array): void {
    try {
      writeFileSync(stateStampFile(this.dir), stampOf(bytes), { mode: 0o600 });
    } catch {
      unlinkQuietly(stateStampFile(this.dir));
    }
  }

  /**
   * The file's bytes, or null when there is none yet. `mapped`: they are the
   * file's pages (an update's read: it writes a new file, never this one, and
   * holds the lock against other cnm runs), not a copy.
   */
  private readFile(mapped: boolean): Uint8Array | null {
    try {
      return mapped ? mapRegularBytes(this.path) : readRegularBytes(this.path);
    } catch (e) {
      if (e instanceof CnmError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new CnmError(`cannot read ${this.path}: permission denied (cnm needs root)`);
      throw new CnmError(`cannot read ${this.path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; check --state-dir`);
    }
  }

  /**
   * Locks, loads, lets `fn` change the state, and saves it if `fn` returns
   * normally. If `fn` throws, nothing is written.
   */
  async update<T>(fn: (state: State) => T | Promise<T>, done?: (ok: boolean) => void): Promise<T> {
    let made: string | undefined;
    let dirAsked = false;
    let lock: Awaited<ReturnType<typeof acquire>>;
    for (let attempt = 1; ; attempt++) {
      // The lock file is opened first: its directory is there for all but a first run, and a failed open
      // is the one that makes it (or says why it cannot be), without a mkdir and a stat of it on every run.
      try {
        lock = await acquire(lockFile(this.dir));
      } catch (e) {
        if (e instanceof CnmError) throw e;
        // A run that made the directory and wrote nothing removes it again (see below): make it anew.
        if (!dirAsked || ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 10)) {
          try {
            made ??= mkdirSync(this.dir, { recursive: true, mode: 0o700 });
          } catch (e) {
            throw new CnmError(`cannot create state directory ${this.dir}: ${(e as Error).message}`);
          }
          dirAsked = true;
          continue;
        }
        throw new CnmError(`cannot lock ${lockFile(this.dir)}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; check --state-dir`);
      }
      if (lock.current() || attempt >= 10) break;
      lock.release(); // we waited on a lock file that run removed
    }
    phase('state locked');
    sweepTemps(this.dir, [this.path, intentFile(this.dir)]);
    // Again under the lock: a parallel first run may have stored the ID meanwhile.
    useStateDir(this.dir);
    let wrote = false;
    let ok = false;
    try {
      // Compact JSON (a record a line), compared with the text as read: one encoding per update (the
      // file of 500 sandboxes is ~250 KB; pretty-printing and re-stringifying it cost more than the kernel work).
      // Mapped: the records are searched there and the write takes the runs of lines nobody changed from
      // these bytes (records.ts); the text of the whole file is decoded only for a state parsed whole.
      const bytes = this.readFile(true);
      // A file this cnm wrote itself keeps its sandboxes and endpoints as bytes until they are used (records.ts):
      // an add or rm parses and encodes only the records it touches.
      const stamped = bytes !== null && this.wroteItself(bytes);
      const split = stamped ? splitRecords(bytes!) : undefined;
      let text: string | null = split || bytes === null ? null : fromUtf8(bytes);
      const state = split ? withRecords(parseState(split.rest, this.path, true), split.records) : text === null ? emptyState() : parseState(text, this.path, stamped);
      // A count of a bridge's ports kept by cnm's adds (model.ts) holds only in a file cnm wrote itself.
      if (!stamped) for (const n of state.networks) if (n.bridge) delete n.portsAtMost;
      phase('state read');
      // The file ends with a newline that JSON.stringify does not give (in bytes, for the records' compare).
      const length = bytes === null ? 0 : bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
      this.reserveSize = (bytes?.length ?? 0) + RESERVE_MARGIN;
      const result = await fn(state);
      phase('operation done');
      const records = recordsOf(state);
      if (records) {
        // Records still bytes: compared and written as pieces, the untouched runs of lines never decoded.
        const pieces = encodePieces(state);
        if (!records.same(pieces, length)) {
          this.save(() => records.fileParts(bumpPieces(state, pieces)));
          wrote = true;
        }
      } else {
        // Parsed whole during the update (its first touch of all records), or read whole.
        if (text === null && bytes !== null) text = fromUtf8(bytes);
        const before = text === null ? encodeState(emptyState()) : text.endsWith('\n') ? text.slice(0, -1) : text;
        const after = encodeState(state);
        if (after !== before && (text === null || text.includes('"sandboxes":[\n') || after !== layOut(before))) {
          this.save(() => `${bumpSerial(state, after)}\n`);
          wrote = true;
        }
      }
      ok = true;
      return result;
    } finally {
      this.room?.release();
      this.room = undefined;
      this.reserveSize = undefined;
      // `done` runs while the lock is still held (the intent record is cleared there).
      try {
        done?.(ok);
      } finally {
        // A failed or read-only run leaves no state directory behind that it made itself.
        if (!wrote && made !== undefined) unlinkQuietly(lockFile(this.dir));
        lock.release();
        if (!wrote && made !== undefined) removeEmptyDirs(this.dir, made);
      }
    }
  }

  /** The size to reserve for the state write of the update in progress (undefined outside one). */
  private reserveSize: number | undefined;
  private room: Reservation | undefined;

  /**
   * Takes the disk space of this update's state write now, before kernel work
   * that cannot be undone (a teardown): a full disk then stops the run here,
   * with nothing changed, rather than after the teardown, with a state that
   * still lists what is gone. Work that can be undone needs no reservation: a
   * failed write rolls it back (Session). Once per update; no-op outside one.
   */
  reserveWrite(): void {
    if (this.reserveSize === undefined || this.room) return;
    try {
      this.room = new Reservation(this.path, this.reserveSize);
    } catch (e) {
      throw new CnmError(`cannot write ${this.path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; nothing was changed: free space in ${this.dir} and retry`);
    }
  }

  /** Writes the file `content` gives (its serial bumped), with the crash steps around it. */
  private save(content: () => string | Uint8Array[]): void {
    step('write state');
    storeInstance(this.dir);
    this.write(content());
    step('state written');
    phase('state written');
  }

  private write(content: string | Uint8Array[]): void {
    // Stamped before the rename: a reader woken by it (the DNS server) finds the new file's stamp already
    // there. A write that then fails leaves a stamp no file has: the next read runs the checks. Parts are
    // stamped from the new file's bytes once written (mapped), a string's UTF-8 before (one copy for both).
    const bytes = typeof content === 'string' ? utf8(content) : undefined;
    if (bytes) this.stamp(bytes);
    try {
      (this.room ?? new Reservation(this.path, 0)).write(bytes ?? content, bytes ? undefined : (written) => this.stamp(written));
      this.room = undefined;
    } catch (e) {
      throw new CnmError(`cannot write ${this.path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; nothing was saved: free space in ${this.dir} and retry`);
    }
  }
}

/**
 * Bumps the state's write serial and returns its text, given `text`, the
 * state encoded with the serial as it was. The serial of a file cnm wrote is
 * its last key, so the text changes only at its end: the state is encoded once
 * per update, not twice (with 1,000 sandboxes, ~1.5 ms of a run). A file with
 * the serial elsewhere (a hand edit) or none yet is encoded again.
 */
export function bumpSerial(state: State, text: string): string {
  if (recordsOf(state)) {
    // Records kept as text encode anew (a rope of the same slices): their text is not flattened here.
    state.serial = (state.serial ?? 0) + 1;
    return encodeState(state);
  }
  return (bumpPieces(state, [text]) as string[]).join('');
}

/** bumpSerial of a state's pieces (encodePieces): only the last one, new text, holds the serial. */
function bumpPieces(state: State, pieces: readonly Piece[]): Piece[] {
  const was = state.serial;
  state.serial = (was ?? 0) + 1;
  const tail = `,"serial":${was}}`;
  const last = pieces[pieces.length - 1];
  if (was === undefined || typeof last !== 'string' || !last.endsWith(tail)) return encodePieces(state);
  return [...pieces.slice(0, -1), `${last.slice(0, last.length - tail.length)},"serial":${state.serial}}`];
}

/**
 * cnm's version, the file's size and a hash of its bytes (Bun's own in the
 * binary; sha256 under Node). Of the bytes, not of a string: the write has
 * them, and no text of the whole file is ever made to hash it.
 */
export function stampOf(content: string | Uint8Array): string {
  const bytes = typeof content === 'string' ? utf8(content) : content;
  const bun = (globalThis as { Bun?: { hash(data: Uint8Array): number | bigint } }).Bun;
  const hash = bun
    ? bun.hash(bytes).toString(16)
    : (process.getBuiltinModule('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
  return `cnm ${VERSION} ${bytes.length} ${hash}\n`;
}

/** Parses state text; `checked`: the text is known to pass the shape checks (the store's stamp), skip them. */
export function parseState(text: string, path: string, checked = false): State {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CnmError(`state file ${path} is corrupt (${(e as Error).message}); cnm will not touch it: repair it or move it away`);
  }
  const schema = (doc as { schema?: unknown } | null)?.schema;
  if (typeof schema === 'number' && schema > SCHEMA_VERSION) {
    throw new CnmError(`state file ${path} has schema ${schema}, newer than this cnm understands (${SCHEMA_VERSION}); upgrade cnm`);
  }
  const problem = checked ? undefined : validateState(doc);
  const bad = problem ?? decodeSubnets(doc as Stored);
  if (bad) throw new CnmError(`state file ${path} is invalid: ${bad}; cnm will not touch it: repair it or move it away`);
  return doc as State;
}

/** A subnet as state.json holds it: the addresses as text. */
interface StoredSubnet {
  subnet: string | Cidr;
  gateway?: string | Addr;
  ipRange?: string | Cidr;
  aux?: Record<string, string | Addr>;
}
type Stored = { networks: { subnets: StoredSubnet[] }[] };

/**
 * Parses the addresses of every subnet in place, once per read (the stamped
 * fast path included: its shape checks are skipped, not its decoding).
 * Returns the problem, if a text does not parse.
 */
function decodeSubnets(doc: Stored): string | undefined {
  for (let i = 0; i < doc.networks.length; i++) {
    const subs = doc.networks[i]!.subnets;
    for (let j = 0; j < subs.length; j++) {
      const s = subs[j]!;
      const subnet = parseCidr(s.subnet as string);
      if (!subnet) return `networks[${i}].subnets[${j}].subnet ${JSON.stringify(s.subnet)} is not a CIDR`;
      s.subnet = subnet;
      if (s.gateway !== undefined) {
        const gw = parseAddr(s.gateway as string);
        if (!gw) return `networks[${i}].subnets[${j}].gateway ${JSON.stringify(s.gateway)} is not an address`;
        s.gateway = gw;
      }
      if (s.ipRange !== undefined) {
        const range = parseCidr(s.ipRange as string);
        if (!range) return `networks[${i}].subnets[${j}].ipRange ${JSON.stringify(s.ipRange)} is not a CIDR`;
        s.ipRange = range;
      }
      for (const name in s.aux) {
        const a = parseAddr(s.aux[name] as string);
        if (!a) return `networks[${i}].subnets[${j}].aux.${name} ${JSON.stringify(s.aux[name])} is not an address`;
        s.aux[name] = a;
      }
    }
  }
  return undefined;
}

/**
 * The state as state.json holds it: compact JSON but for one sandbox or
 * endpoint a line (records.ts), the subnets' addresses as text, each field
 * where it was. Records still held as text are reused as they are.
 */
export function encodeState(state: State): string {
  const records = recordsOf(state);
  const pieces = encodePieces(state);
  return records ? records.join(pieces) : (pieces as string[]).join('');
}

/** encodeState's text as pieces: records still held as text are spans of it (records.ts). */
function encodePieces(state: State): Piece[] {
  const blocks = recordsOf(state)?.pieces();
  return encodeDoc(state, (key) => {
    if (blocks && (key === 'sandboxes' || key === 'endpoints')) return blocks[key];
    if (key === 'networks') return JSON.stringify(state.networks.map((n) => ({ ...n, subnets: n.subnets.map(encodeSubnet) })));
    return undefined;
  });
}

/**
 * A document's text as encodeState lays it out, as pieces (adjacent text
 * joined): `json` gives a key's own encoding (undefined: the default).
 */
function encodeDoc(doc: object, json: (key: string) => string | readonly Piece[] | undefined): Piece[] {
  const out: Piece[] = [];
  let text = '{';
  for (const key in doc) {
    const value = json(key) ?? encodeValue(key, (doc as Record<string, unknown>)[key]);
    if (value === undefined) continue;
    text += `${text === '{' && out.length === 0 ? '' : ','}${JSON.stringify(key)}:`;
    if (typeof value === 'string') {
      text += value;
      continue;
    }
    for (let i = 0; i < value.length; i++) {
      const p = value[i]!;
      if (typeof p === 'string') text += p;
      else {
        out.push(text, p);
        text = '';
      }
    }
  }
  out.push(`${text}}`);
  return out;
}

function encodeValue(key: string, value: unknown): string | undefined {
  return (key === 'sandboxes' || key === 'endpoints') && Array.isArray(value) ? encodeLines(value) : JSON.stringify(value);
}

/**
 * State text laid out as encodeState writes it (one record a line), from a
 * file written otherwise (compact, by an older cnm): an update that changes
 * nothing leaves such a file as it is.
 */
export function layOut(text: string): string {
  return (encodeDoc(JSON.parse(text) as object, () => undefined) as string[]).join('');
}

function encodeAux(aux: Record<string, Addr>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in aux) out[name] = formatAddr(aux[name]!);
  return out;
}

function encodeSubnet(s: SubnetConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in s) {
    const v = s[k as keyof SubnetConfig];
    out[k] = k === 'subnet' || k === 'ipRange' ? formatCidr(v as Cidr) : k === 'gateway' ? formatAddr(v as Addr) : k === 'aux' ? encodeAux(v as Record<string, Addr>) : v;
  }
  return out;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* not there (the pid-file lock has none) */
  }
}

/** Removes `dir` and its parents up to `top` (the first one mkdir made), each only if empty. */
function removeEmptyDirs(dir: string, top: string): void {
  const last = resolve(top);
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (another run is using it, or a kept intent record): leave it
    }
    if (d === last || d === dirname(d)) return;
  }
}
