/**
 * Reconcile as a registry of small reconcilers. Each one compares a slice of
 * what state says should exist with what the kernel has and returns findings;
 * a finding carries its own repair (ops to tear down, ops to apply, a state
 * change). Features (ports, DNS, other drivers) plug in with
 * registerReconciler(); the engine in index.ts runs them in `order`.
 */
import type { Sandbox, State } from '../model.js';
import type { Op } from '../plan.js';
import type { Kernel } from '../observe/kernel.js';

export interface Finding {
  /** Which reconciler found it. */
  reconciler: string;
  /** The object concerned, as users name it: "network frontend", "link veth0123456789a". */
  object: string;
  /** What is wrong, one line. */
  problem: string;
  /** What the repair does, one line ("recreate", "remove", "drop from state"...). */
  action: string;
  /** Best-effort removals, run first ("already gone" is fine). */
  teardown?: Op[];
  /** Creation, all-or-nothing, run after the teardown. */
  apply?: Op[];
  /** State change, made after the kernel work succeeded. */
  update?: (state: State) => void;
  /** Reported only: the repair needs to be asked for (--restore). */
  pending?: boolean;
}

export interface ReconcileContext {
  readonly state: State;
  readonly kernel: Kernel;
  /** Whether a sandbox whose namespace is gone should be recreated. */
  restoring(sb: Sandbox): boolean;
  /** Sandboxes later reconcilers must leave alone (gone and not restored, or dropped). */
  readonly skip: Set<string>;
}

export interface Reconciler {
  name: string;
  /** Lower runs first: orphans 10, sandboxes 20, networks 30, endpoints 40, nftables 50, files 60. */
  order: number;
  check(ctx: ReconcileContext): Finding[];
}

const registry: Reconciler[] = [];

export function registerReconciler(r: Reconciler): void {
  const i = registry.findIndex((x) => x.name === r.name);
  if (i >= 0) registry[i] = r;
  else registry.push(r);
}

export function reconcilers(): Reconciler[] {
  return [...registry].sort((a, b) => a.order - b.order);
}
