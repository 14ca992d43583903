/**
 * The intent record: written (and fsynced) to STATE_DIR/intent.json before a
 * run touches the kernel, removed once its state is saved. It holds what the
 * next run needs to repair an interrupted one (SIGKILL, power loss):
 *  - `before`, a hash of the state the run started from: if state.json still
 *    hashes to it, the run's state was never saved and its kernel work must be
 *    rolled back; otherwise it was saved and only a reconcile is left to do;
 *  - `undo`, the inverse of every op the run planned to apply (tolerant: the
 *    ones that never ran are "already gone");
 *  - `restore`, the sandboxes a teardown may have half-removed, to recreate.
 * Recovery itself (in Session) ends with a reconcile, so the kernel matches
 * whichever state survived.
 */
import { join } from './paths.js';
import { CnmError } from './errors.js';
import { readFileSync, readRegular, replaceFile, unlinkSync } from './files.js';
import type { State } from './model.js';
import { type Op, inverseOf } from './plan.js';

export interface IntentRecord {
  version: 1;
  pid: number;
  started: string;
  /** The command line, for the message that reports the recovery. */
  command: string;
  before: string;
  undo: Op[];
  restore: string[];
}

export function intentFile(dir: string): string {
  return join(dir, 'intent.json');
}

/**
 * Which write of the state this is (its serial, bumped on every write): an
 * intent recorded at serial N whose state is still at N was never saved.
 * O(1), where hashing the whole document cost 3-6 ms with 500 sandboxes.
 */
export function stateSerial(state: State): string {
  return String(state.serial ?? 0);
}

export function newIntent(state: State): IntentRecord {
  return {
    version: 1,
    pid: process.pid,
    started: new Date().toISOString(),
    command: process.argv.slice(2).join(' '),
    before: stateSerial(state),
    undo: [],
    restore: [],
  };
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The inverse of each op of a plan that can be undone, in plan order (run them reversed). */
export function undoOf(plan: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (const op of plan) {
    const inverse = op.kind === 'file' ? { kind: 'file' as const, path: op.path, content: readOrNull(op.path) } : inverseOf(op);
    if (inverse) out.push(inverse);
  }
  return out;
}

/** Namespaces a teardown plan deletes: the sandboxes to recreate if its run is rolled back. */
export function restoreOf(plan: readonly Op[]): string[] {
  return plan.flatMap((op) => (op.kind === 'netns.del' ? [op.name] : []));
}

/**
 * Writes the record atomically (temp file, rename) but without fsync: it guards
 * against a killed cnm, whose writes the page cache keeps for the next run. It
 * need not survive a power loss, because the kernel objects its undo would
 * remove do not survive one either (after a reboot, reconcile rebuilds from
 * state.json, which is fsynced). On a real disk the two fsyncs cost 2-4 ms.
 */
export function writeIntent(dir: string, rec: IntentRecord): void {
  const path = intentFile(dir);
  try {
    replaceFile(path, JSON.stringify(rec));
  } catch (e) {
    throw new CnmError(`cannot write ${path}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; nothing was changed: free space in ${dir} and retry`);
  }
}

/** The record left by an interrupted run, if any (an unreadable one is reported as such). */
export function readIntent(dir: string): IntentRecord | 'unreadable' | undefined {
  let text: string;
  try {
    text = readRegular(intentFile(dir));
  } catch (e) {
    if (e instanceof CnmError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const rec = JSON.parse(text) as IntentRecord;
    if (rec.version !== 1 || !Array.isArray(rec.undo) || !Array.isArray(rec.restore) || typeof rec.before !== 'string') return 'unreadable';
    return rec;
  } catch {
    return 'unreadable';
  }
}

export function removeIntent(dir: string): void {
  try {
    unlinkSync(intentFile(dir));
  } catch {
    /* already gone */
  }
}
