/**
 * The bridge-family guard (src/core/firewall/guard.ts) against the kernel: its
 * chains and rules, and per set the elements of each endpoint (counted by their
 * "cnm:ep:<12 hex>" comments). Any difference rewrites the guard whole in one
 * transaction (the base, the sets flushed, every guarded endpoint's elements
 * added): missing elements come back, those of endpoints gone from state go.
 */
import { GUARD_SETS, addEndpointGuard, guardBase, guardTable, guarded } from '../firewall/guard.js';
import { nft } from '../plan.js';
import { networkOf } from '../resolve.js';
import type { Finding, Reconciler } from './types.js';

/** What a script says each chain holds (rule counts) and each set (elements per owner tag). */
function expected(lines: readonly string[]): { rules: Map<string, number>; tags: Map<string, number> } {
  const rules = new Map<string, number>();
  const tags = new Map<string, number>();
  for (const line of lines) {
    const w = line.split(/\s+/);
    if (`${w[2]} ${w[3]}` !== guardTable()) continue;
    if (w[0] === 'flush' && w[1] === 'chain') rules.set(w[4]!, 0);
    else if (w[0] === 'add' && w[1] === 'rule') rules.set(w[4]!, (rules.get(w[4]!) ?? 0) + 1);
    else if (w[0] === 'add' && w[1] === 'element') {
      for (const t of line.match(/cnm:ep:[0-9a-f]{12}/g) ?? []) tags.set(`${w[4]} ${t}`, (tags.get(`${w[4]} ${t}`) ?? 0) + 1);
    }
  }
  return { rules, tags };
}

export const guardReconciler: Reconciler = {
  name: 'guard',
  order: 52,
  check(ctx) {
    const { state } = ctx;
    if (!state.networks.some((n) => n.bridge)) return [];
    // Every endpoint in state, also of sandboxes waiting for a restore: their elements stay until they go.
    const eps = state.endpoints.filter((e) => guarded(networkOf(state, e), e));
    const adds = eps.flatMap((e) => addEndpointGuard(e));
    const want = expected([...guardBase(), ...adds]);
    const view = ctx.kernel.nftTable(guardTable());
    const problems: string[] = [];
    if (!view) problems.push(`table ${guardTable()} missing`);
    else {
      for (const [c, n] of want.rules) {
        const have = view.rules.get(c)?.length;
        if (have === undefined) problems.push(`chain ${c} missing`);
        else if (have !== n) problems.push(`chain ${c} has ${have} rules, not ${n}`);
      }
      const have = new Map<string, number>();
      for (const set of GUARD_SETS) {
        if (!view.elements.has(set)) problems.push(`set ${set} missing`);
        for (const t of view.tags.get(set) ?? []) have.set(`${set} ${t}`, (have.get(`${set} ${t}`) ?? 0) + 1);
      }
      for (const k of new Set([...have.keys(), ...want.tags.keys()])) {
        const [set, tag] = k.split(' ');
        if ((have.get(k) ?? 0) !== (want.tags.get(k) ?? 0)) problems.push(`set ${set} has ${have.get(k) ?? 0} elements of ${tag}, not ${want.tags.get(k) ?? 0}`);
      }
    }
    if (problems.length === 0) return [];
    const finding: Finding = {
      reconciler: 'guard',
      object: `${guardTable()} (spoof checks, router adverts)`,
      problem: problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; ${problems.length - 6} more` : ''),
      action: `write the guard again, with the elements of ${eps.length} endpoint${eps.length === 1 ? '' : 's'}`,
      apply: [nft([...guardBase(), ...GUARD_SETS.map((s) => `flush set ${guardTable()} ${s}`), ...adds])],
    };
    return [finding];
  },
};
