/**
 * What every command run shares, without clipanion: the error boundary (a
 * CnmError is one line on stderr and its exit code; anything else is a bug and
 * shows its stack), `--debug`, the sessions it opened and printing. The
 * clipanion commands (./base.ts) and the hot path (./hot.ts) both run through it.
 */
import { CnmError } from '../core/errors.js';
import { chooseStateDir } from '../core/instance.js';
import { setDebug } from '../core/runner.js';
import type { Removal } from '../core/ops/sandbox.js';
import { type Recover, Session } from '../core/session.js';
import { Store } from '../core/store.js';
import type { Streams } from './streams.js';

/** Crash recovery (loaded only when a run finds an interrupted one's record). */
const recover: Recover = async (s, state) => (await import('../core/recovery.js')).recoverInterrupted(s, state);

export class CommandRun {
  private readonly sessions: Session[] = [];

  constructor(
    readonly streams: Streams,
    readonly stateDir: string,
    private readonly debug: boolean,
  ) {}

  async execute(body: () => Promise<number | void>): Promise<number> {
    if (this.debug) setDebug((line) => this.streams.stderr.write(`${line}\n`));
    try {
      // Which state dir's objects this run may see and touch (its nft table, run dir, marks).
      chooseStateDir(this.stateDir);
      return (await body()) ?? 0;
    } catch (err) {
      this.flushSessions();
      if (err instanceof CnmError) {
        this.streams.stderr.write(`cnm: ${err.message.split('\n')[0]}\n`);
        return err.exitCode;
      }
      const e = err instanceof Error ? err : new Error(String(err));
      this.streams.stderr.write(`cnm: internal error (a bug; please report it): ${e.stack ?? e.message}\n`);
      return 1;
    } finally {
      this.flushSessions();
    }
  }

  /** Prints what sessions noted (a recovery from an interrupted run) and warnings not printed yet. */
  private flushSessions(): void {
    for (const s of this.sessions) {
      for (const n of s.notices.splice(0)) this.streams.stderr.write(`cnm: note: ${n}\n`);
      this.warn(s);
    }
  }

  store(): Store {
    return new Store(this.stateDir);
  }

  session(dryRun = false): Session {
    const s = new Session(this.store(), recover, dryRun, (text) => this.streams.stdout.write(text));
    this.sessions.push(s);
    return s;
  }

  /**
   * The body of a command that removes several objects (net rm, sandbox rm):
   * prints each name removed, one error line for each that was not, and exits
   * with the first error's code.
   */
  async removeEach(dryRun: boolean, remove: (s: Session) => Promise<Removal>): Promise<number> {
    const s = this.session(dryRun);
    try {
      const { removed, errors } = await remove(s);
      if (!dryRun) for (const name of removed) this.out(name);
      for (const e of errors) this.streams.stderr.write(`cnm: ${e.message}\n`);
      return errors[0]?.exitCode ?? 0;
    } finally {
      this.warn(s);
    }
  }

  /** Prints what best-effort teardown could not do. */
  warn(session: Session): void {
    for (const w of session.warnings.splice(0)) this.streams.stderr.write(`cnm: warning: ${w}\n`);
  }

  out(text: string): void {
    this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
