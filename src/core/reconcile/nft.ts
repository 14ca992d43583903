/**
 * cnm's nftables table against what the plans say it should hold. Each unit
 * (the base chains, one per network) is an idempotent script (declare, flush,
 * add); a unit with a missing chain, rule or map element is written again
 * whole, in one transaction. Chains named n-<12 hex>-* and map elements no
 * unit wants are orphans and are deleted.
 */
import { TABLE, baseRules } from '../firewall/ruleset.js';
import type { State } from '../model.js';
import { type Op, nft } from '../plan.js';
import type { NftView } from '../observe/kernel.js';
import { networkPlan } from './desired.js';
import type { Finding, Reconciler } from './types.js';

const OWNED_CHAIN = /^n-[0-9a-f]{12}-/;

interface Expect {
  chains: Set<string>;
  flushed: Set<string>;
  rules: Map<string, number>;
  elements: Map<string, Map<string, string | undefined>>;
}

/** What a script leaves behind, read from its own lines. */
export function expectOf(lines: readonly string[]): Expect {
  const e: Expect = { chains: new Set(), flushed: new Set(), rules: new Map(), elements: new Map() };
  for (const line of lines) {
    const w = line.split(/\s+/);
    if (w[1] === 'table' || `${w[2]} ${w[3]}` !== TABLE) continue;
    const [verb, what, name] = [w[0], w[1], w[4]!];
    if (verb === 'add' && what === 'chain') e.chains.add(name);
    else if (verb === 'flush' && what === 'chain') {
      e.flushed.add(name);
      e.rules.set(name, 0);
    } else if (verb === 'add' && what === 'rule') e.rules.set(name, (e.rules.get(name) ?? 0) + 1);
    else if (verb === 'add' && what === 'element') {
      const m = /\{\s*"([^"]+)"(?:\s*:\s*(?:jump|goto)\s+(\S+))?\s*\}/.exec(line);
      if (!m) continue;
      const map = e.elements.get(name) ?? new Map<string, string | undefined>();
      map.set(m[1]!, m[2]);
      e.elements.set(name, map);
    } else if (verb === 'delete' && what === 'element') {
      const m = /\{\s*"([^"]+)"/.exec(line);
      if (m) e.elements.get(name)?.delete(m[1]!);
    } else if (verb === 'delete' && what === 'chain') {
      e.chains.delete(name);
      e.rules.delete(name);
    }
  }
  return e;
}

function problemsOf(e: Expect, v: NftView | null): string[] {
  if (!v) return [`table ${TABLE} missing`];
  const out: string[] = [];
  for (const c of e.chains) if (!v.chains.has(c)) out.push(`chain ${c} missing`);
  for (const [c, n] of e.rules) {
    if (!v.chains.has(c)) continue;
    const have = v.rules.get(c)?.length ?? 0;
    // Base chains may carry other features' rules too: only missing ones count there.
    if (have < n || (OWNED_CHAIN.test(c) && have !== n)) out.push(`chain ${c} has ${have} rules, not ${n}`);
  }
  for (const [m, elems] of e.elements) {
    const have = v.elements.get(m);
    for (const [k, target] of elems) {
      if (!have?.has(k)) out.push(`element "${k}" missing from ${m}`);
      else if (target !== undefined && have.get(k) !== target) out.push(`element "${k}" of ${m} points to ${have.get(k)}, not ${target}`);
    }
  }
  return out;
}

/** The nft units state wants: the base (once any network exists) and each network's rules. */
export function nftUnits(state: State): { object: string; lines: string[] }[] {
  const units: { object: string; lines: string[] }[] = [];
  if (state.networks.length > 0) units.push({ object: 'nftables base chains', lines: baseRules() });
  for (const net of state.networks) {
    const lines = networkPlan(net).flatMap((o: Op) => (o.kind === 'nft' ? o.script : []));
    if (lines.length > 0) units.push({ object: `network ${net.name} (nftables)`, lines });
  }
  return units;
}

export const nftReconciler: Reconciler = {
  name: 'nftables',
  order: 50,
  check(ctx) {
    const found: Finding[] = [];
    const units = nftUnits(ctx.state);
    const view = ctx.kernel.nft();
    const wanted = expectOf(units.flatMap((u) => u.lines));
    for (const u of units) {
      const problems = problemsOf(expectOf(u.lines), view);
      if (problems.length === 0) continue;
      found.push({ reconciler: 'nftables', object: u.object, problem: problems.join('; '), action: 'write its rules again', apply: [nft(u.lines)] });
    }
    if (!view) return found;
    const script: string[] = [];
    const what: string[] = [];
    const deadChains = [...view.chains].filter((c) => OWNED_CHAIN.test(c) && !wanted.chains.has(c));
    for (const [m, elems] of view.elements) {
      const want = wanted.elements.get(m);
      if (!want && !['bridges', 'net_out', 'net_in', 'net_nat', 'net_host'].includes(m)) continue; // another feature's set
      for (const [k, target] of elems) {
        if (want?.has(k) && !(target && deadChains.includes(target))) continue;
        script.push(`delete element ${TABLE} ${m} { "${k}" }`);
        what.push(`element "${k}" of ${m}`);
      }
    }
    for (const c of deadChains) {
      script.push(`flush chain ${TABLE} ${c}`, `delete chain ${TABLE} ${c}`);
      what.push(`chain ${c}`);
    }
    if (script.length > 0) {
      found.push({
        reconciler: 'nftables',
        object: 'nftables orphans',
        problem: `${what.join(', ')} carry cnm's marks but no network in state owns them`,
        action: 'delete them',
        teardown: [nft(script)],
      });
    }
    return found;
  },
};
