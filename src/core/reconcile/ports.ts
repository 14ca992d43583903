/**
 * Published ports (src/core/firewall/ports.ts) against cnm's table: the
 * ports-* chains and their rules, and per DNAT map the elements of each
 * sandbox (counted by their "cnm:sb:<12 hex>" comments). Any difference
 * rewrites the whole port set in one transaction (flush the maps, add every
 * binding in state); published ports with no sandbox left are removed.
 */
import { addBindings, portsBase, portsBaseTeardown, sandboxTag } from '../firewall/ports.js';
import { TABLE } from '../instance.js';
import { isActive } from '../ports/binding.js';
import { type Op, nft } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';
import { expectOf } from './nft.js';
import type { Finding, Reconciler } from './types.js';

const MAPS = ['dnat4', 'dnat4_port', 'dnat6', 'dnat6_port'];

/** How many elements each sandbox tag has per map, in script lines or in the kernel. */
function countTags(tagsPerMap: Map<string, string[]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [map, tags] of tagsPerMap) for (const t of tags) out.set(`${map} ${t}`, (out.get(`${map} ${t}`) ?? 0) + 1);
  return out;
}

export const portsReconciler: Reconciler = {
  name: 'ports',
  order: 55,
  check(ctx) {
    const withPorts = ctx.state.sandboxes.filter((sb) => (sb.ports ?? []).some(isActive));
    const view = ctx.kernel.nft();
    const present = MAPS.some((m) => view?.elements.has(m)) || view?.chains.has('ports-dnat');
    if (withPorts.length === 0) {
      if (!present) return [];
      return [{ reconciler: 'ports', object: 'published ports', problem: 'port chains and maps exist but no sandbox publishes a port', action: 'delete them', teardown: [nft(portsBaseTeardown())] }];
    }
    const adds = withPorts.flatMap((sb) => addBindings(sb.ports, sb));
    const base = portsBase();
    const want = expectOf(base);
    const problems: string[] = [];
    if (!view) problems.push(`table ${TABLE} missing`);
    else {
      for (const c of want.chains) if (!view.chains.has(c)) problems.push(`chain ${c} missing`);
      for (const [c, n] of want.rules) if (view.chains.has(c) && (view.rules.get(c)?.length ?? 0) !== n) problems.push(`chain ${c} has ${view.rules.get(c)?.length ?? 0} rules, not ${n}`);
      const wantTags = new Map<string, string[]>();
      for (const line of adds) {
        const map = line.split(/\s+/)[4]!;
        wantTags.set(map, [...(wantTags.get(map) ?? []), ...(line.match(/cnm:sb:[0-9a-f]{12}/g) ?? [])]);
      }
      const have = countTags(new Map(MAPS.map((m) => [m, view.tags.get(m) ?? []])));
      const need = countTags(wantTags);
      for (const k of new Set([...have.keys(), ...need.keys()])) {
        if ((have.get(k) ?? 0) !== (need.get(k) ?? 0)) problems.push(`map ${k.replace(' ', ': ')} has ${have.get(k) ?? 0} elements, not ${need.get(k) ?? 0}`);
      }
    }
    // DNAT to 127.0.0.1 needs route_localnet on the bridge (a recreated bridge lost it).
    const sysctls: Op[] = [];
    for (const sb of withPorts) {
      const net = endpointsOf(ctx.state, sb).map((e) => networkOf(ctx.state, e)).find((n) => n.bridge && !n.internal);
      if (!net || !sb.ports.some((b) => isActive(b) && !b.hostIp.includes(':'))) continue;
      const key = `net.ipv4.conf.${net.bridge}.route_localnet`;
      if (ctx.kernel.sysctl(key) === '1' || sysctls.some((o) => o.kind === 'sysctl' && o.key === key)) continue;
      problems.push(`${key} is not 1`);
      sysctls.push({ kind: 'sysctl', key, value: '1' });
    }
    if (problems.length === 0) return [];
    const names = withPorts.map((sb) => `${sb.name} (${sandboxTag(sb)})`).join(', ');
    const finding: Finding = {
      reconciler: 'ports',
      object: 'published ports',
      problem: problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; ${problems.length - 6} more` : ''),
      action: `write the ports of ${names} again`,
      apply: [nft([...base, ...MAPS.map((m) => `flush map ${TABLE} ${m}`), ...adds]), ...sysctls],
    };
    return [finding];
  },
};
