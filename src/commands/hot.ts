/**
 * The hot path: `sandbox add|rm` and `endpoint connect|disconnect` parsed from a
 * table, without loading clipanion (importing it and compiling its state machine
 * cost about 13 ms of a 20 ms start-up). The table mirrors the clipanion
 * definitions of these commands; test/unit/hot.test.ts proves it (the option
 * names and arities against `cli.definitions()`, then fuzzed argument lists
 * that both parsers must read the same way). The hot path takes only the plain
 * spellings; anything else (help, a mistake, `--`, any `--opt=value`, glued
 * short options, a repeated single-valued option, a value that starts with `-`)
 * returns undefined and goes to clipanion, which accepts or explains it as before.
 */
import { DEFAULT_STATE_DIR } from '../core/paths.js';
import { endpointConnect, endpointDisconnect, sandboxAdd, sandboxRm } from './actions.js';
import { CommandRun } from './runtime.js';
import { fdStreams } from './streams.js';

/** The wiring, for main.ts: one import() of this module loads all a hot command needs (each import() and chunk costs start-up). */
export { loadAll, wire } from '../wiring.js';

type Kind = 'string' | 'array' | 'boolean' | 'number';
export interface HotOption {
  readonly key: string;
  readonly names: readonly string[];
  readonly kind: Kind;
}
type Values = Record<string, string | string[] | boolean | number | undefined>;
export interface HotCommand {
  readonly path: readonly [string, string];
  /** One key per required positional, or the key of a required rest (one or more). */
  readonly positionals: readonly string[] | { readonly rest: string };
  readonly options: readonly HotOption[];
  readonly action: (r: CommandRun, values: Values) => Promise<number | void>;
}

const dryRun: HotOption = { key: 'dryRun', names: ['--dry-run'], kind: 'boolean' };
/** CnmCommand's global options (src/commands/base.ts). */
export const GLOBAL_OPTIONS: readonly HotOption[] = [
  { key: 'stateDir', names: ['--state-dir'], kind: 'string' },
  { key: 'debug', names: ['--debug'], kind: 'boolean' },
];

// The casts below are sound: parse() fills every key of the table with its kind's type.
export const HOT_COMMANDS: readonly HotCommand[] = [
  {
    path: ['sandbox', 'add'],
    positionals: ['name'],
    options: [
      { key: 'network', names: ['--network', '--net'], kind: 'array' },
      { key: 'ip', names: ['--ip'], kind: 'string' },
      { key: 'ip6', names: ['--ip6'], kind: 'string' },
      { key: 'mac', names: ['--mac', '--mac-address'], kind: 'string' },
      { key: 'alias', names: ['--alias'], kind: 'array' },
      { key: 'hostname', names: ['--hostname'], kind: 'string' },
      { key: 'dns', names: ['--dns'], kind: 'array' },
      { key: 'dnsSearch', names: ['--dns-search'], kind: 'array' },
      { key: 'dnsOption', names: ['--dns-option'], kind: 'array' },
      { key: 'addHost', names: ['--add-host'], kind: 'array' },
      { key: 'label', names: ['--label'], kind: 'array' },
      { key: 'netns', names: ['--netns'], kind: 'string' },
      { key: 'pid', names: ['--pid'], kind: 'number' },
      { key: 'publish', names: ['--publish', '-p'], kind: 'array' },
      dryRun,
    ],
    action: (r, v) => sandboxAdd(r, v as unknown as Parameters<typeof sandboxAdd>[1]),
  },
  {
    path: ['sandbox', 'rm'],
    positionals: { rest: 'refs' },
    options: [{ key: 'force', names: ['--force', '-f'], kind: 'boolean' }, dryRun],
    action: (r, v) => sandboxRm(r, v as unknown as Parameters<typeof sandboxRm>[1]),
  },
  {
    path: ['endpoint', 'connect'],
    positionals: ['sandbox', 'network'],
    options: [
      { key: 'ip', names: ['--ip'], kind: 'string' },
      { key: 'ip6', names: ['--ip6'], kind: 'string' },
      { key: 'alias', names: ['--alias'], kind: 'array' },
      { key: 'mac', names: ['--mac', '--mac-address'], kind: 'string' },
      dryRun,
    ],
    action: (r, v) => endpointConnect(r, v as unknown as Parameters<typeof endpointConnect>[1]),
  },
  {
    path: ['endpoint', 'disconnect'],
    positionals: ['sandbox', 'network'],
    options: [dryRun],
    action: (r, v) => endpointDisconnect(r, v as unknown as Parameters<typeof endpointDisconnect>[1]),
  },
];

export interface HotParse {
  command: HotCommand;
  values: Values;
}

/** The hot command argv names with its option values, or undefined for clipanion to handle. */
export function parseHot(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): HotParse | undefined {
  const command = HOT_COMMANDS.find((c) => c.path[0] === argv[0] && c.path[1] === argv[1]);
  if (!command) return undefined;
  const options = [...command.options, ...GLOBAL_OPTIONS];
  const values: Values = { stateDir: env.CNM_STATE_DIR ?? DEFAULT_STATE_DIR, debug: env.CNM_DEBUG === '1' };
  for (const o of command.options) values[o.key] = o.kind === 'array' ? [] : o.kind === 'boolean' ? false : undefined;
  const seen = new Set<string>();
  const words: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '') return undefined;
    if (!token.startsWith('-')) {
      words.push(token);
      continue;
    }
    // `--name=value` is clipanion's to read (it refuses some of them, e.g. `--ip6=...`).
    if (token.includes('=')) return undefined;
    const o = options.find((x) => x.names.includes(token));
    if (!o) return undefined;
    if (o.kind === 'boolean') {
      values[o.key] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (o.kind === 'array') {
      (values[o.key] as string[]).push(value);
      continue;
    }
    if (seen.has(o.key)) return undefined;
    seen.add(o.key);
    if (o.kind === 'number') {
      if (!/^[1-9][0-9]{0,8}$/.test(value)) return undefined;
      values[o.key] = Number(value);
    } else values[o.key] = value;
  }
  const positionals = command.positionals;
  if (Array.isArray(positionals)) {
    if (words.length !== positionals.length) return undefined;
    positionals.forEach((k: string, i) => (values[k] = words[i]));
  } else {
    if (words.length === 0) return undefined;
    values[(positionals as { rest: string }).rest] = words;
  }
  return { command, values };
}

/**
 * Runs a hot command through the same boundary as the clipanion commands, writing to
 * fds 1 and 2 (see fdStreams); undefined if argv is not one.
 */
export async function runHot(argv: readonly string[]): Promise<number | undefined> {
  const hot = parseHot(argv);
  if (!hot) return undefined;
  const { command, values } = hot;
  const streams = fdStreams();
  const r = new CommandRun(streams, values.stateDir as string, values.debug as boolean);
  const code = await r.execute(() => command.action(r, values));
  return streams.failed() ? 1 : code;
}
