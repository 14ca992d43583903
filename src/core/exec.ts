/**
 * The executor: the only code that changes the kernel. It applies a plan in as
 * few processes as possible (consecutive line ops for one namespace become one
 * `ip -batch -`, all nft ops one `nft -f -` transaction), and on failure runs
 * the inverses of what it did, in reverse order, then rethrows the original
 * error (a RollbackError when undoing failed too). Teardown plans run
 * best-effort instead: keep going, tolerate "already gone" (decided per op
 * kind), return every real failure at the end for the caller to report.
 * In the Bun binary, line ops go over a netlink socket in-process instead of
 * `ip -batch` (exec/netlink/, same steps and messages; CNM_NETLINK=0 opts
 * out); under Node (vitest) they always go through `ip -batch`.
 * What each kind of op is lives in exec/ (one module per kind); the same plans
 * as shell, for --dry-run: shell.ts.
 */
import { RollbackError } from './errors.js';
import { type FileOp, type NftOp, type Op, type SysctlOp, forKernel, inverseOf, isLineOp, nsOf, toolOf } from './plan.js';
import { pauseHere, pauseIndex } from './faults.js';
import { type CommandOp, applyCommand, argvOf, runCommand, teardownCommand } from './exec/commands.js';
import { applyFiles, writeFileOp, writeFileOps } from './exec/file.js';
import { type LineGroup, applyLines, commandOf, runLine, teardownLines } from './exec/lines.js';
import { connectAhead, startApplyNft, startTeardownNft, teardownNft } from './exec/nft.js';
import { applySysctls, kernelHasIPv6, writeSysctl } from './exec/sysctl.js';
import { applyNetlink, runLineNetlink, teardownNetlink } from './exec/netlink/run.js';
import { netlinkLibc } from './exec/netlink/socket.js';

export { failedLines } from './exec/lines.js';

export type Group =
  | LineGroup
  | { kind: 'nft'; ops: NftOp[] }
  | { kind: 'sysctl'; ops: SysctlOp[] }
  | { kind: 'file'; ops: FileOp[] }
  | { kind: 'cmd'; ops: [CommandOp] };

/**
 * Groups consecutive ops that one process (or one in-process step) can do,
 * leaving out what this kernel lacks (IPv6-only settings when it has no IPv6),
 * so applying, tearing down and --dry-run all skip the same ops.
 */
export function groupOps(plan: readonly Op[]): Group[] {
  const groups: Group[] = [];
  for (const op of forKernel(plan, kernelHasIPv6)) {
    const prev = groups[groups.length - 1];
    if (isLineOp(op)) {
      const ns = nsOf(op);
      const tool = toolOf(op) === 'bridge' ? 'bridge' : undefined;
      if (prev?.kind === 'ip' && prev.ns === ns && prev.tool === tool) prev.ops.push(op);
      else groups.push({ kind: 'ip', ns, ...(tool ? { tool } : {}), ops: [op] });
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
  if (isLineOp(op)) return ['ip', ...commandOf(op).slice(1)].join(' ');
  if (op.kind === 'nft') return 'nft -f -';
  if (op.kind === 'sysctl') return `sysctl ${op.key}`;
  if (op.kind === 'file') return `file ${op.path}`;
  return argvOf(op).join(' ');
}

export interface FaultHook {
  /** 1-based index of the op (in plan order) that must fail. */
  failAt: number;
}

export function faultFromEnv(): FaultHook | undefined {
  const v = process.env.CNM_FAULT_AT;
  if (!v || !/^[1-9][0-9]*$/.test(v)) return undefined;
  return { failAt: Number(v) };
}

/**
 * Applies a plan all-or-nothing. The answer for its nft batch (the DNS server's,
 * when it sends the batch for us: exec/nft.ts) is read once the groups that
 * follow it are done, as long as they are only work inside namespaces this plan
 * made (and files): nothing runs in such a namespace yet, so nothing can send
 * through its interfaces before its spoof-check elements are in. Anything else
 * (the host's own links, an adopted namespace: a running container) waits for
 * the answer first, as every group did before. `madeBefore`: namespaces the run
 * made just before this plan, as new and unused (the first part of a plan
 * applied in two: Session.applyAround).
 */
export function apply(plan: readonly Op[], fault: FaultHook | undefined = faultFromEnv(), madeBefore: Iterable<string> = []): void {
  const undo: Op[] = [];
  const made = new Set<string>(madeBefore); // the namespaces this plan (or the part before it) made so far
  let pending: (() => void) | undefined;
  const settle = () => {
    const read = pending;
    pending = undefined;
    read?.();
  };
  let index = 0; // ops applied so far, across groups, for the fault hook
  try {
    for (const group of pauseSplit(groupOps(plan))) {
      if (!madeOnly(group, made)) settle();
      const first = index + 1;
      index += group.ops.length;
      const failAt = fault && fault.failAt >= first && fault.failAt <= index ? fault.failAt - first : undefined;
      if (group.kind === 'nft') {
        settle();
        pending = startApplyNft(group.ops, undo, failAt !== undefined);
        if (failAt !== undefined) settle(); // an injected failure surfaces in its place
      } else applyGroup(group, undo, failAt);
      for (const op of group.ops) if (op.kind === 'netns.add') made.add(op.name);
    }
    settle();
  } catch (err) {
    try {
      settle(); // a batch that went through is undone with the rest
    } catch {
      /* the first failure is the one reported */
    }
    const problems = rollback(undo);
    if (problems.length > 0 && err instanceof Error) throw new RollbackError(err, problems);
    throw err;
  }
}

/** Whether a group only works inside namespaces the plan made (or on files): see apply(). */
function madeOnly(group: Group, made: ReadonlySet<string>): boolean {
  if (group.kind === 'file') return true;
  return group.kind === 'ip' && group.ns !== undefined && made.has(group.ns);
}

function applyGroup(group: Exclude<Group, { kind: 'nft' }>, undo: Op[], failAt: number | undefined): void {
  switch (group.kind) {
    case 'ip': {
      const c = netlinkLibc();
      return c ? applyNetlink(c, group, undo, inverseOf, failAt) : applyLines(group, undo, inverseOf, failAt);
    }
    case 'sysctl':
      return applySysctls(group.ops, undo, failAt);
    case 'file':
      return applyFiles(group.ops, undo, failAt);
    case 'cmd':
      return applyCommand(group.ops[0], undo, inverseOf, failAt === 0);
  }
}

/** Runs one undo step; returns its failure, if any. */
function undoStep(op: Op): string | undefined {
  if (isLineOp(op)) {
    const c = netlinkLibc();
    return c ? runLineNetlink(c, op) : runLine(op);
  }
  if (op.kind === 'nft') return teardownNft([op]);
  if (op.kind === 'sysctl') writeSysctl(op);
  else if (op.kind === 'file') writeFileOp(op);
  else return runCommand(op);
  return undefined;
}

/** Runs undo steps latest first; returns the failures (and keeps going). */
function rollback(undo: Op[]): string[] {
  const problems: string[] = [];
  for (const op of [...undo].reverse()) {
    try {
      const problem = undoStep(op);
      if (problem !== undefined) problems.push(problem);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  return problems;
}

function teardownGroup(group: Exclude<Group, { kind: 'nft' }>): string[] {
  switch (group.kind) {
    case 'ip': {
      const c = netlinkLibc();
      return c ? teardownNetlink(c, group) : teardownLines(group);
    }
    case 'file':
      writeFileOps(group.ops);
      return [];
    case 'cmd':
      return [teardownCommand(group.ops[0])].filter((p): p is string => p !== undefined);
    case 'sysctl':
      group.ops.forEach(writeSysctl);
      return [];
  }
}

/**
 * Applies a teardown plan best-effort: every group runs (ip with -force),
 * "already gone" is success, and all other failures are reported together.
 */
export function teardown(plan: readonly Op[]): string[] {
  return runTeardown(plan, false).problems;
}

/** A teardown whose last answer may still be out: what failed so far, and the rest once read (finish). */
export interface Teardown {
  readonly problems: string[];
  /** Waits for what is still out and returns its failures (none the second time). */
  finish(): string[];
}

/**
 * teardown() that leaves the DNS server's answer for the plan's nft batch
 * unread (exec/nft.ts): the batch is sent in its place in the plan, the
 * other groups go on at once, and finish() reads the answer (running the
 * script, or our own batch, when it says so). Until then no other nft batch
 * may be sent: its order against this one would be the server's to choose.
 */
export function startTeardown(plan: readonly Op[]): Teardown {
  return runTeardown(plan, true);
}

function runTeardown(plan: readonly Op[], defer: boolean): Teardown {
  const problems: string[] = [];
  let pending: (() => string | undefined) | undefined;
  const read = (): string[] => {
    const answer = pending;
    pending = undefined;
    return answer ? caught(() => [answer()].filter((p): p is string => p !== undefined)) : [];
  };
  const groups = groupOps(plan);
  // The DNS server takes the connection for the nft batch while the groups before it run (exec/nft.ts).
  const nft = groups.find((g): g is Extract<Group, { kind: 'nft' }> => g.kind === 'nft');
  if (defer && nft && groups[0] !== nft) connectAhead(nft.ops);
  for (const group of pauseSplit(groups)) {
    if (group.kind !== 'nft') problems.push(...caught(() => teardownGroup(group)));
    else {
      // groupOps makes one nft group of a plan: its answer is read here, or by finish() when deferred.
      problems.push(
        ...caught(() => {
          pending = startTeardownNft(group.ops);
          return defer ? [] : read();
        }),
      );
    }
  }
  return { problems, finish: read };
}

function caught(f: () => string[]): string[] {
  try {
    return f();
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}
