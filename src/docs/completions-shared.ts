/**
 * What the three completion renderers share: quoting, the tables of commands,
 * options and arguments they embed, and the header. Shell completions for bash, zsh and fish, rendered from the command specs
 * (clipanion's definitions) so they never drift from the commands. Pure: specs
 * in, script text out. Each script holds the command tree, the options of each
 * command and what each argument names as data, plus one small walker over the
 * words typed so far; live names (networks, sandboxes) come from
 * `cnm net ls --format '{{.Name}}'` and `cnm sandbox ls --format '{{.Name}}'`.
 */
import { type CommandSpec, type ObjectKind, canonicalPaths, commandTree, optionKind, positionalKind } from './spec.js';

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: Shell[] = ['bash', 'zsh', 'fish'];

export const HELP = { names: ['--help', '-h'], takesValue: false, description: 'Show the help of this command' };

/** Single-quoted for sh-like shells. */
export function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Single-quoted for fish (which escapes \ and ' inside single quotes). */
export function fq(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface Tables {
  children: [string, [string, string][]][];
  commands: [string, string[]][];
  options: [string, { names: string[]; description: string }[]][];
  optargs: [string, [string, ObjectKind | 'value'][]][];
  positionals: [string, string[]][];
}

export function tables(specs: readonly CommandSpec[]): Tables {
  const tree = commandTree(specs);
  const canon = canonicalPaths(specs);
  const byCanon = new Map<string, string[]>();
  for (const [spelling, c] of canon) byCanon.set(c, [...(byCanon.get(c) ?? []), spelling]);
  return {
    children: [...tree].map(([prefix, kids]) => [prefix, [...kids]]),
    commands: [...byCanon].map(([c, spellings]) => [c, spellings]),
    options: specs.map((s) => [s.words.join(' '), [...s.options, HELP].map((o) => ({ names: o.names, description: o.description }))]),
    optargs: specs.map((s) => [
      s.words.join(' '),
      s.options.filter((o) => o.takesValue).flatMap((o) => o.names.map((n): [string, ObjectKind | 'value'] => [n, optionKind(o) === 'none' ? 'value' : optionKind(o)])),
    ]),
    positionals: specs.map((s) => {
      const kinds: string[] = s.positionals.map((p) => positionalKind(s, p));
      if (s.positionals[s.positionals.length - 1]?.rest) kinds.push('...');
      return [s.words.join(' '), kinds];
    }),
  };
}

export const HEADER = (shell: Shell) =>
  [
    `# ${shell} completion for cnm.`,
    "# Generated from cnm's command definitions by `npx bun scripts/gen-docs.ts`; do not edit by hand.",
  ].join('\n');
