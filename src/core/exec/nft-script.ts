/**
 * nft scripts as a dry run prints them: the least script that does the same
 * work on a host whose rule set matches the state the plans were made from.
 *
 * The scripts the executor runs are written to succeed whatever is there:
 * declarations (`add table|set|map|chain`) accept "exists", base chains are
 * rewritten whole (flush + add rule), and a teardown first (re)adds what it
 * deletes so a missing element or chain is not an error. Printed as they are,
 * one command repeats the base blocks once per network and shows an add before
 * each delete. `NftScripts` keeps what one dry run already printed and drops:
 *   - an `add` of an object (element, chain, set, map, table) that the same
 *     transaction deletes later: the delete alone is the work;
 *   - declarations that only guard deletes: in a transaction that adds nothing,
 *     or of an object it deletes in and adds nothing to;
 *   - a declaration already printed, and a `flush chain` block (the flush and
 *     the rules that follow it) identical to one already printed for that chain.
 */

type Stmt =
  | { kind: 'declare'; obj: string; text: string }
  | { kind: 'flush'; chain: string; text: string }
  | { kind: 'rule'; chain: string; text: string }
  | { kind: 'element'; verb: 'add' | 'delete'; set: string; elements: string[]; text: string }
  | { kind: 'delete'; obj: string; text: string }
  | { kind: 'other'; text: string };

/** "table inet cnm", "set inet cnm bridges" (maps share the sets' names), "chain inet cnm forward". */
const object = (type: string, name: string) => `${type === 'map' ? 'set' : type} ${name}`;

function parse(text: string): Stmt {
  let m = /^add (table) (\S+ \S+)$/.exec(text) ?? /^add (set|map|chain) (\S+ \S+ \S+)(?: \{.*\})?$/.exec(text);
  if (m) return { kind: 'declare', obj: object(m[1]!, m[2]!), text };
  if ((m = /^flush chain (\S+ \S+ \S+)$/.exec(text))) return { kind: 'flush', chain: m[1]!, text };
  if ((m = /^add rule (\S+ \S+ \S+) /.exec(text))) return { kind: 'rule', chain: m[1]!, text };
  if ((m = /^(add|delete) element (\S+ \S+ \S+) \{ (.*) \}$/.exec(text))) {
    return { kind: 'element', verb: m[1] as 'add' | 'delete', set: m[2]!, elements: m[3]!.split(', '), text };
  }
  if ((m = /^delete (table) (\S+ \S+)$/.exec(text) ?? /^delete (set|map|chain) (\S+ \S+ \S+)$/.exec(text))) return { kind: 'delete', obj: object(m[1]!, m[2]!), text };
  return { kind: 'other', text };
}

/** An element's key: without its comment and its value (`key comment "..." : value`). */
const keyOf = (element: string) => element.replace(/ : .*$/, '').replace(/ comment "[^"]*"$/, '');

/** Whether a statement is about the object (or, for a table, anything in it). */
function within(s: Stmt, obj: string): boolean {
  const own =
    s.kind === 'declare' || s.kind === 'delete' ? s.obj : s.kind === 'element' ? object('set', s.set) : s.kind === 'rule' || s.kind === 'flush' ? object('chain', s.chain) : undefined;
  if (own === undefined) return false;
  if (own === obj) return true;
  return obj.startsWith('table ') && own.replace(/^\S+ /, '').startsWith(`${obj.slice('table '.length)} `);
}

/** Drops each add of what the transaction deletes later (elements one by one). */
function withoutGuards(stmts: Stmt[]): Stmt[] {
  const out: (Stmt | undefined)[] = [];
  for (const s of stmts) {
    if (s.kind === 'element' && s.verb === 'delete') {
      const gone = new Set(s.elements.map(keyOf));
      out.forEach((prev, i) => {
        if (prev?.kind !== 'element' || prev.verb !== 'add' || prev.set !== s.set) return;
        const kept = prev.elements.filter((e) => !gone.has(keyOf(e)));
        if (kept.length === prev.elements.length) return;
        out[i] = kept.length === 0 ? undefined : { ...prev, elements: kept, text: `add element ${prev.set} { ${kept.join(', ')} }` };
      });
    } else if (s.kind === 'delete') {
      out.forEach((prev, i) => {
        if (prev && (prev.kind === 'declare' || prev.kind === 'element' || prev.kind === 'rule') && within(prev, s.obj)) out[i] = undefined;
      });
    }
    out.push(s);
  }
  const kept = out.filter((s): s is Stmt => s !== undefined);
  // A declaration guards deletes when the transaction adds nothing at all, or nothing into
  // what it declares while deleting in it (an endpoint's elements going beside a port moving).
  const isAdd = (s: Stmt) => s.kind === 'rule' || (s.kind === 'element' && s.verb === 'add');
  const isDelete = (s: Stmt) => s.kind === 'delete' || (s.kind === 'element' && s.verb === 'delete');
  const adds = kept.filter(isAdd);
  const deletes = kept.filter(isDelete);
  const guard = (d: Stmt & { kind: 'declare' }) => adds.length === 0 || (deletes.some((x) => within(x, d.obj)) && !adds.some((x) => within(x, d.obj)));
  return kept.filter((s) => s.kind !== 'declare' || !guard(s));
}

/** For each `flush chain`, the rules that follow it for that chain (until its next flush or delete). */
function flushBlocks(stmts: readonly Stmt[]): Map<number, number[]> {
  const blocks = new Map<number, number[]>();
  const open = new Map<string, number[]>();
  stmts.forEach((s, i) => {
    if (s.kind === 'flush') {
      const rules: number[] = [];
      blocks.set(i, rules);
      open.set(s.chain, rules);
    } else if (s.kind === 'rule') {
      open.get(s.chain)?.push(i);
    } else if (s.kind === 'delete') {
      for (const c of [...open.keys()]) if (within({ kind: 'flush', chain: c, text: '' }, s.obj)) open.delete(c);
    }
  });
  return blocks;
}

/** The nft work of one dry run, printed once. */
export class NftScripts {
  private readonly declared = new Set<string>();
  /** Per chain, the flush block last printed for it (forgotten when the chain changes otherwise). */
  private readonly blocks = new Map<string, string>();

  /** The lines of this script still worth printing (possibly none). */
  minimal(script: readonly string[]): string[] {
    const stmts = withoutGuards(script.map(parse));
    const blocks = flushBlocks(stmts);
    const inBlock = new Set([...blocks.values()].flat());
    const skip = new Set<number>();
    const out: string[] = [];
    stmts.forEach((s, i) => {
      if (skip.has(i)) return;
      if (s.kind === 'declare') {
        if (!this.declared.has(s.obj)) out.push(s.text);
        this.declared.add(s.obj);
        return;
      }
      if (s.kind === 'flush') {
        const rules = blocks.get(i)!;
        const text = [s.text, ...rules.map((r) => stmts[r]!.text)].join('\n');
        if (this.blocks.get(s.chain) === text) {
          for (const r of rules) skip.add(r);
          return;
        }
        this.blocks.set(s.chain, text);
      } else if (s.kind === 'rule' && !inBlock.has(i)) {
        this.blocks.delete(s.chain); // appended to: the chain is no longer what its block made it
      } else if (s.kind === 'delete') {
        this.forget(s.obj);
      }
      out.push(s.text);
    });
    return out;
  }

  private forget(obj: string): void {
    for (const d of [...this.declared]) if (within({ kind: 'declare', obj: d, text: '' }, obj)) this.declared.delete(d);
    for (const c of [...this.blocks.keys()]) if (within({ kind: 'flush', chain: c, text: '' }, obj)) this.blocks.delete(c);
  }
}
