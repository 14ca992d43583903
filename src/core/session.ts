/**
 * One run's access to state and kernel. Real sessions lock, apply and save;
 * dry-run sessions compute the same plans, print them as shell, and change
 * nothing (state included).
 */
import { apply, renderShell, teardown } from './exec.js';
import type { State } from './model.js';
import type { Op } from './plan.js';
import { Store } from './store.js';

export class Session {
  constructor(
    readonly store: Store,
    readonly dryRun = false,
    private readonly print: (text: string) => void = () => {},
  ) {}

  /** Applies a plan all-or-nothing (or prints it on a dry run). */
  apply(plan: readonly Op[]): void {
    if (this.dryRun) this.print(renderShell(plan));
    else apply(plan);
  }

  /** What best-effort teardowns could not do, for the command to report as warnings. */
  readonly warnings: string[] = [];

  /** Applies a teardown plan best-effort (or prints it on a dry run); problems become warnings. */
  teardown(plan: readonly Op[]): void {
    if (this.dryRun) this.print(renderShell(plan));
    else this.warnings.push(...teardown(plan));
  }

  read(): State {
    return this.store.read();
  }

  async update<T>(fn: (state: State) => T | Promise<T>): Promise<T> {
    if (!this.dryRun) return this.store.update(fn);
    return fn(this.store.read());
  }
}
