/**
 * The functions a template can call: Go's builtins (and, or, not, len, index,
 * print, printf, println, eq, ne, lt, le, gt, ge, slice) and Docker's
 * (json, join, split, lower, upper, title, pad, truncate).
 */
import { isObject, NO_VALUE, show, TemplateError, truth, typeName, type Value } from './value.js';

type Func = { min: number; max: number; call: (args: Value[]) => Value };

function str(v: Value, fn: string): string {
  if (typeof v === 'string') return v;
  if (v === NO_VALUE || v === null || v === undefined) return '';
  throw new TemplateError(`${fn} expects a string, got ${typeName(v)} ${show(v)}`);
}

function int(v: Value, fn: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new TemplateError(`${fn} expects an integer, got ${typeName(v)} ${show(v)}`);
}

/** Docker's json: Go's json.Marshal, no trailing newline; a missing value is null. */
function json(v: Value): string {
  return JSON.stringify(v === NO_VALUE || v === undefined ? null : v);
}

function index(args: Value[]): Value {
  let cur = args[0];
  for (const k of args.slice(1)) {
    if (Array.isArray(cur) || typeof cur === 'string') {
      const i = int(k, 'index');
      if (i < 0 || i >= cur.length) throw new TemplateError(`index out of range: ${i} (length ${cur.length})`);
      cur = typeof cur === 'string' ? cur.charCodeAt(i) : cur[i];
    } else if (isObject(cur)) {
      // Go's index of a missing map key is the element's zero value: here the empty string.
      cur = Object.hasOwn(cur, String(k)) ? cur[String(k)] : '';
    } else if (cur === NO_VALUE || cur === null || cur === undefined) {
      throw new TemplateError(`index of untyped nil`);
    } else {
      throw new TemplateError(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function len(v: Value): number {
  if (Array.isArray(v) || typeof v === 'string') return v.length;
  if (isObject(v)) return Object.keys(v).length;
  throw new TemplateError(`len of ${typeName(v)}`);
}

function basicKind(v: Value): string {
  if (v === null || v === NO_VALUE || v === undefined) return 'nil';
  return typeof v;
}

function eq(args: Value[]): boolean {
  const [a, ...rest] = args;
  return rest.some((b) => {
    if (basicKind(a) !== basicKind(b)) {
      if (basicKind(a) === 'nil' || basicKind(b) === 'nil') return false;
      throw new TemplateError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
    }
    if (typeof a === 'object' && a !== null) throw new TemplateError(`can't compare ${typeName(a)}`);
    return a === b || (basicKind(a) === 'nil' && basicKind(b) === 'nil');
  });
}

function order(args: Value[], op: string): number {
  const [a, b] = args;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) {
    throw new TemplateError(`${op}: incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  return (a as number) < (b as number) ? -1 : a === b ? 0 : 1;
}

/** fmt.Sprint: a space between operands when neither side is a string. */
function sprint(args: Value[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += show(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs scripts use: %v %s %d %q %x %X %o %b %f %e %g %t %c %%, with flags, width and precision. */
export function sprintf(format: string, args: Value[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g, (_m, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    const w = width === '*' ? Number(args[n++]) : width !== undefined ? Number(width) : undefined;
    const p = prec === '*' ? Number(args[n++]) : prec !== undefined ? Number(prec) : undefined;
    if (n >= args.length) return `%!${verb}(MISSING)`;
    const a = args[n++];
    let s: string;
    switch (verb) {
      case 'v':
      case 's':
        s = show(a);
        if (p !== undefined) s = [...s].slice(0, p).join('');
        break;
      case 'q':
        s = JSON.stringify(typeof a === 'string' ? a : show(a));
        break;
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeName(a)}=${show(a)})`;
        if (flags.includes('+') && typeof a === 'number' && a >= 0) s = `+${s}`;
        break;
      case 'x':
      case 'X':
      case 'o':
      case 'b': {
        const radix = verb === 'o' ? 8 : verb === 'b' ? 2 : 16;
        s = typeof a === 'number' ? Math.trunc(a).toString(radix) : typeof a === 'string' ? [...Buffer.from(a)].map((c) => c.toString(16).padStart(2, '0')).join('') : show(a);
        if (verb === 'X') s = s.toUpperCase();
        break;
      }
      case 'f':
      case 'F':
        s = typeof a === 'number' ? a.toFixed(p ?? 6) : `%!f(${typeName(a)}=${show(a)})`;
        break;
      case 'e':
        s = typeof a === 'number' ? a.toExponential(p ?? 6).replace(/e([-+])(\d)$/, 'e$10$2') : `%!e(${typeName(a)}=${show(a)})`;
        break;
      case 'g':
        s = typeof a === 'number' ? (p !== undefined ? String(Number(a.toPrecision(p))) : String(a)) : `%!g(${typeName(a)}=${show(a)})`;
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : `%!t(${typeName(a)}=${show(a)})`;
        break;
      case 'c':
        s = typeof a === 'number' ? String.fromCodePoint(a) : `%!c(${typeName(a)}=${show(a)})`;
        break;
      default:
        s = `%!${verb}(${typeName(a)}=${show(a)})`;
    }
    if (w !== undefined && s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && /^[-+]?[\d.]+$/.test(s)) s = (s[0] === '-' || s[0] === '+' ? s[0] + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0'));
      else s = s.padStart(w);
    }
    return s;
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map((a) => `${typeName(a)}=${show(a)}`).join(', ')})` : '');
}

const VARIADIC = 1_000;

export const FUNCS: Record<string, Func> = {
  and: { min: 1, max: VARIADIC, call: (a) => a.find((x) => !truth(x)) ?? a[a.length - 1] },
  or: { min: 1, max: VARIADIC, call: (a) => a.find((x) => truth(x)) ?? a[a.length - 1] },
  not: { min: 1, max: 1, call: (a) => !truth(a[0]) },
  len: { min: 1, max: 1, call: (a) => len(a[0]) },
  index: { min: 1, max: VARIADIC, call: index },
  slice: {
    min: 1,
    max: 3,
    call: ([v, from, to]) => {
      if (!Array.isArray(v) && typeof v !== 'string') throw new TemplateError(`can't slice item of type ${typeName(v)}`);
      const i = from === undefined ? 0 : int(from, 'slice');
      const j = to === undefined ? v.length : int(to, 'slice');
      if (i < 0 || j > v.length || i > j) throw new TemplateError(`slice index out of range: [${i}:${j}] of length ${v.length}`);
      return v.slice(i, j);
    },
  },
  print: { min: 0, max: VARIADIC, call: sprint },
  println: { min: 0, max: VARIADIC, call: (a) => `${a.map((x) => show(x)).join(' ')}\n` },
  printf: { min: 1, max: VARIADIC, call: ([f, ...rest]) => sprintf(str(f, 'printf'), rest) },
  eq: { min: 2, max: VARIADIC, call: eq },
  ne: { min: 2, max: 2, call: (a) => !eq(a) },
  lt: { min: 2, max: 2, call: (a) => order(a, 'lt') < 0 },
  le: { min: 2, max: 2, call: (a) => order(a, 'le') <= 0 },
  gt: { min: 2, max: 2, call: (a) => order(a, 'gt') > 0 },
  ge: { min: 2, max: 2, call: (a) => order(a, 'ge') >= 0 },
  json: { min: 1, max: 1, call: (a) => json(a[0]) },
  join: {
    min: 2,
    max: 2,
    call: ([list, sep]) => {
      if (!Array.isArray(list)) throw new TemplateError(`join expects a list, got ${typeName(list)} ${show(list)}`);
      return list.map((x) => show(x)).join(str(sep, 'join'));
    },
  },
  split: { min: 2, max: 2, call: ([s, sep]) => (str(sep, 'split') === '' ? [...str(s, 'split')] : str(s, 'split').split(str(sep, 'split'))) },
  lower: { min: 1, max: 1, call: (a) => str(a[0], 'lower').toLowerCase() },
  upper: { min: 1, max: 1, call: (a) => str(a[0], 'upper').toUpperCase() },
  title: { min: 1, max: 1, call: (a) => str(a[0], 'title').replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()) },
  pad: { min: 3, max: 3, call: ([s, l, r]) => ' '.repeat(Math.max(0, int(l, 'pad'))) + str(s, 'pad') + ' '.repeat(Math.max(0, int(r, 'pad'))) },
  truncate: { min: 2, max: 2, call: ([s, n]) => [...str(s, 'truncate')].slice(0, Math.max(0, int(n, 'truncate'))).join('') },
};
