/**
 * Executes a parsed template over one value, as Go's text/template does:
 * dot moves with `range` and `with`, variables are scoped to their block,
 * the last command of a pipeline gets the previous result as its last
 * argument. A struct field that does not exist is an error naming the field
 * and the fields that do (exit 2), never a silent `<no value>`.
 */
import { FUNCS } from './funcs.js';
import { type Block, type Command, type Node, type Operand, type Pipeline } from './parse.js';
import { isMap, isObject, keysOf, NO_VALUE, show, TemplateError, truth, typeName, type Value } from './value.js';

class Break {}
class Continue {}

interface Scope {
  vars: { name: string; value: Value }[];
}

function lookupVar(scope: Scope, name: string): Value {
  for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i]!.name === name) return scope.vars[i]!.value;
  throw new TemplateError(`undefined variable "${name}"`);
}

function setVar(scope: Scope, name: string, value: Value): void {
  for (let i = scope.vars.length - 1; i >= 0; i--) {
    if (scope.vars[i]!.name === name) {
      scope.vars[i]!.value = value;
      return;
    }
  }
  throw new TemplateError(`undefined variable "${name}"`);
}

/** Walks `.A.B.C` from a value; `path` is what was walked before, for messages. */
function field(v: Value, chain: readonly string[], path: string): Value {
  let cur = v;
  let at = path;
  for (const name of chain) {
    if (isMap(cur)) {
      cur = Object.hasOwn(cur, name) ? cur[name] : NO_VALUE;
    } else if (isObject(cur)) {
      if (!Object.hasOwn(cur, name)) {
        throw new TemplateError(`${at}.${name} does not exist (${at || '.'} has: ${Object.keys(cur).join(', ') || 'no fields'})`);
      }
      cur = cur[name];
    } else if (cur === NO_VALUE || cur === null || cur === undefined) {
      // A field of an absent value (a missing map key, a null) is absent too.
      cur = NO_VALUE;
    } else {
      throw new TemplateError(`can't evaluate field ${name} in type ${typeName(cur)} (${at || '.'} is ${show(cur)})`);
    }
    at = `${at}.${name}`;
  }
  return cur;
}

export class Executor {
  private out = '';

  constructor(private readonly root: Value) {}

  run(nodes: Node[]): string {
    this.out = '';
    this.list(nodes, this.root, { vars: [{ name: '$', value: this.root }] });
    return this.out;
  }

  private list(nodes: Node[], dot: Value, scope: Scope): void {
    const mark = scope.vars.length;
    try {
      for (const n of nodes) this.node(n, dot, scope);
    } finally {
      scope.vars.length = mark;
    }
  }

  private node(n: Node, dot: Value, scope: Scope): void {
    switch (n.kind) {
      case 'text':
        this.out += n.text;
        return;
      case 'action': {
        const v = this.pipeline(n.pipe, dot, scope);
        if (n.pipe.decl.length === 0) this.out += show(v);
        return;
      }
      case 'if':
      case 'with': {
        const mark = scope.vars.length;
        const v = this.pipeline(n.pipe, dot, scope);
        try {
          if (truth(v)) this.list(n.list, n.kind === 'with' ? v : dot, scope);
          else this.list(n.elseList, dot, scope);
        } finally {
          scope.vars.length = mark;
        }
        return;
      }
      case 'range':
        this.range(n, dot, scope);
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private range(n: Block, dot: Value, scope: Scope): void {
    const v = this.pipeline({ ...n.pipe, decl: [] }, dot, scope);
    let items: [Value, Value][];
    if (Array.isArray(v)) items = v.map((x, i) => [i, x]);
    else if (isObject(v)) items = keysOf(v).map((k) => [k, v[k]]);
    else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i]);
    else if (v === NO_VALUE || v === null || v === undefined) items = [];
    else throw new TemplateError(`range can't iterate over ${show(v)}`);
    if (items.length === 0) {
      this.list(n.elseList, dot, scope);
      return;
    }
    const [a, b] = n.pipe.decl;
    for (const [key, elem] of items) {
      const mark = scope.vars.length;
      if (a !== undefined && b !== undefined) scope.vars.push({ name: a, value: key }, { name: b, value: elem });
      else if (a !== undefined) scope.vars.push({ name: a, value: elem });
      try {
        this.list(n.list, elem, scope);
      } catch (e) {
        if (e instanceof Break) break;
        if (!(e instanceof Continue)) throw e;
      } finally {
        scope.vars.length = mark;
      }
    }
  }

  private pipeline(p: Pipeline, dot: Value, scope: Scope): Value {
    let v: Value = NO_VALUE;
    let first = true;
    for (const cmd of p.cmds) {
      v = this.command(cmd, dot, scope, first ? undefined : { value: v });
      first = false;
    }
    for (const name of p.decl) {
      if (p.assign) setVar(scope, name, v);
      else scope.vars.push({ name, value: v });
    }
    return v;
  }

  private command(cmd: Command, dot: Value, scope: Scope, piped: { value: Value } | undefined): Value {
    const [head, ...rest] = cmd.args;
    if (head!.kind === 'func') {
      const f = FUNCS[head!.name];
      if (!f) throw new TemplateError(`function "${head!.name}" not defined (known: ${Object.keys(FUNCS).sort().join(', ')})`);
      const args = rest.map((a) => this.operand(a, dot, scope));
      if (piped) args.push(piped.value);
      if (args.length < f.min || args.length > f.max) {
        const want = f.min === f.max ? `${f.min}` : f.max >= 1_000 ? `at least ${f.min}` : `${f.min} to ${f.max}`;
        throw new TemplateError(`wrong number of arguments for ${head!.name}: want ${want}, got ${args.length}`);
      }
      return f.call(args);
    }
    if (rest.length > 0 || piped) {
      throw new TemplateError(`can't give an argument to non-function ${describe(head!)}`);
    }
    return this.operand(head!, dot, scope);
  }

  private operand(o: Operand, dot: Value, scope: Scope): Value {
    switch (o.kind) {
      case 'dot':
        return dot;
      case 'field':
        return field(dot, o.chain, '');
      case 'var':
        return field(lookupVar(scope, o.name), o.chain, o.name);
      case 'lit':
        return o.value;
      case 'pipe': {
        const mark = scope.vars.length;
        try {
          return field(this.pipeline(o.pipe, dot, scope), o.chain, '(...)');
        } finally {
          scope.vars.length = mark;
        }
      }
      case 'func': {
        // A function named as an argument is called with no arguments, as in Go.
        return this.command({ args: [o] }, dot, scope, undefined);
      }
    }
  }
}

function describe(o: Operand): string {
  switch (o.kind) {
    case 'field':
      return `.${o.chain.join('.')}`;
    case 'var':
      return [o.name, ...o.chain].join('.');
    case 'lit':
      return JSON.stringify(o.value);
    default:
      return o.kind === 'dot' ? '.' : '(...)';
  }
}
