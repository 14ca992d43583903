/**
 * `--format`: Go's text/template as Docker documents it, over the JSON views
 * (what `--json` prints). `table TEMPLATE` adds a header row and aligns the
 * tab-separated cells as Docker's tabwriter does; `json` prints each object
 * as one line of JSON. Text outside actions has `\t` and `\n` turned into a
 * tab and a newline, as Docker does. Pure: compile once, apply to each object.
 */
import { Executor } from './exec.js';
import { parseTemplate, type Node, type Operand, type Pipeline } from './parse.js';
import { TemplateError } from './value.js';

export { asMap } from './value.js';
export { TemplateError } from './value.js';

export type Template = (value: unknown) => string;

function unescapeText(nodes: Node[]): Node[] {
  return nodes.map((n) => {
    if (n.kind === 'text') return { kind: 'text', text: n.text.replace(/\\([tn\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\')) };
    if (n.kind === 'if' || n.kind === 'with' || n.kind === 'range') return { ...n, list: unescapeText(n.list), elseList: unescapeText(n.elseList) };
    return n;
  });
}

/** Compiles a template; a malformed one is bad usage (exit 2), and so is a missing field when applied. */
export function compileTemplate(template: string): Template {
  const nodes = named(template, () => unescapeText(parseTemplate(template)));
  return (value) => named(template, () => new Executor(value).run(nodes));
}

/** Runs f; a template error gets the template in front: `invalid --format "{{.Nope}}": .Nope does not exist ...`. */
function named<T>(template: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`invalid --format "${template.replace(/\n/g, '\\n')}": ${e.message}`);
    throw e;
  }
}

export interface RenderOptions {
  /** Column headers for `table` by field name, where the default (the name in capitals) is not Docker's. */
  headers?: Record<string, string>;
}

/** Renders each object through the template, one line per object (or a table, or JSON lines). */
export function renderEach(template: string, items: readonly unknown[], opts: RenderOptions = {}): string {
  if (template.trim() === 'json') template = '{{json .}}';
  const table = /^\s*table(\s|$)/.exec(template);
  if (!table) {
    const t = compileTemplate(template);
    return items.map((i) => `${t(i)}\n`).join('');
  }
  const nodes = named(template, () => unescapeText(parseTemplate(template.slice(table[0].length))));
  const header = nodes.map((n) => headerOf(n, opts.headers ?? {})).join('');
  const rows = items.map((i) => named(template, () => new Executor(i).run(nodes)));
  return tabwrite([header, ...rows].join('\n') + '\n');
}

/** `IPv4Address` -> `IPV4 ADDRESS`, `EndpointID` -> `ENDPOINT ID`. */
export function headerName(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]{2,})([A-Z][a-z])/g, '$1 $2').toUpperCase();
}

function firstField(p: Pipeline): string | undefined {
  for (const c of p.cmds) {
    for (const a of c.args) {
      const f = operandField(a);
      if (f) return f;
    }
  }
  return undefined;
}

function operandField(o: Operand): string | undefined {
  if ((o.kind === 'field' || o.kind === 'var' || o.kind === 'pipe') && o.chain.length > 0) return o.chain[o.chain.length - 1];
  if (o.kind === 'pipe') return firstField(o.pipe);
  return undefined;
}

/** A table's header cell for a node: the text as is, an action's field in capitals, nothing for blocks. */
function headerOf(n: Node, names: Record<string, string>): string {
  if (n.kind === 'text') return n.text;
  if (n.kind !== 'action' || n.pipe.decl.length > 0) return '';
  const f = firstField(n.pipe);
  return f === undefined ? '' : (names[f] ?? headerName(f));
}

/** Go's tabwriter as Docker configures it: minimum cell width 10, padding 3, tab-terminated cells aligned. */
export function tabwrite(text: string, minWidth = 10, padding = 3): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const cells of lines) {
    cells.slice(0, -1).forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, minWidth, [...c].length + padding);
    });
  }
  return lines.map((cells) => cells.map((c, i) => (i < cells.length - 1 ? c + ' '.repeat(widths[i]! - [...c].length) : c)).join('')).join('\n');
}
