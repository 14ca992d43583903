/**
 * What a sandbox may put on a cnm bridge: nftables table `bridge cnm`, which
 * sees every frame a bridge port receives or sends.
 *
 *   Every endpoint port (the host end of a sandbox's veth) is in interface group
 *   PORT_GROUP, set in the `ip link add` that makes it, so this needs no
 *   per-endpoint work: router advertisements and ICMP/ICMPv6 redirects from it
 *   are dropped (a sandbox must not hand its neighbours or the host a route or an
 *   address: Docker's CVE-2020-13401), and no router advert is delivered to it.
 *
 *   A port in set `guarded` (endpoints of networks with spoof checks, the
 *   default; `--opt spoofcheck=false` turns them off) must send the endpoint's
 *   MAC, in ARP the endpoint's MAC and IPv4 address, in IPv4/IPv6 the
 *   endpoint's addresses (or its IPv6 link-local one, which only an endpoint
 *   with an IPv6 address has), in neighbour adverts only its own addresses as
 *   target.
 *
 * The port and its addresses are per-endpoint elements keyed by the port's name,
 * each with its owner "cnm:ep:<12 hex>": added and removed with the endpoint, in
 * the same transaction as the rest of its nft work. A guarded port whose address
 * elements are missing sends nothing (fails closed); `cnm reconcile` puts them back.
 * The table is named after cnm's inet table (`bridge cnm` beside `inet cnm`), so
 * each instance's checks apply only to the ports in its own `guarded` set.
 */
import { UsageError } from '../errors.js';
import { mustAddr } from '../ip.js';
import type { Endpoint, Network } from '../model.js';
import type { KeyPart, NftOp, SetElements } from '../plan.js';
import { TABLE } from './ruleset.js';

/** The bridge-family table beside cnm's inet table (read when used: the inet table's name may vary). */
export const guardTable = (): string => `bridge ${TABLE.slice(TABLE.indexOf(' ') + 1)}`;

/** The interface group of every endpoint port ("cnm" in ASCII, then 1). */
export const PORT_GROUP = 0x636e6d01;

/** The per-endpoint sets: name, element type, and each endpoint's keys. */
const SETS = ['guarded', 'ep_mac', 'ep_ip4', 'ep_ip6', 'ep_nd'] as const;
type GuardSet = (typeof SETS)[number];
const TYPES: Record<GuardSet, string> = {
  guarded: 'type ifname;',
  ep_mac: 'type ifname . ether_addr;',
  ep_ip4: 'type ifname . ipv4_addr;',
  ep_ip6: 'type ifname . ipv6_addr;',
  // The target of a neighbour advertisement, read raw (nft 1.0.6 has no `icmpv6 taddr`).
  ep_nd: 'typeof iifname . @th,64,128;',
};
export const GUARD_SETS: readonly string[] = SETS;
export const GUARD_CHAINS = ['prerouting', 'postrouting', 'spoof'] as const;
const TAG = 'comment "cnm:guard"';

/** The option users turn spoof checking off with, like CNI's `macspoofchk`. */
export const SPOOFCHECK_OPT = 'spoofcheck';

/** Parses `--opt spoofcheck=...`; returns the driver option to store (only when it is off). */
export function spoofcheckOption(opts: Readonly<Record<string, string>>): { spoofcheck?: false } {
  const v = opts[SPOOFCHECK_OPT];
  if (v === undefined) return {};
  if (/^(true|1|on|yes)$/i.test(v)) return {};
  if (/^(false|0|off|no)$/i.test(v)) return { spoofcheck: false };
  throw new UsageError(`invalid --opt ${SPOOFCHECK_OPT}=${v}: use true or false`);
}

export function spoofcheckOn(net: Network): boolean {
  const o = net.driverOpts;
  return !('spoofcheck' in o) || o.spoofcheck !== false;
}

function declare(): string[] {
  const T = guardTable();
  return [
    `add table ${T}`,
    ...SETS.map((s) => `add set ${T} ${s} { ${TYPES[s]} }`),
    `add chain ${T} prerouting { type filter hook prerouting priority filter; policy accept; }`,
    `add chain ${T} postrouting { type filter hook postrouting priority filter; policy accept; }`,
    `add chain ${T} spoof`,
  ];
}

/** The table, its sets and its rules; idempotent (flush + add), written with every bridge network. */
export function guardBase(): string[] {
  const T = guardTable();
  return [
    ...declare(),
    ...GUARD_CHAINS.map((c) => `flush chain ${T} ${c}`),
    `add rule ${T} prerouting meta iifgroup ${PORT_GROUP} icmpv6 type { nd-router-advert, nd-redirect } drop ${TAG}`,
    `add rule ${T} prerouting meta iifgroup ${PORT_GROUP} icmp type redirect drop ${TAG}`,
    `add rule ${T} prerouting iifname @guarded jump spoof ${TAG}`,
    `add rule ${T} postrouting meta oifgroup ${PORT_GROUP} icmpv6 type nd-router-advert drop ${TAG}`,
    `add rule ${T} spoof iifname . ether saddr != @ep_mac drop ${TAG}`,
    // Only what IP needs: no VLAN tags (which would hide the packet from the checks below).
    `add rule ${T} spoof ether type != { ip, ip6, arp } drop ${TAG}`,
    `add rule ${T} spoof iifname . arp saddr ether != @ep_mac drop ${TAG}`,
    // An ARP probe (RFC 5227) says sender 0.0.0.0 and teaches no one anything.
    `add rule ${T} spoof arp saddr ip != 0.0.0.0 iifname . arp saddr ip != @ep_ip4 drop ${TAG}`,
    `add rule ${T} spoof iifname . ip saddr != @ep_ip4 drop ${TAG}`,
    // Duplicate address detection and the MLD reports around it come from the unspecified address.
    `add rule ${T} spoof ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } accept ${TAG}`,
    `add rule ${T} spoof iifname . ip6 saddr != @ep_ip6 drop ${TAG}`,
    `add rule ${T} spoof icmpv6 type nd-neighbor-advert iifname . @th,64,128 != @ep_nd drop ${TAG}`,
  ];
}

/** Removes the whole table (the undo of the first run that made it); accepts "already gone". */
export function removeGuard(): string[] {
  return [`add table ${guardTable()}`, `delete table ${guardTable()}`];
}

export const endpointTag = (ep: Pick<Endpoint, 'id'>) => `cnm:ep:${ep.id.slice(0, 12)}`;

/** The IPv6 link-local address the kernel derives from a MAC (EUI-64), as the sandbox's interface has it. */
export function linkLocalOf(mac: string): string {
  const b: number[] = [];
  for (const h of mac.split(':')) b.push(parseInt(h, 16));
  b[0] = b[0]! ^ 2;
  const g = (x: number) => x.toString(16);
  return `fe80::${g((b[0] << 8) | b[1]!)}:${g((b[2]! << 8) | 0xff)}:${g((0xfe << 8) | b[3]!)}:${g((b[4]! << 8) | b[5]!)}`;
}

const hex128 = (addr: string) => `0x${mustAddr(addr).value.toString(16).padStart(32, '0')}`;

/** A key part as nft writes it. */
function partText(p: KeyPart): string {
  if (p.type === 'ifname') return `"${p.value}"`;
  return p.type === 'raw128' ? hex128(p.value) : p.value;
}

/** An element change as an nft command. */
export function elementsText(c: SetElements): string {
  const els = c.elements.map((e) => e.key.map(partText).join(' . ') + (e.comment !== undefined ? ` comment "${e.comment}"` : ''));
  return `${c.verb} element ${c.family} ${c.table} ${c.set} { ${els.join(', ')} }`;
}

/**
 * The endpoint's keys per set, with the owner comment. Built with loops, not map(): an add or rm
 * builds these once, and map() is one function for the whole run, which the engine compiles on a
 * JIT thread once it has been called a few dozen times (see files.ts).
 */
function elements(ep: Endpoint): SetElements[] {
  const table = guardTable().split(' ')[1]!;
  const port: KeyPart = { type: 'ifname', value: ep.hostIfname };
  const comment = endpointTag(ep);
  // An interface without an IPv6 address has no link-local one either (bridge.ts's sandboxUp), so
  // nothing of its IPv6 is let through: only the unspecified source of duplicate address detection.
  const v6 = ep.ipv6 ? [linkLocalOf(ep.mac), ep.ipv6.split('/')[0]!] : [];
  const set = (name: GuardSet, keys: KeyPart[][]): SetElements => {
    const els: SetElements['elements'] = [];
    for (const key of keys) els.push({ key, comment });
    return { verb: 'add', family: 'bridge', table, set: name, elements: els };
  };
  const v6Keys = (type: 'ipv6_addr' | 'raw128'): KeyPart[][] => {
    const keys: KeyPart[][] = [];
    for (const value of v6) keys.push([port, { type, value }]);
    return keys;
  };
  return [
    set('guarded', [[port]]),
    set('ep_mac', [[port, { type: 'ether_addr', value: ep.mac }]]),
    ...(ep.ipv4 ? [set('ep_ip4', [[port, { type: 'ipv4_addr', value: ep.ipv4.split('/')[0]! }]])] : []),
    ...(v6.length > 0 ? [set('ep_ip6', v6Keys('ipv6_addr')), set('ep_nd', v6Keys('raw128'))] : []),
  ];
}

/** The undo of elements(): the same keys deleted, without comments (loops, as elements()). */
function deleted(adds: SetElements[]): SetElements[] {
  const out: SetElements[] = [];
  for (const c of adds) {
    const els: SetElements['elements'] = [];
    for (const e of c.elements) els.push({ key: e.key });
    out.push({ ...c, verb: 'delete', elements: els });
  }
  return out;
}

/** Whether an endpoint of this network gets spoof-check elements. */
export const guarded = (net: Network, ep: Endpoint): boolean => spoofcheckOn(net) && ep.hostIfname !== '' && ep.mac !== '';

/** Adds an endpoint's elements (the table exists: every bridge network writes it). */
export function addEndpointGuard(ep: Endpoint): string[] {
  return elements(ep).map(elementsText);
}

/**
 * Removes an endpoint's elements; each is (re)declared and (re)added first so
 * that a missing table or element is not an error: teardown accepts "already gone".
 * Only the sets it has elements in are declared.
 */
export function removeEndpointGuard(ep: Endpoint): string[] {
  const T = guardTable();
  const els = removeEndpointElements(ep);
  const sets = SETS.filter((s) => els.some((c) => c.set === s));
  return [`add table ${T}`, ...sets.map((s) => `add set ${T} ${s} { ${TYPES[s]} }`), ...els.map(elementsText)];
}

/** removeEndpointGuard's element work alone: re-add, then delete (one netlink batch in the binary). */
function removeEndpointElements(ep: Endpoint): SetElements[] {
  const adds = elements(ep);
  return [...adds, ...deleted(adds)];
}

/** The nft op that adds an endpoint's elements, with its undo. */
export function addEndpointGuardOp(ep: Endpoint): NftOp {
  // As removeEndpointGuardOp's: the text (and its undo's) is rendered only where it is read.
  let script: string[] | undefined;
  let undo: string[] | undefined;
  return {
    kind: 'nft',
    get script() {
      return (script ??= addEndpointGuard(ep));
    },
    get undo() {
      return (undo ??= removeEndpointGuard(ep));
    },
    elements: elements(ep),
    undoElements: removeEndpointElements(ep),
  };
}

/** The nft op that removes an endpoint's elements ("already gone" is fine). */
export function removeEndpointGuardOp(ep: Endpoint): NftOp {
  // The script's text is read only where the elements are not sent as they are (no netlink, a
  // fallback, --debug, --dry-run): an rm, as a rule, never renders it (its raw128 keys in hex).
  let script: string[] | undefined;
  return {
    kind: 'nft',
    get script() {
      return (script ??= removeEndpointGuard(ep));
    },
    elements: removeEndpointElements(ep),
  };
}
