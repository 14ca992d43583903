/** file ops: written in-process; undone by putting back the content read before (or removing). */
import { mkdirSync, readFileSync, rmFileSync, rmdirSync, writeFileSync } from '../files.js';
import { dirname } from '../paths.js';
import { CnmError } from '../errors.js';
import type { FileOp, Op } from '../plan.js';
import { delimiter, shellWord } from './sh.js';

export function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Writes the content, or removes the file (and its directory when empty) for null. */
export function writeFileOp(op: FileOp): void {
  writeFileOps([op]);
}

/**
 * writeFileOp of each op in order, but the directories emptied are removed
 * once, after the group (as fileShell prints it): a sandbox's three files are
 * three unlinks and one rmdir, not a failed rmdir (an exception) after each.
 */
export function writeFileOps(ops: readonly FileOp[]): void {
  const emptied = new Set<string>();
  for (const op of ops) {
    if (op.content === null) {
      rmFileSync(op.path);
      emptied.add(dirname(op.path));
      continue;
    }
    mkdirSync(dirname(op.path), { recursive: true });
    writeFileSync(op.path, op.content);
  }
  for (const dir of emptied) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty or already gone: fine */
    }
  }
}

/** Each op with its undo; a directory is made once for the group (a sandbox's three files: one mkdir, as fileShell prints it). */
export function applyFiles(ops: readonly FileOp[], undo: Op[], failAt: number | undefined): void {
  const made = new Set<string>();
  ops.forEach((op, i) => {
    if (i === failAt) throw new CnmError(`injected fault at file ${op.path}`);
    const before = readOrNull(op.path);
    if (op.content === null) writeFileOp(op);
    else {
      const dir = dirname(op.path);
      if (!made.has(dir)) mkdirSync(dir, { recursive: true });
      made.add(dir);
      writeFileSync(op.path, op.content);
    }
    undo.push({ kind: 'file', path: op.path, content: before });
  });
}

/**
 * File ops as shell that does what writeFileOp does: exact content, empty
 * directories removed. `made`: directories known to exist (no mkdir for them).
 */
export function fileShell(ops: readonly FileOp[], made = new Set<string>()): string[] {
  const out: string[] = [];
  const emptied: string[] = [];
  for (const op of ops) {
    const path = shellWord(op.path);
    if (op.content === null) {
      out.push(`rm -f ${path}`);
      if (!emptied.includes(dirname(op.path))) emptied.push(dirname(op.path));
      continue;
    }
    if (!made.has(dirname(op.path))) out.push(`mkdir -p ${shellWord(dirname(op.path))}`);
    made.add(dirname(op.path));
    if (op.content === '') out.push(`: > ${path}`);
    else if (!op.content.endsWith('\n')) out.push(`printf '%s' ${shellWord(op.content)} > ${path}`);
    else {
      const body = op.content.slice(0, -1).split('\n');
      const d = delimiter(body);
      out.push(`cat > ${path} <<'${d}'`, ...body, d);
    }
  }
  for (const dir of emptied) out.push(`rmdir ${shellWord(dir)} 2>/dev/null || true`);
  return out;
}
