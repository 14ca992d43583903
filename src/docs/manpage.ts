/**
 * The man page cnm(1), rendered as roff from the command specs (clipanion's
 * definitions) plus the hand-written overview in overview.ts. Pure: specs in,
 * roff text out.
 */
import { OVERVIEW, type Section } from './overview.js';
import { valueName, type CommandSpec, type OptionSpec } from './spec.js';

/**
 * Escapes prose for roff: backslashes, and a leading dot or quote. Long
 * unbreakable words (a port SPEC grammar) get invisible break points (\\:)
 * after brackets, slashes and bars, so filling never overflows the line.
 */
export function roffText(s: string): string {
  return s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/\S{30,}/g, (word) => word.replace(/([\]/|,])(?=\S)/g, '$1\\:'))
    .replace(/`([^`]+)`/g, (_, code: string) => `\\fB${code.replace(/-/g, '\\-')}\\fR`);
}

/** Escapes literal command text: also makes every hyphen a real minus (copy-paste safe). */
export function roffCode(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

function optionLine(o: OptionSpec): string {
  const names = o.names.map((n) => `\\fB${roffCode(n)}\\fR`).join(', ');
  return o.takesValue ? `${names} \\fI${valueName(o.names.find((n) => n.startsWith('--'))?.slice(2) ?? 'value')}\\fR` : names;
}

function synopsis(s: CommandSpec, global: ReadonlySet<string>): string {
  const pos = s.positionals.map((p) => {
    const name = `\\fI${roffCode(p.name)}\\fR`;
    const one = p.required ? name : `[${name}]`;
    return p.rest ? `${one} ...` : one;
  });
  const hasOpts = s.options.some((o) => !global.has(o.names[0]!));
  return [`\\fBcnm ${s.words.join(' ')}\\fR`, ...(hasOpts ? ['[\\fIOPTIONS\\fR]'] : []), ...pos].join(' ');
}

function commandSection(s: CommandSpec, global: ReadonlySet<string>): string[] {
  const out = ['.TP', synopsis(s, global), `${roffText(s.description)}.`];
  if (s.aliases.length > 0) out.push(`Also spelled ${s.aliases.map((a) => `\\fBcnm ${roffCode(a.join(' '))}\\fR`).join(', ')}.`);
  for (const p of s.details) out.push('.IP', roffText(p));
  const opts = s.options.filter((o) => !global.has(o.names[0]!));
  if (opts.length > 0) {
    out.push('.RS');
    for (const o of opts) out.push('.TP', optionLine(o), roffText(o.description || '(no description)'));
    out.push('.RE');
  }
  if (s.examples.length > 0) {
    out.push('.IP', 'Examples:', '.RS', '.PP');
    for (const e of s.examples) out.push(`${roffText(e.description.replace(/\.$/, ''))}:`, '.RS 4', '.nf', roffCode(e.command), '.fi', '.RE');
    out.push('.RE');
  }
  return out;
}

function section(sec: Section): string[] {
  const out = [`.SH ${sec.title}`];
  for (const block of sec.blocks) {
    if (block.kind === 'p') out.push('.PP', roffText(block.text));
    else if (block.kind === 'item') out.push('.TP', `\\fB${roffCode(block.term)}\\fR`, roffText(block.text));
    else if (block.kind === 'sub') out.push(`.SS ${block.title}`);
    else out.push('.PP', '.RS 4', '.nf', roffCode(block.text.replace(/\n$/, '')), '.fi', '.RE');
  }
  return out;
}

/** Options every command has (documented once, under GLOBAL OPTIONS). */
export function globalOptions(specs: readonly CommandSpec[]): OptionSpec[] {
  const first = specs[0]?.options ?? [];
  return first.filter((o) => specs.every((s) => s.options.some((x) => x.names[0] === o.names[0])));
}

export function renderManPage(specs: readonly CommandSpec[], version: string): string {
  const globals = globalOptions(specs);
  const global = new Set(globals.map((o) => o.names[0]!));
  const byCategory = new Map<string, CommandSpec[]>();
  for (const s of specs) byCategory.set(s.category, [...(byCategory.get(s.category) ?? []), s]);
  const pick = (title: string) => OVERVIEW.filter((s) => s.title === title).flatMap(section);
  const lines = [
    `.\\" Generated from cnm's command definitions and src/docs/overview.ts by \`npx bun scripts/gen-docs.ts\`; do not edit.`,
    `.TH CNM 1 "" "cnm ${version}" "User Commands"`,
    '.SH NAME',
    'cnm \\- build container networks on Linux the way Docker\'s Container Network Model describes them',
    '.SH SYNOPSIS',
    '\\fBcnm\\fR \\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGS\\fR]',
    '.br',
    '\\fBcnm\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR',
    '.br',
    '\\fBcnm \\-\\-version\\fR',
    ...pick('DESCRIPTION'),
    ...pick('CONCEPTS'),
    '.SH COMMANDS',
    ...[...byCategory].flatMap(([cat, list]) => [`.SS ${cat}`, ...list.flatMap((s) => commandSection(s, global))]),
    '.SH GLOBAL OPTIONS',
    '.PP',
    'Every command accepts these after its command words, like any other option.',
    ...globals.flatMap((o) => ['.TP', optionLine(o), roffText(o.description)]),
    '.TP',
    '\\fB\\-\\-help\\fR, \\fB\\-h\\fR',
    'Show the help of a command.',
    ...OVERVIEW.filter((s) => !['DESCRIPTION', 'CONCEPTS'].includes(s.title)).flatMap(section),
  ];
  return lines.join('\n') + '\n';
}

export const MAN_FILE = 'man/cnm.1';
