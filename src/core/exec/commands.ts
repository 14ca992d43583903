/** Ops that run as a process each (kill; mount and umount where there is no libc): argv, apply, teardown. */
import { CnmError, KernelOpError, firstLine } from '../errors.js';
import type { KillOp, MountOp, Op, UmountOp } from '../plan.js';
import { type RunResult, logWork, run } from '../runner.js';
import { mountInProcess } from './netlink/mount.js';
import { netlinkLibc } from './netlink/socket.js';
import type { CommandKind } from './kind.js';
import { processKill } from './kill.js';
import { mountBind, umount } from './mount.js';
import { shellWord } from './sh.js';

export type CommandOp = MountOp | UmountOp | KillOp;

type Kinds = { [K in CommandOp['kind']]: CommandKind<Extract<CommandOp, { kind: K }>> };

const KINDS: Kinds = { 'mount.bind': mountBind, umount, 'process.kill': processKill };

function kindOf<T extends CommandOp>(op: T): CommandKind<T> {
  return KINDS[op.kind] as unknown as CommandKind<T>;
}

export function isCommandOp(op: Op): op is CommandOp {
  return op.kind in KINDS;
}

export function argvOf(op: CommandOp): string[] {
  return kindOf(op).argv(op);
}

/** Runs the op's command; in the binary, mount and umount are system calls from cnm itself (same codes and words). */
function execute(op: CommandOp): RunResult {
  const argv = argvOf(op);
  const c = netlinkLibc();
  if (!c || op.kind === 'process.kill') return run(argv[0]!, argv.slice(1));
  const t0 = performance.now();
  const r = mountInProcess(c, op);
  logWork(`+ in-process ${argv.join(' ')}  (${(performance.now() - t0).toFixed(1)} ms, exit ${r.code})`, []);
  return r;
}

export function applyCommand(op: CommandOp, undo: Op[], inverse: (op: Op) => Op | undefined, fail: boolean): void {
  const argv = argvOf(op);
  if (fail) throw new CnmError(`injected fault at ${argv.join(' ')}`);
  const r = execute(op);
  if (r.code !== 0) throw new KernelOpError(argv, r.code, firstLine(r.stderr));
  const inv = inverse(op);
  if (inv) undo.push(inv);
}

/** Runs it; a failure that means "already gone" is fine. Returns the real failure, if any. */
export function teardownCommand(op: CommandOp): string | undefined {
  const argv = argvOf(op);
  const r = execute(op);
  return r.code !== 0 && !kindOf(op).gone.test(r.stderr) ? `${argv.join(' ')}: ${firstLine(r.stderr)}` : undefined;
}

/** Runs it as a rollback step; returns the failure, if any. */
export function runCommand(op: CommandOp): string | undefined {
  const argv = argvOf(op);
  const r = execute(op);
  return r.code === 0 ? undefined : `${argv.join(' ')}: ${firstLine(r.stderr)}`;
}

export function commandShell(op: CommandOp): string[] {
  return [argvOf(op).map(shellWord).join(' ')];
}
