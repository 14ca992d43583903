/**
 * The parser of Go's text/template, as Docker's `--format` uses it: text and
 * `{{actions}}` (with `{{-`/`-}}` trimming and comments), pipelines with
 * `|`, parentheses, variables (`$x := ...`, `$x = ...`, `$`), field chains
 * (`.A.B`, `$x.A`, `(pipe).A`), literals, and the control structures
 * `if`/`else if`/`else`, `range` (with `$i, $e :=`, `else`, `break`,
 * `continue`), `with`/`else with`, `end`. Pure: text in, tree out; a
 * malformed template is a UsageError (exit 2).
 */
import { FUNCS } from './funcs.js';
import { TemplateError } from './value.js';

export type Operand =
  | { kind: 'dot'; chain: string[] }
  | { kind: 'field'; chain: string[] }
  | { kind: 'var'; name: string; chain: string[] }
  | { kind: 'func'; name: string }
  | { kind: 'lit'; value: string | number | boolean | null }
  | { kind: 'pipe'; pipe: Pipeline; chain: string[] };

export interface Command {
  args: Operand[];
}

export interface Pipeline {
  decl: string[];
  /** `=` assigns to declared variables; `:=` declares new ones. */
  assign: boolean;
  cmds: Command[];
}

export interface Block {
  kind: 'if' | 'with' | 'range';
  pipe: Pipeline;
  list: Node[];
  elseList: Node[];
}

export type Node = { kind: 'text'; text: string } | { kind: 'action'; pipe: Pipeline } | Block | { kind: 'break' | 'continue' };

type TokKind = 'str' | 'num' | 'field' | 'dot' | 'var' | 'ident' | '(' | ')' | '|' | ',' | ':=' | '=';
interface Tok {
  kind: TokKind;
  text: string;
  /** No white space before it: what makes `(x).A` and `$v.A` one operand. */
  adjacent: boolean;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

/** Splits a template into text pieces and action sources, applying trim markers and dropping comments. */
function split(src: string): { kind: 'text' | 'action'; text: string }[] {
  const out: { kind: 'text' | 'action'; text: string }[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text.includes('}}')) throw new TemplateError(`unexpected "}}" in text`);
      if (text) out.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (/^-\s/.test(src.slice(start, start + 2))) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text.includes('}}')) throw new TemplateError(`unexpected "}}" in text`);
    if (text) out.push({ kind: 'text', text });
    const end = findClose(src, start);
    let inner = src.slice(start, end);
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    i = end + 2;
    const t = inner.trim();
    if (t.startsWith('/*')) {
      if (!t.endsWith('*/')) throw new TemplateError('unclosed comment');
      continue;
    }
    out.push({ kind: 'action', text: inner });
  }
  return out;
}

function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '"' || c === '`' || c === "'") {
      const j = skipQuoted(src, i);
      if (j < 0) break;
      i = j;
      continue;
    }
    if (src.startsWith('}}', i)) return i;
    i++;
  }
  throw new TemplateError('unclosed "{{"');
}

/** The index after the quoted literal that starts at i, or -1 if it never ends. */
function skipQuoted(src: string, i: number): number {
  const q = src[i]!;
  for (let j = i + 1; j < src.length; j++) {
    if (q !== '`' && src[j] === '\\') {
      j++;
      continue;
    }
    if (src[j] === q) return j + 1;
  }
  return -1;
}

function lex(action: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let adjacent = true;
  const push = (kind: TokKind, text: string) => {
    toks.push({ kind, text, adjacent });
    adjacent = true;
  };
  while (i < action.length) {
    const c = action[i]!;
    const rest = action.slice(i);
    if (/\s/.test(c)) {
      adjacent = false;
      i++;
      continue;
    }
    if (c === '"' || c === '`' || c === "'") {
      const j = skipQuoted(action, i);
      if (j < 0) throw new TemplateError(`unterminated quoted string in "${action.trim()}"`);
      const raw = action.slice(i, j);
      if (c === "'") push('num', String(unquote(`"${raw.slice(1, -1)}"`).codePointAt(0) ?? 0));
      else push('str', c === '`' ? raw.slice(1, -1) : unquote(raw));
      i = j;
      continue;
    }
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^:=/))) push(':=', m[0]);
    else if ('()|,='.includes(c)) push(c as TokKind, c);
    else if ((m = rest.match(/^\.[A-Za-z_][A-Za-z0-9_]*/))) push('field', m[0].slice(1));
    else if ((m = rest.match(/^[-+]?(0[xX][0-9a-fA-F]+|\d+(\.\d+)?([eE][-+]?\d+)?)/))) push('num', m[0]);
    else if (c === '.') push('dot', '.');
    else if ((m = rest.match(/^\$[A-Za-z0-9_]*/))) push('var', m[0]);
    else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) push('ident', m[0]);
    else throw new TemplateError(`unexpected "${c}" in "${action.trim()}"`);
    i += m ? m[0].length : 1;
  }
  return toks;
}

function unquote(lit: string): string {
  try {
    return JSON.parse(lit.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b')) as string;
  } catch {
    throw new TemplateError(`bad string literal ${lit}`);
  }
}

/** Reads one action's tokens: a pipeline, possibly headed by a keyword. */
class Tokens {
  private i = 0;
  constructor(
    private readonly toks: Tok[],
    readonly source: string,
  ) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok | undefined {
    return this.toks[this.i++];
  }
  done(): boolean {
    return this.i >= this.toks.length;
  }
  mark(): number {
    return this.i;
  }
  reset(to: number): void {
    this.i = to;
  }
  fail(why: string): TemplateError {
    return new TemplateError(`${why} in "{{${this.source.trim()}}}"`);
  }
}

function parsePipeline(t: Tokens, allowDecl: boolean, maxDecl: number): Pipeline {
  const decl: string[] = [];
  let assign = false;
  // A declaration looks ahead: `$a :=`, `$a =`, `$a, $b :=`.
  const save = t.mark();
  if (allowDecl && t.peek()?.kind === 'var') {
    const names: string[] = [t.next()!.text];
    while (t.peek()?.kind === ',' && names.length < maxDecl) {
      t.next();
      const v = t.next();
      if (v?.kind !== 'var') throw t.fail('expected a variable after ","');
      names.push(v.text);
    }
    const op = t.peek();
    if (op && (op.kind === ':=' || op.kind === '=')) {
      t.next();
      decl.push(...names);
      assign = op.kind === '=';
    } else {
      t.reset(save);
    }
  }
  const cmds: Command[] = [];
  for (;;) {
    const args: Operand[] = [];
    while (!t.done() && t.peek()!.kind !== '|' && t.peek()!.kind !== ')') args.push(parseOperand(t));
    if (args.length === 0) throw t.fail(cmds.length === 0 && decl.length === 0 ? 'missing value' : 'missing command after "|"');
    cmds.push({ args });
    if (t.peek()?.kind !== '|') break;
    t.next();
  }
  return { decl, assign, cmds };
}

function chainAfter(t: Tokens): string[] {
  const chain: string[] = [];
  while (t.peek()?.kind === 'field' && t.peek()!.adjacent) chain.push(t.next()!.text);
  return chain;
}

function parseOperand(t: Tokens): Operand {
  const tok = t.next()!;
  switch (tok.kind) {
    case 'field':
      return { kind: 'field', chain: [tok.text, ...chainAfter(t)] };
    case 'dot':
      return { kind: 'dot', chain: [] };
    case 'var':
      return { kind: 'var', name: tok.text, chain: chainAfter(t) };
    case 'str':
      return { kind: 'lit', value: tok.text };
    case 'num':
      return { kind: 'lit', value: Number(tok.text) };
    case '(': {
      const pipe = parsePipeline(t, true, 1);
      if (t.next()?.kind !== ')') throw t.fail('unclosed "("');
      return { kind: 'pipe', pipe, chain: chainAfter(t) };
    }
    case 'ident':
      if (tok.text === 'true' || tok.text === 'false') return { kind: 'lit', value: tok.text === 'true' };
      if (tok.text === 'nil') return { kind: 'lit', value: null };
      if (KEYWORDS.has(tok.text)) throw t.fail(`unexpected keyword "${tok.text}"`);
      if (!Object.hasOwn(FUNCS, tok.text)) throw new TemplateError(`function "${tok.text}" not defined (known: ${Object.keys(FUNCS).sort().join(', ')})`);
      return { kind: 'func', name: tok.text };
    default:
      throw t.fail(`unexpected "${tok.text}"`);
  }
}

type Piece = { kind: 'text' | 'action'; text: string };

class Parser {
  private i = 0;
  constructor(private readonly pieces: Piece[]) {}

  /** Parses nodes until `end` or `else` (when inside a block) or the end of input. */
  list(inBlock: string | undefined, inRange: boolean): { nodes: Node[]; stop: 'end' | 'else' | 'eof'; elseToks?: Tokens } {
    const nodes: Node[] = [];
    while (this.i < this.pieces.length) {
      const p = this.pieces[this.i++]!;
      if (p.kind === 'text') {
        nodes.push({ kind: 'text', text: p.text });
        continue;
      }
      const t = new Tokens(lex(p.text), p.text);
      const head = t.peek();
      if (!head) throw new TemplateError('empty action "{{}}"');
      const kw = head.kind === 'ident' && KEYWORDS.has(head.text) ? head.text : undefined;
      if (kw === 'end' || kw === 'else') {
        if (!inBlock) throw t.fail(`unexpected "${kw}"`);
        t.next();
        if (kw === 'end' && !t.done()) throw t.fail('unexpected words after "end"');
        return { nodes, stop: kw, elseToks: t };
      }
      if (kw === 'if' || kw === 'with' || kw === 'range') {
        t.next();
        nodes.push(this.block(kw, t, inRange));
        continue;
      }
      if (kw === 'break' || kw === 'continue') {
        if (!inRange) throw t.fail(`"${kw}" outside of range`);
        nodes.push({ kind: kw });
        continue;
      }
      if (kw) throw t.fail(`"${kw}" is not supported by cnm's templates`);
      const pipe = parsePipeline(t, true, 1);
      if (!t.done()) throw t.fail(`unexpected "${t.peek()!.text}"`);
      nodes.push({ kind: 'action', pipe });
    }
    if (inBlock) throw new TemplateError(`unexpected end of template: "{{${inBlock}}}" has no "{{end}}"`);
    return { nodes, stop: 'eof' };
  }

  private block(kind: 'if' | 'with' | 'range', t: Tokens, inRange: boolean): Node {
    const pipe = parsePipeline(t, true, kind === 'range' ? 2 : 1);
    if (!t.done()) throw t.fail(`unexpected "${t.peek()!.text}"`);
    const bodyInRange = kind === 'range' || inRange;
    const body = this.list(kind, bodyInRange);
    let elseList: Node[] = [];
    if (body.stop === 'else') {
      const et = body.elseToks!;
      const next = et.peek();
      // `{{else if ...}}` / `{{else with ...}}` is an else branch holding one nested block.
      if (next?.kind === 'ident' && (next.text === 'if' || next.text === 'with') && kind === next.text) {
        et.next();
        elseList = [this.block(kind, et, inRange)];
      } else {
        if (!et.done()) throw et.fail('unexpected words after "else"');
        const rest = this.list(kind, inRange);
        if (rest.stop !== 'end') throw new TemplateError(`expected "{{end}}" after "{{else}}" of ${kind}`);
        elseList = rest.nodes;
      }
    }
    return { kind, pipe, list: body.nodes, elseList };
  }
}

/** Parses a whole template into its node list. */
export function parseTemplate(src: string): Node[] {
  return new Parser(split(src)).list(undefined, false).nodes;
}
