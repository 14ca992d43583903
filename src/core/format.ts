/**
 * `--format` templates: a small, Go-template-like language over the JSON
 * views (what `--json` prints), after docker's `--format`:
 *
 *   {{.Name}}  {{.IPAM.Config}}  {{.}}          field paths (objects and arrays print as JSON)
 *   {{json .Containers}}                        the value as compact JSON
 *   {{join .Aliases ","}}                       an array joined by a separator
 *   {{len .Containers}} {{upper .Name}} {{lower .Driver}}
 *   {{index .Containers "KEY"}} {{index .IPAM.Config 0}}
 *
 * Text outside `{{ }}` is printed as is, with `\t` and `\n` turned into a tab
 * and a newline. A path that does not exist prints `<no value>`, as in Go.
 * Pure: compile once, apply to each object.
 */
import { UsageError } from './errors.js';

type Arg = { kind: 'path'; path: string[] } | { kind: 'str'; value: string } | { kind: 'num'; value: number };
type Part = { kind: 'text'; text: string } | { kind: 'action'; fn: string | undefined; args: Arg[] };

export type Template = (value: unknown) => string;

const FUNCS: Record<string, { min: number; max: number }> = {
  json: { min: 1, max: 1 },
  join: { min: 2, max: 2 },
  len: { min: 1, max: 1 },
  upper: { min: 1, max: 1 },
  lower: { min: 1, max: 1 },
  index: { min: 2, max: 9 },
};

const NO_VALUE = Symbol('no value');

/** Text already rendered (the output of json), printed as is. */
class Raw {
  constructor(readonly text: string) {}
}

function bad(template: string, why: string): UsageError {
  return new UsageError(`invalid --format "${template}": ${why}`);
}

function unescape(text: string): string {
  return text.replace(/\\([tn\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : '\\'));
}

/** Splits an action's inside into words, keeping "quoted strings" whole. */
function words(inner: string, template: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|[^\s"]+)/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(inner)) !== null) {
    out.push(m[1]!);
    last = re.lastIndex;
  }
  if (inner.slice(last).trim() !== '') throw bad(template, `cannot read "${inner.trim()}"`);
  return out;
}

function parseArg(word: string, template: string): Arg {
  if (word === '.') return { kind: 'path', path: [] };
  if (/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(word)) return { kind: 'path', path: word.slice(1).split('.') };
  if (word.startsWith('"')) return { kind: 'str', value: JSON.parse(word) as string };
  if (/^-?\d+$/.test(word)) return { kind: 'num', value: Number(word) };
  throw bad(template, `"${word}" is not a field path like .Name`);
}

/** Compiles a template; a malformed one is bad usage (exit 2). */
export function compileTemplate(template: string): Template {
  const parts: Part[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{{');
    if (open < 0) {
      if (rest.includes('}}')) throw bad(template, 'unmatched "}}"');
      parts.push({ kind: 'text', text: unescape(rest) });
      break;
    }
    if (open > 0) {
      if (rest.slice(0, open).includes('}}')) throw bad(template, 'unmatched "}}"');
      parts.push({ kind: 'text', text: unescape(rest.slice(0, open)) });
    }
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw bad(template, 'unclosed "{{"');
    const ws = words(rest.slice(open + 2, close), template);
    if (ws.length === 0) throw bad(template, 'empty action "{{}}"');
    const head = ws[0]!;
    if (head.startsWith('.')) {
      if (ws.length > 1) throw bad(template, `unexpected "${ws[1]}" after ${head}`);
      parts.push({ kind: 'action', fn: undefined, args: [parseArg(head, template)] });
    } else {
      const spec = FUNCS[head];
      if (!spec) throw bad(template, `unknown function "${head}" (known: ${Object.keys(FUNCS).join(', ')})`);
      const args = ws.slice(1).map((w) => parseArg(w, template));
      if (args.length < spec.min || args.length > spec.max) throw bad(template, `${head} takes ${spec.min === spec.max ? spec.min : `${spec.min} or more`} argument(s)`);
      parts.push({ kind: 'action', fn: head, args });
    }
    rest = rest.slice(close + 2);
  }
  return (value) => parts.map((p) => (p.kind === 'text' ? p.text : show(evalAction(p, value)))).join('');
}

function lookup(value: unknown, path: readonly string[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || !(key in cur)) return NO_VALUE;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function argValue(arg: Arg, value: unknown): unknown {
  return arg.kind === 'path' ? lookup(value, arg.path) : arg.value;
}

function evalAction(p: Extract<Part, { kind: 'action' }>, value: unknown): unknown {
  const vals = p.args.map((a) => argValue(a, value));
  const v = vals[0];
  switch (p.fn) {
    case undefined:
      return v;
    case 'json':
      return v === NO_VALUE ? NO_VALUE : new Raw(JSON.stringify(v));
    case 'join':
      return Array.isArray(v) ? v.map((x) => show(x)).join(String(vals[1])) : v;
    case 'len':
      if (Array.isArray(v) || typeof v === 'string') return v.length;
      return v !== null && typeof v === 'object' ? Object.keys(v).length : 0;
    case 'upper':
      return typeof v === 'string' ? v.toUpperCase() : v;
    case 'lower':
      return typeof v === 'string' ? v.toLowerCase() : v;
    case 'index': {
      let cur = v;
      for (const k of vals.slice(1)) cur = lookup(cur, [String(k)]);
      return cur;
    }
    default:
      return NO_VALUE;
  }
}

function show(v: unknown): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Raw) return v.text;
  return JSON.stringify(v);
}

/** Renders each object through the template, one line per object. */
export function renderEach(template: string, items: readonly unknown[]): string {
  const t = compileTemplate(template);
  return items.map((i) => `${t(i)}\n`).join('');
}
