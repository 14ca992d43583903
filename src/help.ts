/**
 * Help and mistakes, as a Docker user expects them: `cnm net`, `cnm net
 * --help` and `cnm help net` list the group's subcommands; `cnm help net
 * create` is that command's help; an unknown command or option is one line
 * suggesting the nearest spelling and naming the help to read; `-p8080:80`
 * is `-p 8080:80`; help shows value names (`--subnet CIDR`), not clipanion's
 * `#0`. Loaded only on the paths that need it, never on a normal run.
 */
import type { Cli, Definition } from 'clipanion';
import { specsOf, valueName, type CommandSpec } from './docs/spec.js';

/** What main should do with argv: run it (perhaps rewritten), or print text and exit with code. */
export type Plan = { kind: 'run'; argv: string[] } | { kind: 'print'; text: string; code: number; stream: 'stdout' | 'stderr' };

/** The short options that take a value (`-p`, `-o`, `-d`), from the registered commands. */
function shortValueOptions(defs: readonly Definition[]): Set<string> {
  const out = new Set<string>();
  for (const d of defs) {
    for (const o of d.options) {
      const [names = '', arity] = o.definition.split(' ');
      if (arity === undefined) continue;
      for (const n of names.split(',')) if (/^-[a-zA-Z]$/.test(n)) out.add(n);
    }
  }
  return out;
}

/** `-p8080:80` -> `-p 8080:80` for short options that take a value; nothing after `--` is touched. */
export function expandShortValues(argv: readonly string[], shorts: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let rest = false;
  for (const a of argv) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const m = /^(-[a-zA-Z])=?(.+)$/.exec(a);
    if (m && shorts.has(m[1]!)) out.push(m[1]!, m[2]!);
    else out.push(a);
  }
  return out;
}

/** Whether argv has a glued short option worth rewriting (cheap: no definitions read). */
export function mayHaveGluedShort(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (/^-[a-zA-Z][^-]/.test(a) && a.length > 2) return true;
  }
  return false;
}

export function rewriteArgv(cli: Cli, argv: readonly string[]): string[] {
  return expandShortValues(argv, shortValueOptions(cli.definitions()));
}

/** Edit distance where swapping two neighbours is one edit (`nte` -> `net`); the words are short. */
export function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The nearest candidate within a few edits (or that the word starts), if any. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) && word.length >= 2 ? 0.5 : distance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= Math.max(1, Math.min(3, Math.floor(word.length / 3))) ? best : undefined;
}

function paths(s: CommandSpec): string[][] {
  return [s.words, ...s.aliases];
}

/** The group a noun names (`net`, `network`, `sandbox`, ...), as its specs. */
function groupOf(specs: readonly CommandSpec[], noun: string): CommandSpec[] {
  return specs.filter((s) => paths(s).some((p) => p.length > 1 && p[0] === noun));
}

function synopsis(s: CommandSpec): string {
  const pos = s.positionals.map((p) => (p.required ? p.name : `[${p.name}]`) + (p.rest ? '...' : ''));
  return ['cnm', ...s.words, ...pos].join(' ');
}

/** `cnm net`: the group's subcommands, one line each, and where to read more. */
export function groupHelp(specs: readonly CommandSpec[], noun: string): string | undefined {
  const group = groupOf(specs, noun);
  if (group.length === 0) return undefined;
  const rows = group.map((s) => [synopsis(s), s.description] as const);
  const width = Math.max(...rows.map((r) => r[0].length));
  const aliases = [...new Set(group.flatMap((s) => s.aliases.map((a) => a[0]!)))].filter((a) => a !== group[0]!.words[0]);
  return [
    `Usage: cnm ${group[0]!.words[0]} COMMAND${aliases.length > 0 ? `   (also spelled: ${aliases.map((a) => `cnm ${a}`).join(', ')})` : ''}`,
    '',
    `${group[0]!.category}:`,
    ...rows.map(([syn, desc]) => `  ${syn.padEnd(width)}   ${desc}`),
    '',
    `Run 'cnm ${noun} COMMAND --help' for a command's options.`,
    '',
  ].join('\n');
}

/** The spec whose path is the longest prefix of argv's words, with the path's length. */
function commandOf(specs: readonly CommandSpec[], argv: readonly string[]): { spec: CommandSpec; path: string[] } | undefined {
  let best: { spec: CommandSpec; path: string[] } | undefined;
  for (const s of specs) {
    for (const p of paths(s)) {
      if (p.every((w, i) => argv[i] === w) && (!best || p.length > best.path.length)) best = { spec: s, path: p };
    }
  }
  return best;
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** Help requests clipanion does not know: `cnm help ...`, `cnm NOUN`, `cnm NOUN --help`. */
export function helpPlan(cli: Cli, argv: readonly string[]): Plan | undefined {
  const words = argv[0] === 'help' ? argv.slice(1).filter((a) => !HELP_FLAGS.has(a)) : argv;
  if (argv[0] === 'help' && words.length === 0) return { kind: 'run', argv: ['--help'] };
  const specs = specsOf(cli);
  const nounOnly = words.length === 1 || (words.length === 2 && HELP_FLAGS.has(words[1]!));
  if (nounOnly) {
    const text = groupHelp(specs, words[0]!);
    if (text) return { kind: 'print', text, code: 0, stream: 'stdout' };
  }
  if (argv[0] === 'help') {
    const hit = commandOf(specs, words);
    if (hit) return { kind: 'run', argv: [...hit.path, '--help'] };
    return { kind: 'print', text: unknownCommand(specs, words), code: 2, stream: 'stderr' };
  }
  return undefined;
}

function unknownCommand(specs: readonly CommandSpec[], words: readonly string[]): string {
  const nouns = [...new Set(specs.flatMap((s) => paths(s).map((p) => p[0]!)))];
  const first = words[0] ?? '';
  if (!nouns.includes(first)) {
    const near = nearest(first, nouns);
    return `cnm: unknown command "${first}"${near ? `; did you mean "${near}"? See` : '; see'} 'cnm --help'\n`;
  }
  const verbs = [...new Set(specs.flatMap((s) => paths(s).filter((p) => p[0] === first && p.length > 1).map((p) => p[1]!)))];
  const verb = words[1] ?? '';
  const near = nearest(verb, verbs);
  return `cnm: unknown command "${first} ${verb}"${near ? `; did you mean "${first} ${near}"? See` : '; see'} 'cnm ${first} --help'\n`;
}

/** clipanion's parse error as one line with a suggestion and the help to read (exit 2). */
export function explainError(cli: Cli, argv: readonly string[], message: string): string {
  const specs = specsOf(cli);
  const hit = commandOf(specs, argv);
  if (!hit || /^Command not found/.test(message)) {
    if (!hit) return unknownCommand(specs, argv.filter((a) => !a.startsWith('-')));
  }
  const where = hit ? `cnm ${hit.path.join(' ')}` : 'cnm';
  const bad = /option name \("([^"]+)"\)/.exec(message)?.[1];
  if (bad && hit) {
    const names = hit.spec.options.flatMap((o) => o.names).concat('--help');
    const near = nearest(bad.split('=')[0]!, names.filter((n) => n.startsWith(bad.startsWith('--') ? '--' : '-')));
    return `cnm: unknown option "${bad}" for '${where}'${near ? `; did you mean "${near}"? See` : '; see'} '${where} --help'\n`;
  }
  const line = message.replace(/\.$/m, '').split('\n').map((l) => l.trim()).find((l) => l) ?? 'bad usage';
  if (hit && /^(Command not found|Not enough positional arguments|Extraneous positional argument)/.test(line)) {
    // The words matched a command but not its arguments: say what it takes.
    return `cnm: wrong arguments for '${where}': expected ${synopsis(hit.spec)}; see '${where} --help'\n`;
  }
  return `cnm: ${line}; see '${where} --help'\n`;
}

/** clipanion's help with value names: `--subnet CIDR` instead of `--subnet #0`, the option column re-aligned. */
export function withValueNames(text: string): string {
  const named = text.replace(/((?:--?[a-zA-Z0-9-]+)(?:,--?[a-zA-Z0-9-]+)*) #0/g, (_m, names: string) => {
    const long = names.split(',').find((n) => n.startsWith('--')) ?? names;
    return `${names} ${valueName(long.replace(/^--?/, ''))}`;
  });
  const lines = named.split('\n');
  const opt = /^ {2}(-\S+(?: [A-Z][A-Z0-9=|_-]*)?) {2,}(\S.*)$/;
  const width = Math.max(0, ...lines.map((l) => opt.exec(l)?.[1]!.length ?? 0));
  return lines.map((l) => l.replace(opt, (_m, def: string, desc: string) => `  ${def.padEnd(width)}    ${desc}`)).join('\n');
}
