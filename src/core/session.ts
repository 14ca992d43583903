/**
 * One run's access to state and kernel. Real sessions lock, apply and save;
 * dry-run sessions compute the same plans, print them as shell, and change
 * nothing (state included).
 *
 * Crash safety: before any kernel work, a real session records its intent
 * (intent.ts: the undo of what it is about to apply, the sandboxes a teardown
 * may half-remove) in STATE_DIR/intent.json, and clears it once state is
 * saved, under the lock. The next session that finds a record there rolls the
 * interrupted run back (its state was never saved) or keeps it (it was), then
 * reconciles the kernel with the state that survived, before doing its own work
 * (recovery.ts, handed in by whoever makes the session: the session itself
 * sits below reconcile and does not import it).
 */
import { existsSync } from './files.js';
import { RollbackError } from './errors.js';
import { type Teardown, apply, faultFromEnv, startTeardown, teardown } from './exec.js';
import type { DryRunShell } from './shell.js';
import { readyHooks } from './plans/hooks.js';
import { readyDrivers } from '../drivers/index.js';
import { type IntentRecord, intentFile, newIntent, removeIntent, restoreOf, undoOf, writeIntent } from './intent.js';
import type { State } from './model.js';
import { type Op, goneWithNamespaces } from './plan.js';
import { phase } from './runner.js';
import { Store } from './store.js';

/**
 * A failure after which the caller runs the update anew at once (a cluster claim that lost): the
 * rollback of applyAround's first part then deletes its namespaces and leaves the devices they take
 * with them to the kernel's background cleanup, instead of waiting for each one's deletion.
 */
export class Redo extends Error {}

/** The crash recovery a session runs when it finds an interrupted run's intent record. */
export type Recover = (s: Session, state: State) => Promise<void>;

export class Session {
  constructor(
    readonly store: Store,
    /** Repairs what an interrupted run left (recovery.ts), before this session's first update. */
    private readonly recover: Recover,
    readonly dryRun = false,
    private readonly print: (text: string) => void = () => {},
  ) {}

  /**
   * A dry run's plans, printed as one script (each base block once). Its module is loaded by a dry
   * run's update (a real run never needs it): printing a plan before that fails loudly.
   */
  private shell: DryRunShell | undefined;

  private render(plan: readonly Op[]): string {
    if (!this.shell) throw new Error('a dry run printed a plan before its shell was loaded (Session.update)');
    return this.shell.render(plan);
  }

  /** On a dry run, prints shell for work done outside plans (a server started); nothing otherwise. */
  show(lines: readonly string[]): void {
    if (this.dryRun && lines.length > 0) this.print(lines.join('\n') + '\n');
  }

  /** The intent of the locked update in progress (undefined outside one). */
  private intent: IntentRecord | undefined;
  private intentWritten = false;
  /** A failure left the kernel in a state the next run must look at: keep the record. */
  private keepIntent = false;

  /** Applies a plan all-or-nothing (or prints it on a dry run). */
  apply(plan: readonly Op[]): void {
    if (this.dryRun) return this.print(this.render(plan));
    this.settle();
    phase(`plan of ${plan.length} ops`);
    // Computed once, before the plan runs: a file op's undo is the file's content now.
    const undo = undoOf(plan);
    this.record(undo, []);
    phase('intent recorded');
    this.run(plan, undo);
  }

  /**
   * Applies a plan like apply(), with one intent record, in two parts: `first` at once, the rest
   * once `wait` resolves, so the first part's kernel work overlaps the wait. When the wait (or the
   * rest) fails, the update fails and what was applied is undone with it (rollBack): all of it, so
   * the kernel is as it was when the run ends, except after a Redo (see there).
   */
  async applyAround(first: readonly Op[], rest: readonly Op[], wait: () => Promise<void>): Promise<void> {
    if (this.dryRun) {
      await wait();
      return this.apply([...first, ...rest]);
    }
    this.settle();
    phase(`plan of ${first.length + rest.length} ops (${first.length} first)`);
    const undoFirst = undoOf(first);
    const undoRest = undoOf(rest);
    this.record([...undoFirst, ...undoRest], []);
    phase('intent recorded');
    const at = this.applied.length;
    this.run(first, undoFirst);
    try {
      await wait();
    } catch (e) {
      if (e instanceof Redo) {
        const gone = goneWithNamespaces(first);
        this.applied.splice(at, undoFirst.length, ...undoFirst.filter((op) => !(op.kind === 'link.del' && op.ns === undefined && gone.has(op.name))));
      }
      throw e;
    }
    // Nothing runs yet in the namespaces the first part made: the rest treats them as its own (exec.ts apply).
    this.run(rest, undoRest, first.flatMap((op) => (op.kind === 'netns.add' ? [op.name] : [])));
  }

  private run(plan: readonly Op[], undo: readonly Op[], madeBefore: readonly string[] = []): void {
    try {
      apply(plan, faultFromEnv(), madeBefore);
      this.applied.push(...undo);
    } catch (e) {
      if (e instanceof RollbackError) this.keepIntent = true;
      throw e;
    }
  }

  /** What best-effort teardowns could not do, for the command to report as warnings. */
  readonly warnings: string[] = [];

  /**
   * Applies a teardown plan best-effort (or prints it on a dry run); problems become warnings.
   * The DNS server's answer for its nft batch is read last (settle): the state is written while the
   * server sends the batch. Every other way the session changes the kernel settles first, so the
   * batches of one run reach the kernel in order.
   */
  teardown(plan: readonly Op[]): void {
    if (this.dryRun) return this.print(this.render(plan));
    this.settle();
    // A teardown cannot be undone: make sure its state can be saved before it starts.
    this.store.reserveWrite();
    this.record([], restoreOf(plan));
    this.tornDown = true;
    this.pending = startTeardown(plan);
    this.warnings.push(...this.pending.problems);
  }

  /** The teardown whose last answer is still to be read (see teardown()). */
  private pending: Teardown | undefined;

  /** Reads what the last teardown still waits for; its problems become warnings. */
  private settle(): void {
    const t = this.pending;
    this.pending = undefined;
    if (t) this.warnings.push(...t.finish());
  }

  private tornDown = false;
  /** The undo of every plan of this update applied so far (a failed one was undone by the executor). */
  private applied: Op[] = [];

  private record(undo: Op[], restore: string[]): void {
    if (!this.intent) return;
    this.intent.undo.push(...undo);
    this.intent.restore.push(...restore);
    writeIntent(this.store.dir, this.intent);
    this.intentWritten = true;
  }

  read(): State {
    return this.store.read();
  }

  async update<T>(fn: (state: State) => T | Promise<T>): Promise<T> {
    if (this.dryRun) {
      this.shell ??= new (await import('./shell.js')).DryRunShell();
      return ready(this.store.read(), fn);
    }
    if (existsSync(intentFile(this.store.dir))) await this.locked((state) => this.recover(this, state), true);
    return this.locked(fn, false);
  }

  /** A locked read-modify-write with its intent record (and the sandbox hooks its state needs loaded). */
  private async locked<T>(fn: (state: State) => T | Promise<T>, recovering: boolean): Promise<T> {
    return this.store.update(
      (state) => {
        this.intent = newIntent(state);
        this.intentWritten = false;
        this.keepIntent = false;
        this.tornDown = false;
        this.applied = [];
        return ready(state, fn);
      },
      (ok) => {
        // After the state write, before the intent record goes and the lock is released.
        this.settle();
        if (!ok) this.rollBack();
        // A failed run that tore something down without saving is the next run's to repair.
        const keep = !ok && (this.keepIntent || this.tornDown);
        if ((this.intentWritten || recovering) && !keep) removeIntent(this.store.dir);
        this.intent = undefined;
      },
    );
  }

  /** Adds sandboxes to restore to the record of the run in progress (a recovery that may itself be interrupted). */
  noteRestore(names: Iterable<string>): void {
    this.intent?.restore.push(...names);
  }

  /**
   * A run that changed the kernel and then failed before its state was saved
   * (the state write hit a full disk, a later step threw) undoes its kernel
   * work at once, so the kernel matches the state it leaves. If the undo
   * itself fails, the intent record stays for the next run to finish the job.
   */
  private rollBack(): void {
    if (this.applied.length === 0 || this.tornDown) return;
    const problems = teardown([...this.applied].reverse());
    this.applied = [];
    if (problems.length === 0) return;
    this.keepIntent = true;
    this.warnings.push(...problems.map((p) => `rolling back: ${p}`));
  }

  /** Things worth telling the user that are not problems (a recovery happened). */
  readonly notices: string[] = [];
}

/**
 * fn(state) once the lazy sandbox hooks and the drivers that state needs are
 * loaded (at once when none is: no extra tick).
 */
function ready<T>(state: State, fn: (state: State) => T | Promise<T>): T | Promise<T> {
  const hooks = readyHooks(state);
  const drivers = readyDrivers(state.networks);
  if (!hooks && !drivers) return fn(state);
  return Promise.all([hooks, drivers]).then(() => fn(state));
}
