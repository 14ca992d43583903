/**
 * Published ports in cnm's table `inet cnm`: DNAT through interval maps keyed
 * by host address . protocol . host port (range). Per family there are two:
 * `dnat4` maps to an address only, so the port is kept (host port = sandbox
 * port: a whole range is ONE element), `dnat4_port` maps to address . port
 * (a single port published under another number; a range whose numbers differ
 * is one element per port, since nftables cannot shift a port). The rules are
 * fixed, a handful, written whole (flush + add) when the first port is published
 * and removed with the last one; in between an operation only adds or deletes elements:
 *
 *   ports-pre  (nat prerouting):  fib daddr type local jump ports-dnat
 *   ports-out  (nat output):      fib daddr type local jump ports-dnat   (the host itself, 127.0.0.1 too)
 *   ports-dnat: dnat ip to ip daddr . meta l4proto . th dport map @dnat4 (and @dnat4_port, and the ip6 pair)
 *   ports-post (nat postrouting): masquerade only what needs it: connections from
 *               the host's loopback, and hairpin (a sandbox to a port of the host
 *               that comes back out a bridge). Outside clients keep their address.
 *
 * Every element carries its sandbox (comment "cnm:sb:<12 hex>"), every rule "cnm:ports".
 */
import { familyOf, isWildcard } from '../ports/spec.js';
import type { PortBinding, Sandbox } from '../model.js';
import { TABLE, declareBase } from './ruleset.js';

type MapName = 'dnat4' | 'dnat4_port' | 'dnat6' | 'dnat6_port';
const CHAINS = ['ports-pre', 'ports-out', 'ports-post', 'ports-dnat'] as const;
const TAG = 'comment "cnm:ports"';

export const sandboxTag = (sb: Pick<Sandbox, 'id'>) => `cnm:sb:${sb.id.slice(0, 12)}`;

function declarePorts(): string[] {
  return [
    ...declareBase(),
    `add map ${TABLE} dnat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr; flags interval; }`,
    `add map ${TABLE} dnat4_port { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags interval; }`,
    `add map ${TABLE} dnat6 { type ipv6_addr . inet_proto . inet_service : ipv6_addr; flags interval; }`,
    `add map ${TABLE} dnat6_port { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; flags interval; }`,
    `add chain ${TABLE} ports-pre { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${TABLE} ports-out { type nat hook output priority -100; policy accept; }`,
    `add chain ${TABLE} ports-post { type nat hook postrouting priority srcnat - 5; policy accept; }`,
    `add chain ${TABLE} ports-dnat`,
  ];
}

/** The maps, chains and rules of port publishing; idempotent (flush + add). */
export function portsBase(): string[] {
  const L4 = 'meta l4proto { tcp, udp, sctp }';
  return [
    ...declarePorts(),
    ...CHAINS.map((c) => `flush chain ${TABLE} ${c}`),
    `add rule ${TABLE} ports-pre fib daddr type local jump ports-dnat ${TAG}`,
    `add rule ${TABLE} ports-out fib daddr type local jump ports-dnat ${TAG}`,
    ...(['dnat4', 'dnat4_port'] as const).map((m) => `add rule ${TABLE} ports-dnat ${L4} dnat ip to ip daddr . meta l4proto . th dport map @${m} ${TAG}`),
    ...(['dnat6', 'dnat6_port'] as const).map((m) => `add rule ${TABLE} ports-dnat ${L4} dnat ip6 to ip6 daddr . meta l4proto . th dport map @${m} ${TAG}`),
    `add rule ${TABLE} ports-post ct status dnat ip saddr 127.0.0.0/8 masquerade ${TAG}`,
    `add rule ${TABLE} ports-post ct status dnat iifname @bridges oifname @bridges masquerade ${TAG}`,
  ];
}

/** Removes the maps, chains and rules (when no port is published any more); accepts "already gone". */
export function portsBaseTeardown(): string[] {
  return [
    ...declarePorts(),
    ...CHAINS.map((c) => `flush chain ${TABLE} ${c}`),
    ...CHAINS.map((c) => `delete chain ${TABLE} ${c}`),
    ...(['dnat4', 'dnat4_port', 'dnat6', 'dnat6_port'] as const).map((m) => `delete map ${TABLE} ${m}`),
  ];
}

/** The map a binding's elements go to, and the elements as "key comment[ : value]" texts. */
function elements(b: PortBinding, sb: Pick<Sandbox, 'id'>, withValue: boolean): { map: MapName; els: string[] } {
  const fam = familyOf(b.hostIp);
  const addr = isWildcard(b.hostIp) ? (fam === 4 ? '0.0.0.0/0' : '::/0') : b.hostIp;
  const hEnd = b.hostPortEnd ?? b.hostPort;
  const key = (h1: number, h2: number) => `${addr} . ${b.proto} . ${h1 === h2 ? h1 : `${h1}-${h2}`} comment "${sandboxTag(sb)}"`;
  if (b.hostPort === b.containerPort) {
    return { map: `dnat${fam}`, els: [`${key(b.hostPort, hEnd)}${withValue ? ` : ${b.sandboxIp}` : ''}`] };
  }
  const els: string[] = [];
  for (let i = 0; i <= hEnd - b.hostPort; i++) {
    els.push(`${key(b.hostPort + i, b.hostPort + i)}${withValue ? ` : ${b.sandboxIp} . ${b.containerPort + i}` : ''}`);
  }
  return { map: `dnat${fam}_port`, els };
}

function byMap(bindings: readonly PortBinding[], sb: Pick<Sandbox, 'id'>, withValue: boolean): Map<MapName, string[]> {
  const m = new Map<MapName, string[]>();
  for (const b of bindings) {
    if (b.sandboxIp === undefined) continue; // inactive: nothing in the kernel
    const { map, els } = elements(b, sb, withValue);
    m.set(map, [...(m.get(map) ?? []), ...els]);
  }
  return m;
}

export function addBindings(bindings: readonly PortBinding[], sb: Pick<Sandbox, 'id'>): string[] {
  return [...byMap(bindings, sb, true)].map(([map, els]) => `add element ${TABLE} ${map} { ${els.join(', ')} }`);
}

/**
 * Removes bindings' elements; each is first (re)added so a missing one is not
 * an error. The maps themselves are not re-declared: declaring chains with
 * hooks costs more than the elements (4x, measured), and they exist while any
 * port is published.
 */
export function removeBindings(bindings: readonly PortBinding[], sb: Pick<Sandbox, 'id'>): string[] {
  const keys = [...byMap(bindings, sb, false)].map(([map, els]) => `delete element ${TABLE} ${map} { ${els.join(', ')} }`);
  return [...addBindings(bindings, sb), ...keys];
}
