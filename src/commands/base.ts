/**
 * The base of every cnm command: global options (accepted after the command
 * words like any other), the error boundary (a CnmError is one line on stderr
 * and its exit code; anything else is a bug and shows its stack), and helpers
 * for printing.
 */
import { Command, Option } from 'clipanion';
import { CnmError, UsageError } from '../core/errors.js';
import { renderEach } from '../core/template/index.js';
import { useStateDir } from '../core/instance.js';
import { DEFAULT_STATE_DIR } from '../core/paths.js';
import { setDebug } from '../core/runner.js';
import type { Removal } from '../core/ops/sandbox.js';
import { type Recover, Session } from '../core/session.js';
import { Store } from '../core/store.js';

/** Crash recovery (loaded only when a run finds an interrupted one's record). */
const recover: Recover = async (s, state) => (await import('../core/recovery.js')).recoverInterrupted(s, state);

export abstract class CnmCommand extends Command {
  stateDir = Option.String('--state-dir', process.env.CNM_STATE_DIR ?? DEFAULT_STATE_DIR, {
    description: 'Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)',
  });

  debug = Option.Boolean('--debug', process.env.CNM_DEBUG === '1', {
    description: 'Log every kernel command with its duration on stderr (env CNM_DEBUG=1)',
  });

  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    if (this.debug) setDebug((line) => this.context.stderr.write(`${line}\n`));
    try {
      // Which state dir's objects this run may see and touch (its nft table, run dir, marks).
      useStateDir(this.stateDir);
      return (await this.run()) ?? 0;
    } catch (err) {
      this.flushSessions();
      if (err instanceof CnmError) {
        this.context.stderr.write(`cnm: ${err.message.split('\n')[0]}\n`);
        return err.exitCode;
      }
      const e = err instanceof Error ? err : new Error(String(err));
      this.context.stderr.write(`cnm: internal error (a bug; please report it): ${e.stack ?? e.message}\n`);
      return 1;
    } finally {
      this.flushSessions();
    }
  }

  private sessions: Session[] = [];

  /** Prints what sessions noted (a recovery from an interrupted run) and warnings not printed yet. */
  private flushSessions(): void {
    for (const s of this.sessions) {
      for (const n of s.notices.splice(0)) this.context.stderr.write(`cnm: note: ${n}\n`);
      this.warn(s);
    }
  }

  store(): Store {
    return new Store(this.stateDir);
  }

  session(dryRun = false): Session {
    const s = new Session(this.store(), recover, dryRun, (text) => this.context.stdout.write(text));
    this.sessions.push(s);
    return s;
  }

  /**
   * The body of a command that removes several objects (net rm, sandbox rm):
   * prints each name removed, one error line for each that was not, and exits
   * with the first error's code.
   */
  protected async removeEach(dryRun: boolean, remove: (s: Session) => Promise<Removal>): Promise<number> {
    const s = this.session(dryRun);
    try {
      const { removed, errors } = await remove(s);
      if (!dryRun) for (const name of removed) this.out(name);
      for (const e of errors) this.context.stderr.write(`cnm: ${e.message}\n`);
      return errors[0]?.exitCode ?? 0;
    } finally {
      this.warn(s);
    }
  }

  /** Prints what best-effort teardown could not do. */
  warn(session: Session): void {
    for (const w of session.warnings.splice(0)) this.context.stderr.write(`cnm: warning: ${w}\n`);
  }

  out(text: string): void {
    this.context.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  json(value: unknown): void {
    this.out(JSON.stringify(value, null, 2));
  }

  /**
   * `--format TEMPLATE` (ls, inspect): each object's JSON view through the
   * template, one line each; `table ...` adds a header row (`headers` names
   * the columns Docker names otherwise, e.g. ID -> NETWORK ID).
   */
  formatted(template: string, items: readonly unknown[], headers: Record<string, string> = {}): void {
    this.context.stdout.write(renderEach(template, items, { headers }));
  }
}

/** The `--dry-run` option of every command that changes the kernel. */
export function dryRunOption() {
  return Option.Boolean('--dry-run', false, { description: 'Print the kernel work as shell and change nothing' });
}

/** The `--format` option of ls and inspect commands (see src/core/template/). */
export function formatOption() {
  return Option.String('--format', {
    description: "Print each object through a Go template over its JSON view, as docker does: '{{.Name}} {{.Id}}', 'table {{.Name}}\\t{{.Driver}}', 'json'",

  });
}

/** Repeated KEY=VALUE options into a record. */
export function keyValues(items: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid ${flag} "${item}": expected KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
