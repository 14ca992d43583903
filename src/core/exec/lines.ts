/**
 * Line ops (link, addr, route, fdb, neigh, netns): each kind's words and "already
 * gone" pattern, and how a group of consecutive lines for one tool and
 * namespace runs as one `ip -batch -` / `bridge -batch -` process.
 */
import { KernelOpError, firstLine } from '../errors.js';
import type { LineOp, Op } from '../plan.js';
import { nsOf, toolOf } from '../plan.js';
import { run } from '../runner.js';
import { addrAdd } from './addr.js';
import { fdb, fdbReplace } from './fdb.js';
import type { LineKind } from './kind.js';
import { linkAdd, linkDel, linkSet } from './link.js';
import { neighDel, neighReplace } from './neigh.js';
import { netnsAdd, netnsAttach, netnsDel } from './netns.js';
import { route } from './route.js';
import { shellWord } from './sh.js';

type Kinds = { [K in LineOp['kind']]: LineKind<Extract<LineOp, { kind: K }>> };

const KINDS: Kinds = {
  'link.add': linkAdd,
  'link.set': linkSet,
  'link.del': linkDel,
  'addr.add': addrAdd,
  'route.add': route,
  'route.replace': route,
  'fdb.append': fdb,
  'fdb.replace': fdbReplace,
  'fdb.del': fdb,
  'neigh.replace': neighReplace,
  'neigh.del': neighDel,
  'netns.add': netnsAdd,
  'netns.attach': netnsAttach,
  'netns.del': netnsDel,
};

function kindOf<T extends LineOp>(op: T): LineKind<T> {
  return KINDS[op.kind] as unknown as LineKind<T>;
}

/** The words of one batch line. */
export function words(op: LineOp): string[] {
  return kindOf(op).words(op);
}

/** Whether a teardown failure of this op means it is already gone. */
export function isGone(op: LineOp, message: string): boolean {
  return kindOf(op).gone.test(message);
}

/** The op as one command line: tool, namespace, words. */
export function commandOf(op: LineOp): string[] {
  const ns = nsOf(op);
  return [toolOf(op), ...(ns !== undefined ? ['-n', ns] : []), ...words(op)];
}

export interface LineGroup {
  kind: 'ip';
  ns: string | undefined;
  tool?: 'bridge';
  ops: LineOp[];
}

function batchArgv(ns: string | undefined, force: boolean): string[] {
  const argv = [];
  if (ns !== undefined) argv.push('-n', ns);
  if (force) argv.push('-force');
  argv.push('-batch', '-');
  return argv;
}

function batchText(lines: readonly string[][]): string {
  return lines.map((l) => l.join(' ')).join('\n') + '\n';
}

/** Lines that `ip -batch` reported as failed ("Command failed -:N"), 1-based. */
export function failedLines(stderr: string): number[] {
  return [...stderr.matchAll(/Command failed -:(\d+)/g)].map((m) => Number(m[1]));
}

/** The stderr message that belongs to failed line N (the text just before its marker). */
function messageFor(stderr: string, lineNo: number): string {
  const lines = stderr.split('\n');
  const idx = lines.findIndex((l) => l.includes(`Command failed -:${lineNo}`));
  return idx > 0 ? (lines[idx - 1] ?? '').trim() : firstLine(stderr);
}

/** The line the fault hook puts in place of a group's op: one that fails for real, on a device that is not there. */
export function faultWords(tool: 'bridge' | undefined): string[] {
  // It must parse (a usage error ends a batch without saying which line failed).
  return tool === 'bridge' ? ['fdb', 'del', '00:00:00:00:00:00', 'dev', 'cnm-fault'] : ['link', 'set', 'dev', 'cnm-fault', 'up'];
}

/**
 * Runs the group as one batch; pushes the inverses of the lines that succeeded.
 * `failAt` replaces that line with one that fails for real (the fault hook).
 */
export function applyLines(group: LineGroup, undo: Op[], inverse: (op: Op) => Op | undefined, failAt: number | undefined): void {
  const fault = faultWords(group.tool);
  const lines = group.ops.map((op, i) => (i === failAt ? fault : words(op)));
  const tool = group.tool ?? 'ip';
  const r = run(tool, batchArgv(group.ns, false), { input: batchText(lines) });
  const failed = r.code === 0 ? undefined : failedLines(r.stderr)[0];
  const okCount = r.code === 0 ? lines.length : failed !== undefined ? failed - 1 : 0;
  for (const op of group.ops.slice(0, okCount)) {
    const inv = inverse(op);
    if (inv) undo.push(inv);
  }
  if (r.code !== 0) {
    const line = failed !== undefined ? lines[failed - 1] : undefined;
    const msg = failed !== undefined ? messageFor(r.stderr, failed) : firstLine(r.stderr);
    throw new KernelOpError([tool, ...(group.ns ? ['-n', group.ns] : []), ...(line ?? ['-batch'])], r.code, msg, failed);
  }
}

/** Runs the group with -force: every line is tried; "already gone" is fine; returns the real failures. */
export function teardownLines(group: LineGroup): string[] {
  const problems: string[] = [];
  const tool = group.tool ?? 'ip';
  const r = run(tool, batchArgv(group.ns, true), { input: batchText(group.ops.map(words)) });
  if (r.code === 0) return problems;
  const failed = failedLines(r.stderr);
  for (const n of failed) {
    const op = group.ops[n - 1];
    const msg = messageFor(r.stderr, n);
    if (op && isGone(op, msg)) continue;
    problems.push(`${tool} ${op ? words(op).join(' ') : ''}: ${msg}`);
  }
  if (failed.length === 0) {
    // The namespace itself is gone: everything inside it went with it.
    if (group.ns !== undefined && /Cannot open network namespace|No such file/.test(r.stderr)) return problems;
    problems.push(`${tool} -batch: ${firstLine(r.stderr)}`);
  }
  return problems;
}

/** Runs one line on its own (a rollback step); returns the failure, if any. */
export function runLine(op: LineOp): string | undefined {
  const [tool, ...args] = commandOf(op);
  const r = run(tool!, args);
  return r.code === 0 ? undefined : `${commandOf(op).join(' ')}: ${firstLine(r.stderr)}`;
}

/** The group as shell: one `ip [-n NS] ...` command per line. */
export function linesShell(ops: readonly LineOp[]): string[] {
  return ops.map((op) => commandOf(op).map(shellWord).join(' '));
}
