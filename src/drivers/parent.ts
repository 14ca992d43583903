/**
 * Lower interfaces of macvlan, ipvlan and overlay networks: which parent a
 * network uses (from the host's links, handed in as data by core/observe/host.ts),
 * and the 802.1q sub-interface cnm makes when a parent written `eth0.10` does
 * not exist yet (removed with the last network on it).
 */
import { UsageError } from '../core/errors.js';
import type { IpvlanNetwork, MacvlanNetwork, Network, ParentOptions } from '../core/model.js';
import { type Op, linkDel, linkSet } from '../core/plan.js';
import type { HostLink } from '../core/observe/host.js';
import type { RawNetworkOptions } from './types.js';

/** Marks the VLAN sub-interfaces cnm made (ifalias), so ownership is a match, not a guess. */
export const VLAN_ALIAS = 'cnm:vlan';

const IFNAME_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_.:-]{0,14}$/;

export interface ParentChoice {
  parent: string;
  /** MTU of the parent (of the link under it when cnm is to make it). */
  mtu: number;
  /** Set when the parent is a cnm-made 802.1q sub-interface of `link`. */
  vlan?: { link: string; id: number };
  /** The parent does not exist yet: this network makes it. */
  make: boolean;
  /** The parent's first IPv4 address, if it has one. */
  ipv4?: string;
}

/**
 * Which parent a network uses. A missing parent is bad input (exit 2): the
 * user named an interface this host does not have.
 */
export function chooseParent(parent: string, links: readonly HostLink[]): ParentChoice {
  if (!IFNAME_RE.test(parent)) {
    throw new UsageError(`invalid --parent "${parent}": an interface name is 1-15 characters [a-zA-Z0-9_.:-]`);
  }
  const existing = links.find((l) => l.name === parent);
  const m = /^(.+)\.([0-9]{1,4})$/.exec(parent);
  if (existing) {
    const choice: ParentChoice = { parent, mtu: existing.mtu, make: false };
    const v4 = existing.addrs.find((a) => a.family === 4);
    if (v4) choice.ipv4 = v4.local;
    if (m && existing.kind === 'vlan' && existing.alias === VLAN_ALIAS) choice.vlan = { link: m[1]!, id: Number(m[2]) };
    return choice;
  }
  if (!m) {
    throw new UsageError(`parent interface "${parent}" does not exist on this host; see 'ip link' (write LINK.VLAN, e.g. eth0.10, to have cnm make an 802.1q sub-interface)`);
  }
  const link = links.find((l) => l.name === m[1]);
  const id = Number(m[2]);
  if (!link) throw new UsageError(`parent interface "${parent}" does not exist, nor does "${m[1]}" to make it on as VLAN ${id}; see 'ip link'`);
  if (id < 1 || id > 4094) throw new UsageError(`invalid VLAN ID ${id} in --parent "${parent}": use 1-4094`);
  return { parent, mtu: link.mtu, vlan: { link: link.name, id }, make: true };
}

/** A network on a parent interface. */
export type ParentNetwork = MacvlanNetwork | IpvlanNetwork;

/** driverOpts fields that record the parent (see parentOpts / parentSetup / parentTeardown). */
export function parentOpts(c: ParentChoice): ParentOptions {
  const o: ParentOptions = { parent: c.parent, lowerMtu: c.mtu };
  if (c.vlan) {
    o.vlanLink = c.vlan.link;
    o.vlanId = c.vlan.id;
  }
  if (c.make) o.makeParent = true;
  return o;
}

/** Makes the 802.1q parent when this network is the one to make it. */
export function parentSetup(net: ParentNetwork): Op[] {
  const o = net.driverOpts;
  if (o.makeParent !== true || o.vlanLink === undefined || o.vlanId === undefined) return [];
  const name = o.parent;
  return [
    { kind: 'link.add', parent: o.vlanLink, name, link: { type: 'vlan', id: o.vlanId } },
    linkSet(name, { alias: VLAN_ALIAS, up: true }),
  ];
}

/** Removes a cnm-made 802.1q parent when no other network stays on it. */
export function parentTeardown(net: ParentNetwork, others: readonly Network[] = []): Op[] {
  const o = net.driverOpts;
  if (o.vlanLink === undefined) return [];
  if (others.some((n) => 'parent' in n.driverOpts && n.driverOpts.parent === o.parent)) return [];
  return [linkDel(o.parent)];
}

/** What carries a macvlan or ipvlan network, for people: "macvlan on eth0 (bridge)". */
export function describeParent(net: ParentNetwork): string {
  const o = net.driverOpts;
  return `${net.driver} on ${o.parent}${o.mode ? ` (${o.mode})` : ''}`;
}

/** Docker's names for a macvlan or ipvlan network's options. */
export function parentDockerOptions(net: ParentNetwork): Record<string, string> {
  return { parent: net.driverOpts.parent, [`${net.driver}_mode`]: net.driverOpts.mode };
}

/** Checks the --opt keys a driver knows; others are labels for whoever reads them (as Docker does). */
export function boolOpt(opts: Record<string, string>, key: string): boolean {
  const v = opts[key];
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new UsageError(`invalid --opt ${key}=${v}: use true or false`);
}

/** Options that belong to other drivers, refused with the flag's name. */
export function refuse(raw: { vni?: number; peers: string[]; local?: string; parent?: string; mode?: string }, driver: string, allowed: readonly ('parent' | 'mode' | 'overlay')[]): void {
  if (!allowed.includes('overlay') && (raw.vni !== undefined || raw.peers.length > 0 || raw.local !== undefined)) {
    throw new UsageError(`--vni, --peer and --local are for overlay networks, not ${driver}`);
  }
  if (!allowed.includes('parent') && raw.parent !== undefined) throw new UsageError(`--parent is for macvlan and ipvlan networks, not ${driver}`);
  if (!allowed.includes('mode') && raw.mode !== undefined) throw new UsageError(`--mode is for macvlan and ipvlan networks, not ${driver}`);
}

/**
 * What macvlan and ipvlan check alike: only --parent and --mode among the
 * driver options, a parent given, and a mode the kernel names (or the default).
 */
export function parentAndMode<M extends string>(raw: RawNetworkOptions, driver: 'macvlan' | 'ipvlan', modes: readonly [M, ...M[]]): { parent: string; mode: M } {
  refuse(raw, driver, ['parent', 'mode']);
  const article = driver === 'ipvlan' ? 'an' : 'a';
  if (raw.parent === undefined) throw new UsageError(`${article} ${driver} network needs --parent IFACE (the host interface its endpoints hang off)`);
  const given = raw.mode ?? modes[0];
  const mode = modes.find((m) => m === given);
  if (mode === undefined) throw new UsageError(`invalid ${driver} --mode "${given}": use ${modes.join(', ')}`);
  return { parent: raw.parent, mode };
}
