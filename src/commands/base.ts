/**
 * The base of every clipanion command: the global options (accepted after the
 * command words like any other) and helpers for printing; the error boundary
 * and sessions are ./runtime.ts, which the hot path shares.
 */
import { Command, Option } from 'clipanion';
import { UsageError } from '../core/errors.js';
import { renderEach } from '../core/template/index.js';
import { DEFAULT_STATE_DIR } from '../core/paths.js';
import type { Removal } from '../core/ops/sandbox.js';
import type { Session } from '../core/session.js';
import type { Store } from '../core/store.js';
import { CommandRun } from './runtime.js';

export abstract class CnmCommand extends Command {
  stateDir = Option.String('--state-dir', process.env.CNM_STATE_DIR ?? DEFAULT_STATE_DIR, {
    description: 'Where state.json lives (env CNM_STATE_DIR; default /var/lib/cnm)',
  });

  debug = Option.Boolean('--debug', process.env.CNM_DEBUG === '1', {
    description: 'Log every kernel command with its duration on stderr (env CNM_DEBUG=1)',
  });

  abstract run(): Promise<number | void>;

  private runtime?: CommandRun;

  /** The boundary this run goes through (./runtime.ts, shared with the hot path). */
  protected get runner(): CommandRun {
    this.runtime ??= new CommandRun(this.context, this.stateDir, this.debug);
    return this.runtime;
  }

  async execute(): Promise<number> {
    return this.runner.execute(() => this.run());
  }

  store(): Store {
    return this.runner.store();
  }

  session(dryRun = false): Session {
    return this.runner.session(dryRun);
  }

  /** See CommandRun.removeEach. */
  protected removeEach(dryRun: boolean, remove: (s: Session) => Promise<Removal>): Promise<number> {
    return this.runner.removeEach(dryRun, remove);
  }

  /** Prints what best-effort teardown could not do. */
  warn(session: Session): void {
    this.runner.warn(session);
  }

  out(text: string): void {
    this.runner.out(text);
  }

  /** One line per item, and nothing at all for none (`ls -q` that matches nothing, as Docker). */
  lines(items: readonly string[]): void {
    if (items.length > 0) this.out(items.join('\n'));
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

  /** What an inspect command prints: each view through `--format`, else the JSON array. */
  inspected(format: string | undefined, views: readonly unknown[]): void {
    if (format !== undefined) return this.formatted(format, views);
    this.json(views);
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

/** The keys a `--filter` takes, each with the values it matches as the help shows them ('' for any). */
export type FilterKeys = Readonly<Record<string, string>>;

/**
 * The options of the ls and inspect commands, defined once and worded for
 * what each lists (`quiet = listOption.quiet('network')`).
 */
export const listOption = {
  /** ls: a JSON array instead of the table. */
  json: () => Option.Boolean('--json', false, { description: 'Print a JSON array' }),
  /** inspect: JSON is already the default; the flag is there for docker's users. */
  inspectJson: () => Option.Boolean('--json', true, { description: 'Print a JSON array (the default)' }),
  quiet: (noun: string) => Option.Boolean('--quiet,-q', false, { description: `Print ${noun} IDs only` }),
  format: formatOption,
  /** Parse what it gives with `parseFilters(given, Object.keys(keys))`. */
  filter: (what: string, keys: FilterKeys) =>
    Option.Array('--filter', [], { description: `Only ${what} that match: ${Object.entries(keys).map(([k, v]) => `${k}=${v}`).join(', ')} (repeatable)` }),
  noTrunc: () => Option.Boolean('--no-trunc', false, { description: 'Show whole IDs' }),
};

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
