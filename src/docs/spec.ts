/**
 * The command line as data, read from clipanion's own definitions, for the
 * generators of completions and the man page (so neither can drift from the
 * commands). Pure: takes definitions (and the alias paths), returns specs.
 */
import type { Cli, Definition } from 'clipanion';

export interface OptionSpec {
  /** Every spelling, long first as declared: ['--driver', '-d']. */
  names: string[];
  /** Takes a value (`--subnet CIDR`), or is a flag (`--ipv6`). */
  takesValue: boolean;
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /** Repeats (`NAME|ID ...`) or is a proxy (`-- CMD ARG...`). */
  rest: boolean;
}

/** A placeholder for an option's value in help and the man page, from its long name without dashes. */
export function valueName(long: string): string {
  const known: Record<string, string> = {
    subnet: 'CIDR', 'ip-range': 'CIDR', gateway: 'IP', ip: 'IP', ip6: 'IP', peer: 'IP', local: 'IP', dns: 'IP',
    'add-peer': 'IP', 'remove-peer': 'IP', label: 'KEY=VALUE', opt: 'KEY=VALUE', filter: 'KEY=VALUE',
    'state-dir': 'DIR', netns: 'PATH', pid: 'PID', mtu: 'N', vni: 'N', width: 'N', network: 'NET', net: 'NET',
    format: 'TEMPLATE', mac: 'MAC', 'mac-address': 'MAC', publish: 'SPEC', parent: 'IFACE', driver: 'DRIVER',
    hostname: 'NAME', alias: 'NAME', 'dns-search': 'DOMAIN', 'dns-option': 'OPTION', 'add-host': 'NAME:IP',
  };
  return known[long] ?? long.toUpperCase();
}

/** What a word stands for, for completing live names. */
/**
 * What a word names. `custom-network`: a network the user made (built-ins are
 * not offered where they cannot be used, `net rm`); `joined-network`: a
 * network of the sandbox named by the argument before it (`endpoint disconnect`).
 */
export type ObjectKind = 'network' | 'custom-network' | 'joined-network' | 'sandbox' | 'any' | 'driver' | 'file' | 'none';

export interface CommandSpec {
  /** Command words without the binary: ['net', 'create']. */
  words: string[];
  /** Other spellings of the same command: [['network', 'create']]. */
  aliases: string[][];
  category: string;
  description: string;
  /** Paragraphs of the details text, unwrapped. */
  details: string[];
  examples: { description: string; command: string }[];
  options: OptionSpec[];
  positionals: PositionalSpec[];
}

/** clipanion wraps text at 80 columns and ends it with a newline: undo both. */
export function unwrap(text: string | undefined): string[] {
  if (!text) return [];
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').map((l) => l.trim()).join(' ').replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0);
}

function parseOption(o: Definition['options'][number]): OptionSpec {
  const [names = '', arity] = o.definition.split(' ');
  return { names: names.split(','), takesValue: arity !== undefined, description: (o.description ?? '').trim() };
}

function parsePositionals(usage: string, words: number): PositionalSpec[] {
  const tokens = usage.trim().split(/\s+/).slice(words + 1);
  const out: PositionalSpec[] = [];
  for (const t of tokens) {
    if (t === '...') {
      const last = out[out.length - 1];
      if (last) last.rest = true;
      continue;
    }
    const m = /^([<[])(.+)[>\]]$/.exec(t);
    if (m) out.push({ name: m[2]!, required: m[1] === '<', rest: false });
  }
  return out;
}

/** Specs from definitions; `paths` maps a command's primary words to all its spellings. */
export function specsFrom(defs: readonly Definition[], paths: ReadonlyMap<string, string[][]> = new Map()): CommandSpec[] {
  return defs.map((d) => {
    const words = d.path.split(' ').slice(1);
    const all = paths.get(words.join(' ')) ?? [words];
    return {
      words,
      aliases: all.filter((p) => p.join(' ') !== words.join(' ')),
      category: (d.category ?? '').trim() || 'Other',
      description: (d.description ?? '').trim().replace(/\.$/, ''),
      details: unwrap(d.details),
      examples: (d.examples ?? []).map(([description, command]) => ({ description: description.trim(), command: command.trim() })),
      options: d.options.map(parseOption),
      positionals: parsePositionals(d.usage, words.length),
    };
  });
}

interface Registered {
  paths?: string[][];
  usage?: unknown;
}

/**
 * The spellings of every documented command. clipanion's definitions() name
 * only the first path of a command, so the others (`cnm network ...` for
 * `cnm net ...`) are read from the registered command classes.
 */
export function commandPaths(cli: Cli): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const registrations = (cli as unknown as { registrations?: Map<Registered, unknown> }).registrations;
  for (const cls of registrations?.keys() ?? []) {
    const [first, ...rest] = cls.paths ?? [];
    if (!first || cls.usage === undefined) continue;
    out.set(first.join(' '), [first, ...rest]);
  }
  return out;
}

export function specsOf(cli: Cli): CommandSpec[] {
  return specsFrom(cli.definitions(), commandPaths(cli));
}

/** What a positional argument names, so completions can offer live names. */
export function positionalKind(spec: CommandSpec, p: PositionalSpec): ObjectKind {
  const n = p.name.toUpperCase();
  const command = spec.words.join(' ');
  if (n === 'SANDBOX') return 'sandbox';
  if ((n === 'NETWORK' || n === 'NET') && command === 'endpoint disconnect' && spec.positionals[0]?.name.toUpperCase() === 'SANDBOX') return 'joined-network';
  if (n === 'NETWORK' || n === 'NET') return 'network';
  if (command === 'net rm') return 'custom-network';
  if (n !== 'NAME' && n !== 'NAME|ID') return 'none';
  // A NAME that a command makes is new; elsewhere it is an existing object of the command's noun.
  const verb = spec.words[spec.words.length - 1];
  if (n === 'NAME' && (verb === 'create' || verb === 'add')) return 'none';
  const noun = spec.words[0];
  if (noun === 'net' || noun === 'network') return 'network';
  if (noun === 'sandbox') return 'sandbox';
  return 'any';
}

/** What an option's value names. */
export function optionKind(o: OptionSpec): ObjectKind {
  if (!o.takesValue) return 'none';
  if (o.names.some((n) => n === '--network' || n === '--net')) return 'network';
  if (o.names.includes('--sandbox')) return 'sandbox';
  if (o.names.includes('--driver')) return 'driver';
  if (o.names.some((n) => n === '--state-dir' || n === '--netns')) return 'file';
  return 'none';
}

/** The drivers `--driver` offers (SPEC "Commands"). */
export const DRIVERS = ['bridge', 'macvlan', 'ipvlan', 'overlay'];

/** Every prefix of every spelling -> the words that may follow it, with a description. */
export function commandTree(specs: readonly CommandSpec[]): Map<string, Map<string, string>> {
  const tree = new Map<string, Map<string, string>>();
  for (const s of specs) {
    for (const path of [s.words, ...s.aliases]) {
      for (let i = 0; i < path.length; i++) {
        const prefix = path.slice(0, i).join(' ');
        const children = tree.get(prefix) ?? new Map<string, string>();
        tree.set(prefix, children);
        const word = path[i]!;
        const leaf = i === path.length - 1;
        if (!children.has(word) || leaf) children.set(word, leaf ? s.description : children.get(word) ?? `${word} commands`);
      }
    }
  }
  for (const [prefix, children] of tree) {
    for (const [word, desc] of children) {
      if (desc === `${word} commands`) children.set(word, groupDescription(specs, [...(prefix ? prefix.split(' ') : []), word]));
    }
  }
  return tree;
}

function groupDescription(specs: readonly CommandSpec[], prefix: string[]): string {
  const under = specs.find((s) => [s.words, ...s.aliases].some((p) => prefix.every((w, i) => p[i] === w)));
  return under?.category && under.category !== 'Other' ? under.category : `${prefix.join(' ')} commands`;
}

/** Every spelling of every command -> its primary words. */
export function canonicalPaths(specs: readonly CommandSpec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of specs) for (const p of [s.words, ...s.aliases]) out.set(p.join(' '), s.words.join(' '));
  return out;
}
