/**
 * The hot path (src/commands/hot.ts) reads argv from a table instead of clipanion.
 * Its table must be the clipanion definitions of those commands (names, aliases,
 * which options take a value), and on fuzzed argument lists the two parsers must
 * agree: whatever the hot path accepts, clipanion accepts with the same values;
 * whatever clipanion accepts in the spellings the hot path takes (no `--`, no
 * `--opt=value`, no glued or negated flags, no value starting with `-`, ...), the hot path accepts
 * too; everything else the hot path hands to clipanion, so the CLI as a whole
 * accepts and rejects exactly what clipanion does.
 */
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../src/cli.js';
import { GLOBAL_OPTIONS, HOT_COMMANDS, parseHot } from '../../src/commands/hot.js';
import { rng } from '../helpers/rng.js';

const ENV = { CNM_STATE_DIR: '/tmp/cnm-hot-test' };

describe('the hot command table', () => {
  it('has the options clipanion defines for each hot command, with the same names and arity', () => {
    const defs = buildCli().definitions();
    for (const c of HOT_COMMANDS) {
      const def = defs.find((d) => d.path === `cnm ${c.path.join(' ')}`);
      expect(def, c.path.join(' ')).toBeDefined();
      // clipanion writes an option as `--network,--net #0` (takes a value) or `--dry-run` (a flag).
      const fromClipanion = def!.options
        .map((o) => ({ names: o.definition.split(' ')[0]!.split(',').sort(), value: o.definition.includes(' #0') }))
        .sort((a, b) => a.names[0]!.localeCompare(b.names[0]!));
      const fromTable = [...c.options, ...GLOBAL_OPTIONS]
        .map((o) => ({ names: [...o.names].sort(), value: o.kind !== 'boolean' }))
        .sort((a, b) => a.names[0]!.localeCompare(b.names[0]!));
      expect(fromTable, c.path.join(' ')).toEqual(fromClipanion);
      // Positionals: as many words (or a rest) as clipanion's usage line names.
      const words = def!.usage.replace(/^cnm \S+ \S+/, '').replace(/\[[^\]]*\]/g, '').trim().split(/\s+/).filter(Boolean);
      if (Array.isArray(c.positionals)) expect(words.length, def!.usage).toBe(c.positionals.length);
      else expect(def!.usage).toMatch(/\.\.\./);
    }
  });
});

const VALUES = ['web', 'bench', '10.0.0.5', 'fd00::5', '02:42:ac:11:00:02', '8080:80', '127.0.0.1:53:53/udp', '12', '4242', '0', '007', '1.5', '-3', '-v', '', 'a=b', '/run/netns/x', 'x y'];
const STRAY = ['--', '-', '--help', '-h', '--bogus', '-x', '--no-dry-run', '--dry-run=true', '--dry-run=false', '-fp', '-p80', '--force=1', '--ip=', '--network=', '--pid=12', '--ip=10.0.0.9', '--state-dir=/tmp/s'];

function argvFor(pick: <T>(xs: readonly T[]) => T, rand: () => number): string[] {
  const c = pick(HOT_COMMANDS);
  const argv: string[] = rand() < 0.05 ? [pick(['sandbox', 'endpoint', 'net']), pick(['add', 'rm', 'connect', 'disconnect', 'ls'])] : [...c.path];
  const options = [...c.options, ...GLOBAL_OPTIONS];
  const n = Math.floor(rand() * 7);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.35) argv.push(pick(VALUES.slice(0, 5)));
    else if (r < 0.85) {
      const o = pick(options);
      const name = pick(o.names);
      if (o.kind === 'boolean') argv.push(name);
      else if (rand() < 0.2) argv.push(`${name}=${pick(VALUES)}`);
      else if (rand() < 0.95) argv.push(name, pick(VALUES));
      else argv.push(name);
    } else if (r < 0.95) argv.push(pick(STRAY));
    else argv.push(pick(VALUES));
  }
  return argv;
}

/** clipanion's reading of argv: the command's values by the table's keys, or null if it refuses. */
function clipanionReads(argv: string[]): { path: string; values: Record<string, unknown> } | null {
  let command: Record<string, unknown> & { path?: string[] };
  try {
    // Like main.ts: only the commands of argv's first words are registered (buildCli(argv)).
    command = buildCli(argv).process(argv) as unknown as Record<string, unknown>;
  } catch {
    return null;
  }
  const c = HOT_COMMANDS.find((h) => (command.constructor as { paths?: string[][] }).paths?.some((p) => p.join(' ') === h.path.join(' ')));
  if (!c) return { path: '(not hot)', values: {} };
  const keys = [...c.options, ...GLOBAL_OPTIONS].map((o) => o.key).concat(Array.isArray(c.positionals) ? c.positionals : [(c.positionals as { rest: string }).rest]);
  return { path: c.path.join(' '), values: Object.fromEntries(keys.map((k) => [k, command[k]])) };
}

describe('hot path against clipanion, fuzzed', () => {
  it('read 3,000 argument lists the same way', () => {
    const saved = { dir: process.env.CNM_STATE_DIR, debug: process.env.CNM_DEBUG };
    process.env.CNM_STATE_DIR = ENV.CNM_STATE_DIR;
    delete process.env.CNM_DEBUG;
    try {
      const rand = rng(15);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      let hot = 0;
      let handedOver = 0;
      for (let i = 0; i < 3000; i++) {
        const argv = argvFor(pick, rand);
        const ours = parseHot(argv, ENV);
        const theirs = clipanionReads(argv);
        const what = JSON.stringify(argv);
        if (ours) {
          hot++;
          expect(theirs, `clipanion refuses what the hot path accepts: ${what}`).not.toBeNull();
          expect({ path: ours.command.path.join(' '), values: theirs!.values }, what).toEqual({ path: theirs!.path, values: theirs!.values });
          for (const [k, v] of Object.entries(theirs!.values)) expect(ours.values[k], `${what}: ${k}`).toEqual(v);
          continue;
        }
        if (theirs && theirs.path !== '(not hot)') {
          handedOver++;
          // Accepted by clipanion, declined by the hot path: only for the spellings it leaves to clipanion.
          expect(argv.some((t) => handedToClipanion(t)) || repeatsSingleValue(argv) || hasDashValue(argv), `the hot path declines a plain list clipanion accepts: ${what}`).toBe(true);
        }
      }
      // The generator must exercise both sides, or the proof proves nothing.
      expect(hot).toBeGreaterThan(400);
      expect(handedOver).toBeGreaterThan(50);
    } finally {
      if (saved.dir === undefined) delete process.env.CNM_STATE_DIR;
      else process.env.CNM_STATE_DIR = saved.dir;
      if (saved.debug !== undefined) process.env.CNM_DEBUG = saved.debug;
    }
  });

  it('reads the plain spellings of each hot command', () => {
    expect(parseHot(['sandbox', 'add', 'web', '--network', 'a', '--net', 'b', '-p', '8080:80', '--pid', '42', '--dry-run'], ENV)?.values).toMatchObject({
      name: 'web', network: ['a', 'b'], publish: ['8080:80'], pid: 42, dryRun: true, stateDir: ENV.CNM_STATE_DIR, debug: false,
    });
    expect(parseHot(['sandbox', 'rm', '-f', 'a', 'b'], ENV)?.values).toMatchObject({ refs: ['a', 'b'], force: true, dryRun: false });
    expect(parseHot(['endpoint', 'connect', 'web', 'back', '--alias', 'x'], ENV)?.values).toMatchObject({ sandbox: 'web', network: 'back', alias: ['x'] });
    expect(parseHot(['endpoint', 'disconnect', 'web', 'back', '--debug'], ENV)?.values).toMatchObject({ sandbox: 'web', network: 'back', debug: true });
    for (const argv of [['sandbox', 'add'], ['sandbox', 'add', 'web', '--help'], ['sandbox', 'add', 'web', '-p8080:80'], ['sandbox', 'rm'], ['sandbox', 'ls'], ['endpoint', 'connect', 'web']]) {
      expect(parseHot(argv, ENV), JSON.stringify(argv)).toBeUndefined();
    }
  });
});

/** The spellings the hot path leaves to clipanion (see src/commands/hot.ts). */
function handedToClipanion(token: string): boolean {
  return token === '' || token === '--' || token === '-' || /^-[^-]./.test(token) || /^-.*=/.test(token) || /^--no-/.test(token);
}

function repeatsSingleValue(argv: readonly string[]): boolean {
  // Each spelling of a single-valued option counts for the option (--mac and --mac-address are one).
  const single = new Map(HOT_COMMANDS.flatMap((c) => [...c.options, ...GLOBAL_OPTIONS]).filter((o) => o.kind === 'string' || o.kind === 'number').flatMap((o) => o.names.map((n) => [n, o.names[0]!] as const)));
  const seen = new Map<string, number>();
  for (const t of argv) {
    const key = single.get(t.split('=')[0]!);
    if (key) seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen.values()].some((n) => n > 1);
}

/** A value that clipanion takes but the hot path declines: starting with `-`, empty, or a --pid that is not a plain positive integer. */
function hasDashValue(argv: readonly string[]): boolean {
  return argv.some((t, i) => i > 1 && (t.startsWith('-') && !/^--?[a-z]/.test(t) || (argv[i - 1] === '--pid' || t.startsWith('--pid=')) && !/^(--pid=)?[1-9][0-9]{0,8}$/.test(t)) || t === '');
}
