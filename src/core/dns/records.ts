/**
 * What the embedded DNS knows, computed from the state alone (pure): where
 * to listen (the gateway address of every DNS-enabled network), who may ask
 * (an endpoint address arriving on its own network's gateway) and what each
 * asker may see (the names on the DNS networks its sandbox is on).
 */
import { type Cidr, formatAddr, parseAddr, stripPrefix } from '../ip.js';
import type { Endpoint, Network, State } from '../model.js';

/** A sandbox on another cluster host, on a cluster network this host takes part in (cluster-records.json). */
export interface RemoteName {
  networkId: string;
  name: string;
  aliases: string[];
  address: string;
}

/** One address a name stands for. */
export interface AddrRecord {
  family: 4 | 6;
  /** Canonical text (RFC 5952 for IPv6). */
  address: string;
}

export interface ListenAddr {
  address: string;
  family: 4 | 6;
  networkId: string;
}

/** A sandbox asking through one network's gateway. */
export interface Client {
  sandboxId: string;
  /** The DNS networks it shares names on, the one the query arrived on first. */
  networks: string[];
  /** Whether names cnm does not own are forwarded upstream (not for sandboxes only on internal networks). */
  forward: boolean;
  /** Where to forward: the sandbox's --dns, else its network's `net create --dns` (empty: the host's resolvers). */
  upstreams: string[];
}

export interface NetZone {
  id: string;
  /** Lower-case network name, for NAME.NETWORK. */
  name: string;
  subnets: Cidr[];
  /** Lower-case sandbox name or 12-hex short ID -> addresses. */
  names: Map<string, AddrRecord[]>;
  /** Lower-case alias -> addresses (several holders give several); a sandbox name beats an alias. */
  aliases: Map<string, AddrRecord[]>;
  /** Canonical address -> PTR target ("sandbox.network"). */
  ptr: Map<string, string>;
}

/**
 * What is cnm's own whatever the asker may see: names under any cnm network
 * (NAME.NETWORK) and reverse names of addresses in its own subnets never leave
 * the host. Macvlan and ipvlan subnets are the LAN's, not cnm's.
 */
export interface Owned {
  /** Lower-case names of every network in the state. */
  networks: Set<string>;
  /** Subnets of the networks cnm addresses on its own (bridge, overlay). */
  subnets: Cidr[];
}

export interface Zone {
  listen: ListenAddr[];
  /** `${networkId}|${canonical source address}` -> the asker. */
  clients: Map<string, Client>;
  nets: Map<string, NetZone>;
  owned: Owned;
}

export function emptyZone(): Zone {
  return { listen: [], clients: new Map(), nets: new Map(), owned: { networks: new Set(), subnets: [] } };
}

/** A network gets embedded DNS when it asks for it and has a gateway address on the host (a bridge). */
export function dnsEnabled(net: Network): boolean {
  return net.dns && net.bridge !== undefined && net.subnets.some((s) => s.gateway !== undefined);
}

export function canonical(address: string): string | undefined {
  const a = parseAddr(address);
  // A dotted quad parses only as written canonically (no leading zeros): it is its own form.
  // Not formatting it again saves the zone of 1,000 endpoints ~2,000 BigInt formats.
  return a ? (a.family === 4 ? address : formatAddr(a)) : undefined;
}

export function clientKey(networkId: string, address: string): string {
  return `${networkId}|${address}`;
}

/** The resolvers a sandbox's resolv.conf names: its DNS networks' gateways, IPv4 first (undefined: none). */
export function resolversFor(state: State, eps: readonly Endpoint[]): string[] | undefined {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const ep of eps) {
    const net = state.networks.find((n) => n.id === ep.networkId);
    if (!net || !dnsEnabled(net)) continue;
    for (const s of net.subnets) {
      if (!s.gateway) continue;
      // A gateway is only reachable from the sandbox through an address of its family.
      const fam = s.subnet.family;
      if (fam === 4 && ep.ipv4) v4.push(formatAddr(s.gateway));
      if (fam === 6 && ep.ipv6) v6.push(formatAddr(s.gateway));
    }
  }
  const all = [...new Set([...v4, ...v6])].slice(0, 3); // glibc reads at most three nameservers
  return all.length > 0 ? all : undefined;
}

function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function buildZone(state: State, remote: readonly RemoteName[] = []): Zone {
  const nets = new Map<string, NetZone>();
  const listen: ListenAddr[] = [];
  const dnsNets = state.networks.filter(dnsEnabled);
  for (const net of dnsNets) {
    const zone: NetZone = { id: net.id, name: net.name.toLowerCase(), subnets: net.subnets.map((s) => s.subnet), names: new Map(), aliases: new Map(), ptr: new Map() };
    nets.set(net.id, zone);
    if (!state.endpoints.some((e) => e.networkId === net.id)) continue; // nobody to answer
    for (const s of net.subnets) {
      if (s.gateway) listen.push({ address: formatAddr(s.gateway), family: s.subnet.family, networkId: net.id });
    }
  }
  const sandboxes = new Map(state.sandboxes.map((s) => [s.id, s]));
  const byId = new Map(state.networks.map((n) => [n.id, n]));
  const netsOf = new Map<string, string[]>();
  const internalOnly = new Map<string, boolean>();
  for (const ep of state.endpoints) {
    const net = byId.get(ep.networkId);
    const sb = sandboxes.get(ep.sandboxId);
    if (!net || !sb) continue;
    internalOnly.set(sb.id, (internalOnly.get(sb.id) ?? true) && net.internal);
    const zone = nets.get(net.id);
    if (!zone) continue;
    add(netsOf, sb.id, net.id);
    const names = new Set([sb.name, sb.id.slice(0, 12)].map((n) => n.toLowerCase()));
    const aliases = new Set(ep.aliases.map((n) => n.toLowerCase()).filter((n) => !names.has(n)));
    const ptrName = `${sb.name}.${net.name}`.toLowerCase();
    for (const [family, raw] of [[4, ep.ipv4], [6, ep.ipv6]] as const) {
      const address = raw && canonical(stripPrefix(raw));
      if (!address) continue;
      for (const l of names) add(zone.names, l, { family, address });
      for (const l of aliases) add(zone.aliases, l, { family, address });
      zone.ptr.set(address, ptrName);
    }
  }
  // Remote sandboxes answer on the networks they share with the asker, as local ones do.
  for (const r of remote) {
    const zone = nets.get(r.networkId);
    const address = canonical(r.address);
    if (!zone || !address || parseAddr(address)?.family !== 4) continue;
    const name = r.name.toLowerCase();
    add(zone.names, name, { family: 4, address });
    for (const l of new Set(r.aliases.map((a) => a.toLowerCase()).filter((a) => a !== name))) add(zone.aliases, l, { family: 4, address });
    zone.ptr.set(address, `${name}.${zone.name}`);
  }
  const clients = new Map<string, Client>();
  for (const ep of state.endpoints) {
    const own = netsOf.get(ep.sandboxId);
    if (!own || !nets.has(ep.networkId)) continue;
    const sb = sandboxes.get(ep.sandboxId);
    const networks = [ep.networkId, ...own.filter((id) => id !== ep.networkId)];
    const netDns = networks.map((id) => byId.get(id)?.dnsServers ?? []).find((l) => l.length > 0) ?? [];
    const client: Client = {
      sandboxId: ep.sandboxId,
      networks,
      forward: !(internalOnly.get(ep.sandboxId) ?? false),
      upstreams: sb && sb.dns.length > 0 ? sb.dns : netDns,
    };
    for (const raw of [ep.ipv4, ep.ipv6]) {
      const address = raw && canonical(stripPrefix(raw));
      if (address) clients.set(clientKey(ep.networkId, address), client);
    }
  }
  const owned: Owned = {
    networks: new Set(state.networks.map((n) => n.name.toLowerCase())),
    subnets: state.networks.filter((n) => n.bridge !== undefined).flatMap((n) => n.subnets.map((s) => s.subnet)),
  };
  return { listen, clients, nets, owned };
}

/** Whether anything is left for the server to answer. */
export function idle(zone: Zone): boolean {
  return zone.listen.length === 0;
}
