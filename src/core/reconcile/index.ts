/**
 * The reconcile engine: runs every registered reconciler in order against one
 * state (under the caller's lock), repairs what each finds unless this is a
 * dry run, and reports. Safe any time and idempotent: a run after a
 * successful one finds nothing. Also the recovery of an interrupted run
 * (src/core/intent.ts) ends with one.
 */
import type { Sandbox, State } from '../model.js';
import type { Session } from '../session.js';
import { Kernel } from '../observe/kernel.js';
import { endpointReconciler, fileReconciler, networkReconciler, sandboxReconciler } from './objects.js';
import { guardReconciler } from './guard.js';
import { nftReconciler } from './nft.js';
import { orphanReconciler } from './orphans.js';
import { portsReconciler } from './ports.js';
import { type Finding, type ReconcileContext, reconcilers, registerReconciler } from './types.js';

export { registerReconciler, type Finding, type Reconciler, type ReconcileContext } from './types.js';

for (const r of [orphanReconciler, sandboxReconciler, networkReconciler, endpointReconciler, nftReconciler, guardReconciler, portsReconciler, fileReconciler]) registerReconciler(r);

export interface ReconcileOptions {
  /** Recreate sandboxes whose namespace is gone: all of them, or those named (by netns name). */
  restore: 'all' | ReadonlySet<string>;
  dryRun: boolean;
}

export type Status = 'repaired' | 'planned' | 'pending' | 'failed';

export interface Outcome {
  reconciler: string;
  object: string;
  problem: string;
  action: string;
  status: Status;
  error?: string;
}

export interface Report {
  outcomes: Outcome[];
  /** Processes spawned to look at the kernel. */
  observations: number;
}

export function reconcile(s: Session, state: State, opts: ReconcileOptions): Report {
  const kernel = new Kernel();
  const ctx: ReconcileContext = {
    state,
    kernel,
    skip: new Set(),
    restoring: (sb: Sandbox) => opts.restore === 'all' || opts.restore.has(sb.netns) || opts.restore.has(sb.name),
  };
  const outcomes: Outcome[] = [];
  for (const r of reconcilers()) {
    const found = r.check(ctx);
    let changed = false;
    for (const f of found) {
      outcomes.push(repair(s, state, f, opts.dryRun));
      changed ||= !f.pending && !opts.dryRun;
    }
    if (changed) kernel.invalidate();
  }
  return { outcomes, observations: kernel.observations };
}

function repair(s: Session, state: State, f: Finding, dryRun: boolean): Outcome {
  const base = { reconciler: f.reconciler, object: f.object, problem: f.problem, action: f.action };
  if (f.pending) return { ...base, status: 'pending' };
  if (dryRun) return { ...base, status: 'planned' };
  try {
    const before = s.warnings.length;
    if (f.teardown?.length) s.teardown(f.teardown);
    if (f.apply?.length) s.apply(f.apply);
    f.update?.(state);
    const problems = s.warnings.splice(before);
    if (problems.length > 0) return { ...base, status: 'failed', error: problems.join('; ') };
    return { ...base, status: 'repaired' };
  } catch (e) {
    return { ...base, status: 'failed', error: e instanceof Error ? e.message : String(e) };
  }
}

/** The report as lines for people: one per finding, then a summary. */
export function renderReport(report: Report, dryRun: boolean): string {
  const lines: string[] = [];
  for (const o of report.outcomes) {
    const verb = { repaired: 'repaired', planned: 'would repair', pending: 'needs restore', failed: 'FAILED' }[o.status];
    lines.push(`${verb}: ${o.object}: ${o.problem} -> ${o.action}${o.error ? ` (${o.error})` : ''}`);
  }
  const n = (st: Status) => report.outcomes.filter((o) => o.status === st).length;
  if (report.outcomes.length === 0) lines.push('nothing to do: the kernel matches state');
  else if (dryRun) lines.push(`${report.outcomes.length} problem(s) found; nothing changed (dry run)`);
  else lines.push(`${report.outcomes.length} problem(s) found: ${n('repaired')} repaired, ${n('pending')} need restore, ${n('failed')} failed`);
  return lines.join('\n') + '\n';
}

/** One locked reconcile (or a lock-free look on a dry run). `sandboxes` names the ones to restore, if given. */
export async function runReconcile(s: Session, opts: { restore: boolean; sandboxes?: readonly string[] }): Promise<Report> {
  const { findSandbox } = await import('../resolve.js');
  return s.update((state) => {
    const names = (opts.sandboxes ?? []).map((ref) => findSandbox(state, ref).netns);
    const restore = opts.restore ? 'all' : new Set(names);
    return reconcile(s, state, { restore, dryRun: s.dryRun });
  });
}
