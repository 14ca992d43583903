/**
 * The executor: the only code that changes the kernel. It applies a plan in as
 * few processes as possible (consecutive ip ops for one namespace become one
 * `ip -batch -`, all nft ops one `nft -f -` transaction), and on failure runs
 * the inverses of what it did, in reverse order, then rethrows the original
 * error. Teardown plans run best-effort instead: keep going, tolerate "already
 * gone", return every real failure at the end for the caller to report. (The
 * same plans as shell, for --dry-run: shell.ts.)
 */
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CnmError, KernelOpError, firstLine } from './errors.js';
import type { CmdOp, FileOp, IpOp, NftOp, Op, SysctlOp } from './plan.js';
import { pauseHere, pauseIndex } from './faults.js';
import { run } from './runner.js';

type Group =
  | { kind: 'ip'; ns: string | undefined; tool?: 'bridge'; ops: IpOp[] }
  | { kind: 'nft'; ops: NftOp[] }
  | { kind: 'sysctl'; ops: SysctlOp[] }
  | { kind: 'file'; ops: FileOp[] }
  | { kind: 'cmd'; ops: CmdOp[] };

/** Groups consecutive ops that one process (or one in-process step) can do. */
export function groupOps(plan: readonly Op[]): Group[] {
  const groups: Group[] = [];
  for (const op of plan) {
    const prev = groups[groups.length - 1];
    if (op.kind === 'ip') {
      if (prev?.kind === 'ip' && prev.ns === op.ns && prev.tool === op.tool) prev.ops.push(op);
      else groups.push({ kind: 'ip', ns: op.ns, ...(op.tool ? { tool: op.tool } : {}), ops: [op] });
    } else if (op.kind === 'nft') {
      // nft ops are merged into one transaction even when not adjacent: nft work
      // never depends on ip work that follows it in a plan.
      const existing = groups.find((g): g is Extract<Group, { kind: 'nft' }> => g.kind === 'nft');
      if (existing) existing.ops.push(op);
      else groups.push({ kind: 'nft', ops: [op] });
    } else if (op.kind === 'sysctl') {
      if (prev?.kind === 'sysctl') prev.ops.push(op);
      else groups.push({ kind: 'sysctl', ops: [op] });
    } else if (op.kind === 'file') {
      if (prev?.kind === 'file') prev.ops.push(op);
      else groups.push({ kind: 'file', ops: [op] });
    } else {
      groups.push({ kind: 'cmd', ops: [op] });
    }
  }
  return groups;
}

/**
 * The CNM_PAUSE_AT hook (src/core/faults.ts): counts the ops of each group and,
 * when the pause falls inside one, pauses before that op (splitting an ip batch
 * there, so a test can kill the run between two lines of one batch).
 * Yields the groups lazily so the pause happens just before its group runs.
 */
function* pauseSplit(groups: Group[]): Generator<Group> {
  for (const group of groups) {
    const k = pauseIndex(group.ops.length);
    if (k === undefined) {
      yield group;
    } else if (group.kind !== 'nft' && k > 0) {
      // An nft group is one transaction and stays whole; the others can stop between two ops.
      yield { ...group, ops: group.ops.slice(0, k) } as Group;
      pauseHere(describeOp(group.ops[k]!));
      yield { ...group, ops: group.ops.slice(k) } as Group;
    } else {
      pauseHere(describeOp(group.ops[0]!));
      yield group;
    }
  }
}

function describeOp(op: Op): string {
  if (op.kind === 'ip') return ['ip', ...(op.ns ? ['-n', op.ns] : []), ...op.args].join(' ');
  if (op.kind === 'nft') return 'nft -f -';
  if (op.kind === 'sysctl') return `sysctl ${op.key}`;
  if (op.kind === 'file') return `file ${op.path}`;
  return op.argv.join(' ');
}

function ipArgv(ns: string | undefined, force: boolean): string[] {
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

/** Undo records: what to run to take back a step that succeeded. */
type Undo =
  | { kind: 'ip'; ns: string | undefined; args: string[]; tool?: 'bridge' }
  | { kind: 'nft'; script: string[] }
  | { kind: 'sysctl'; key: string; value: string }
  | { kind: 'file'; path: string; content: string | null }
  | { kind: 'cmd'; argv: string[] };

export interface FaultHook {
  /** 1-based index of the op (in plan order) that must fail. */
  failAt: number;
}

export function faultFromEnv(): FaultHook | undefined {
  const v = process.env.CNM_FAULT_AT;
  if (!v || !/^[1-9][0-9]*$/.test(v)) return undefined;
  return { failAt: Number(v) };
}

/** Applies a plan all-or-nothing. */
export function apply(plan: readonly Op[], fault: FaultHook | undefined = faultFromEnv()): void {
  const undo: Undo[] = [];
  let index = 0; // ops applied so far, across groups, for the fault hook
  try {
    for (const group of pauseSplit(groupOps(plan))) {
      const first = index + 1;
      index += group.ops.length;
      const failAt = fault && fault.failAt >= first && fault.failAt <= index ? fault.failAt - first : undefined;
      applyGroup(group, undo, failAt);
    }
  } catch (err) {
    const problems = rollback(undo);
    if (problems.length > 0 && err instanceof Error) {
      err.message += `; rolling back also failed: ${problems.join('; ')}`;
    }
    throw err;
  }
}

function applyGroup(group: Group, undo: Undo[], failAt: number | undefined): void {
  switch (group.kind) {
    case 'ip': {
      // The injected line must parse (a usage error ends a batch without saying which line failed).
      const fault = group.tool === 'bridge' ? ['fdb', 'del', '00:00:00:00:00:00', 'dev', 'cnm-fault'] : ['link', 'set', 'dev', 'cnm-fault', 'up'];
      const lines = group.ops.map((op, i) => (i === failAt ? fault : op.args));
      const argv = ipArgv(group.ns, false);
      const tool = group.tool ?? 'ip';
      const r = run(tool, argv, { input: batchText(lines) });
      const failed = r.code === 0 ? undefined : failedLines(r.stderr)[0];
      const okCount = r.code === 0 ? lines.length : failed !== undefined ? failed - 1 : 0;
      for (let i = 0; i < okCount; i++) {
        const op = group.ops[i] as IpOp;
        if (op.undo) undo.push({ kind: 'ip', ns: op.ns, args: op.undo, ...(op.tool ? { tool: op.tool } : {}) });
      }
      if (r.code !== 0) {
        const line = failed !== undefined ? lines[failed - 1] : undefined;
        const msg = failed !== undefined ? messageFor(r.stderr, failed) : firstLine(r.stderr);
        throw new KernelOpError([tool, ...(group.ns ? ['-n', group.ns] : []), ...(line ?? ['-batch'])], r.code, msg, failed);
      }
      return;
    }
    case 'nft': {
      const script = group.ops.flatMap((op) => op.script);
      if (failAt !== undefined) script.push('delete table inet cnm-fault-injected');
      const r = run('nft', ['-f', '-'], { input: script.join('\n') + '\n' });
      if (r.code !== 0) throw new KernelOpError(['nft', '-f', '-'], r.code, nftMessage(r.stderr));
      // One transaction: undo is all of the inverse scripts, latest first.
      const inverse = [...group.ops].reverse().flatMap((op) => op.undo ?? []);
      if (inverse.length > 0) undo.push({ kind: 'nft', script: inverse });
      return;
    }
    case 'sysctl': {
      group.ops.forEach((op, i) => {
        if (i === failAt) throw new CnmError(`injected fault at sysctl ${op.key}`);
        const path = `/proc/sys/${op.key.replace(/\./g, '/')}`;
        const before = readFileSync(path, 'utf8').trim();
        if (before === op.value) return;
        writeFileSync(path, op.value);
        undo.push({ kind: 'sysctl', key: op.key, value: before });
      });
      return;
    }
    case 'cmd': {
      const op = group.ops[0]!;
      if (failAt === 0) throw new CnmError(`injected fault at ${op.argv.join(' ')}`);
      const r = run(op.argv[0]!, op.argv.slice(1));
      if (r.code !== 0) throw new KernelOpError(op.argv, r.code, firstLine(r.stderr));
      if (op.undo) undo.push({ kind: 'cmd', argv: op.undo });
      return;
    }
    case 'file': {
      group.ops.forEach((op, i) => {
        if (i === failAt) throw new CnmError(`injected fault at file ${op.path}`);
        const before = readOrNull(op.path);
        writeOrRemove(op.path, op.content);
        undo.push({ kind: 'file', path: op.path, content: before });
      });
      return;
    }
  }
}

function nftMessage(stderr: string): string {
  const err = stderr.split('\n').find((l) => /Error:/.test(l));
  return (err ?? firstLine(stderr)).replace(/^\/dev\/stdin:[0-9:-]+\s*/, '');
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function writeOrRemove(path: string, content: string | null): void {
  if (content === null) {
    rmSync(path, { force: true });
    try {
      rmdirSync(dirname(path));
    } catch {
      /* not empty or already gone: fine */
    }
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Runs undo records latest first; returns the failures (and keeps going). */
function rollback(undo: Undo[]): string[] {
  const problems: string[] = [];
  for (const u of [...undo].reverse()) {
    try {
      if (u.kind === 'ip') {
        const r = run(u.tool ?? 'ip', [...(u.ns ? ['-n', u.ns] : []), ...u.args]);
        if (r.code !== 0) problems.push(`${u.tool ?? 'ip'} ${u.args.join(' ')}: ${firstLine(r.stderr)}`);
      } else if (u.kind === 'nft') {
        const r = run('nft', ['-f', '-'], { input: u.script.join('\n') + '\n' });
        if (r.code !== 0) problems.push(`nft: ${nftMessage(r.stderr)}`);
      } else if (u.kind === 'sysctl') {
        writeFileSync(`/proc/sys/${u.key.replace(/\./g, '/')}`, u.value);
      } else if (u.kind === 'cmd') {
        const r = run(u.argv[0]!, u.argv.slice(1));
        if (r.code !== 0) problems.push(`${u.argv.join(' ')}: ${firstLine(r.stderr)}`);
      } else {
        writeOrRemove(u.path, u.content);
      }
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return problems;
}

/**
 * Applies a teardown plan best-effort: every group runs (ip with -force),
 * "already gone" is success, and all other failures are reported together.
 */
export function teardown(plan: readonly Op[]): string[] {
  const problems: string[] = [];
  for (const group of pauseSplit(groupOps(plan))) {
    try {
      if (group.kind === 'ip') {
        const r = run(group.tool ?? 'ip', ipArgv(group.ns, true), { input: batchText(group.ops.map((o) => o.args)) });
        if (r.code === 0) continue;
        for (const n of failedLines(r.stderr)) {
          const op = group.ops[n - 1];
          const msg = messageFor(r.stderr, n);
          if (op?.tolerate?.test(msg)) continue;
          problems.push(`ip ${op?.args.join(' ') ?? ''}: ${msg}`);
        }
        if (failedLines(r.stderr).length === 0) {
          // The namespace itself is gone: everything inside it went with it.
          if (group.ns !== undefined && /Cannot open network namespace|No such file/.test(r.stderr)) continue;
          problems.push(`ip -batch: ${firstLine(r.stderr)}`);
        }
      } else if (group.kind === 'nft') {
        const r = run('nft', ['-f', '-'], { input: group.ops.flatMap((o) => o.script).join('\n') + '\n' });
        if (r.code !== 0) problems.push(`nft: ${nftMessage(r.stderr)}`);
      } else if (group.kind === 'file') {
        for (const op of group.ops) writeOrRemove(op.path, op.content);
      } else if (group.kind === 'cmd') {
        const op = group.ops[0]!;
        const r = run(op.argv[0]!, op.argv.slice(1));
        if (r.code !== 0 && !op.tolerate?.test(r.stderr)) problems.push(`${op.argv.join(' ')}: ${firstLine(r.stderr)}`);
      } else {
        for (const op of group.ops) writeFileSync(`/proc/sys/${op.key.replace(/\./g, '/')}`, op.value);
      }
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return problems;
}
