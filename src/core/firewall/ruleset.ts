/**
 * The nftables rule set cnm owns: one table, `inet cnm`, rendered as text for
 * one `nft -f` transaction. Per network there are three chains reached through
 * verdict maps keyed by the network's bridge name, so adding or removing a
 * network is adding or removing map elements and chains: never a rule handle.
 *
 *   forward:     ct established/related accept; iifname vmap @net_out; oifname vmap @net_in
 *   postrouting: iifname vmap @net_nat   (masquerade what leaves the network)
 *   input:       iifname vmap @net_host  (internal networks: only the embedded DNS reaches the host)
 *
 * What a sandbox may send onto its bridge at all (router adverts, spoofing) is
 * the bridge-family table of guard.ts, which the bridge driver writes with every network.
 *
 * Everything carries its owner in a comment or in its name (n-<id12>-...).
 */
import { TABLE } from '../instance.js';
import { formatAddr } from '../ip.js';
import type { Network } from '../model.js';
import { OPT } from '../options.js';

/** cnm's table: `inet cnm`, or `inet cnm-<instance>` for a state dir other than the default (src/core/instance.ts). */
export { TABLE };

const short = (id: string) => id.slice(0, 12);
export type ChainRole = 'out' | 'in' | 'nat' | 'host';
export const chainName = (net: Network, role: ChainRole) => `n-${short(net.id)}-${role}`;
const owner = (net: Network) => `comment "cnm:net:${short(net.id)}"`;

/** Declarations only: idempotent, safe in any transaction (nft `add` accepts "exists"). */
export function declareBase(): string[] {
  return [
    `add table ${TABLE}`,
    `add set ${TABLE} bridges { type ifname; }`,
    `add map ${TABLE} net_out { type ifname : verdict; }`,
    `add map ${TABLE} net_in { type ifname : verdict; }`,
    `add map ${TABLE} net_nat { type ifname : verdict; }`,
    `add map ${TABLE} net_host { type ifname : verdict; }`,
    `add chain ${TABLE} forward { type filter hook forward priority filter; policy accept; }`,
    `add chain ${TABLE} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ${TABLE} input { type filter hook input priority filter; policy accept; }`,
  ];
}

/** The base chains' rules, rewritten whole (flush + add), so running it twice is harmless. */
export function baseRules(): string[] {
  return [
    ...declareBase(),
    `flush chain ${TABLE} forward`,
    `add rule ${TABLE} forward ct state established,related accept`,
    `add rule ${TABLE} forward ct state invalid drop`,
    `add rule ${TABLE} forward iifname vmap @net_out`,
    `add rule ${TABLE} forward oifname vmap @net_in`,
    `flush chain ${TABLE} postrouting`,
    `add rule ${TABLE} postrouting iifname vmap @net_nat`,
    `flush chain ${TABLE} input`,
    `add rule ${TABLE} input iifname vmap @net_host`,
  ];
}

export function removeBase(): string[] {
  return [`add table ${TABLE}`, `delete table ${TABLE}`];
}

/** Rules for a network switched by a bridge (bridge driver, overlay). */
export function networkRules(net: Network): string[] {
  const br = net.bridge;
  if (!br) return [];
  const out = chainName(net, 'out');
  const inn = chainName(net, 'in');
  const nat = chainName(net, 'nat');
  const c = owner(net);
  const lines = [
    ...declareBase(),
    `add chain ${TABLE} ${out}`,
    `flush chain ${TABLE} ${out}`,
    `add chain ${TABLE} ${inn}`,
    `flush chain ${TABLE} ${inn}`,
    `add chain ${TABLE} ${nat}`,
    `flush chain ${TABLE} ${nat}`,
  ];
  if (net.internal) {
    // No way out and no way in: only traffic that stays on the bridge.
    lines.push(
      `add rule ${TABLE} ${out} oifname "${br}" accept ${c}`,
      `add rule ${TABLE} ${out} drop ${c}`,
      `add rule ${TABLE} ${inn} iifname "${br}" accept ${c}`,
      `add rule ${TABLE} ${inn} drop ${c}`,
    );
    lines.push(...hostRules(net));
  } else {
    lines.push(
      `add rule ${TABLE} ${out} oifname "${br}" accept ${c}`,
      // Isolation: a sandbox reaches another network only through a network they share,
      // or through a port another sandbox publishes on the host (DNATed, like any client's).
      `add rule ${TABLE} ${out} ct status dnat accept ${c}`,
      `add rule ${TABLE} ${out} oifname @bridges drop ${c}`,
      `add rule ${TABLE} ${out} accept ${c}`,
      `add rule ${TABLE} ${inn} iifname "${br}" accept ${c}`,
      // Published ports arrive DNATed; anything else from outside is not let in.
      `add rule ${TABLE} ${inn} ct status dnat accept ${c}`,
      `add rule ${TABLE} ${inn} drop ${c}`,
      ...(net.options?.[OPT.masquerade] === 'false' ? [] : [`add rule ${TABLE} ${nat} oifname != "${br}" masquerade ${c}`]),
    );
  }
  lines.push(
    `add element ${TABLE} bridges { "${br}" }`,
    `add element ${TABLE} net_out { "${br}" : jump ${out} }`,
    `add element ${TABLE} net_in { "${br}" : jump ${inn} }`,
  );
  if (!net.internal) lines.push(`add element ${TABLE} net_nat { "${br}" : jump ${nat} }`);
  else lines.push(`add element ${TABLE} net_host { "${br}" : jump ${chainName(net, 'host')} }`);
  return lines;
}

/**
 * What an internal network's sandboxes may send to the host itself (Docker's
 * internal networks): replies, neighbour discovery, and the embedded DNS on
 * the gateway. Nothing else, whichever host address it is sent to.
 */
function hostRules(net: Network): string[] {
  const ch = chainName(net, 'host');
  const c = owner(net);
  const lines = [
    `add chain ${TABLE} ${ch}`,
    `flush chain ${TABLE} ${ch}`,
    `add rule ${TABLE} ${ch} ct state established,related accept ${c}`,
    `add rule ${TABLE} ${ch} icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept ${c}`,
  ];
  if (net.dns) {
    for (const s of net.subnets) {
      if (!s.gateway) continue;
      const ipv = s.subnet.family === 6 ? 'ip6' : 'ip';
      lines.push(`add rule ${TABLE} ${ch} ${ipv} daddr ${formatAddr(s.gateway)} meta l4proto { udp, tcp } th dport 53 accept ${c}`);
    }
  }
  lines.push(`add rule ${TABLE} ${ch} drop ${c}`);
  return lines;
}

/**
 * Removes everything a network owns: its out and in chains, and its nat chain
 * (or, internal, its host chain), with their map elements. It first makes sure
 * each piece exists (nft `add` is idempotent) so the transaction also succeeds
 * when someone has flushed the rule set: teardown must accept "already gone".
 */
export function networkTeardown(net: Network): string[] {
  const br = net.bridge;
  if (!br) return [];
  const roles: ChainRole[] = ['out', 'in', net.internal ? 'host' : 'nat'];
  const maps = roles.map((r) => `net_${r}`);
  const chains = roles.map((r) => chainName(net, r));
  return [
    ...declareBase(),
    ...chains.map((ch) => `add chain ${TABLE} ${ch}`),
    `add element ${TABLE} bridges { "${br}" }`,
    ...maps.map((m, i) => `add element ${TABLE} ${m} { "${br}" : jump ${chains[i]} }`),
    `delete element ${TABLE} bridges { "${br}" }`,
    ...maps.map((m) => `delete element ${TABLE} ${m} { "${br}" }`),
    ...chains.flatMap((ch) => [`flush chain ${TABLE} ${ch}`, `delete chain ${TABLE} ${ch}`]),
  ];
}
