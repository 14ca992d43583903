/**
 * Endpoint orchestration: an endpoint joins one sandbox to one network.
 * Building one allocates its addresses and names; joining plans the kernel
 * work through the network's driver; leaving undoes it.
 */
import { getDriver } from '../../drivers/index.js';
import { clusterJoin, clusterLeave, settled } from '../cluster/hook.js';
import { ConflictError, NotFoundError, UsageError } from '../errors.js';
import { allocateAddress, takenAddresses } from '../ipam.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { NAME_RE, macFromId, macFromIpv4, newId, vethName } from '../names.js';
import { endpointCountOn, endpointsOf, findNetwork, findSandbox, networkOf } from '../resolve.js';
import { BRIDGE_MAX_PORTS } from '../kernel-support.js';
import { recordsOf } from '../records.js';
import type { Session } from '../session.js';
import { dnsGateways, startDnsFor } from '../dns/hooks.js';
import { ensureBuiltins } from './builtins.js';
import { type EndpointRequest, planDisconnect, planJoin } from '../plans/endpoint.js';
import { sandboxFiles } from '../plans/sandbox-files.js';
import { sandboxHooks } from '../plans/hooks.js';
import { inactivePorts } from '../ports/binding.js';

export type { EndpointRequest } from '../plans/endpoint.js';

const MAC_RE = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

export function checkEndpointRequest(req: EndpointRequest): void {
  for (const a of req.aliases) {
    if (!NAME_RE.test(a)) throw new UsageError(`invalid alias "${a}": use 1-64 characters [a-zA-Z0-9_.-]`);
  }
  if (req.mac !== undefined) {
    const mac = req.mac.toLowerCase();
    if (!MAC_RE.test(mac) || parseInt(mac.slice(0, 2), 16) & 1) {
      throw new UsageError(`invalid --mac "${req.mac}": use a unicast address like 02:42:ac:11:00:02`);
    }
  }
  // The kernel's rules for a name (IFNAMSIZ, no '/', ':' or whitespace), as the CNI spec restates them.
  if (req.ifname !== undefined && (!/^[^/:\s]{1,15}$/.test(req.ifname) || req.ifname === '.' || req.ifname === '..')) {
    throw new UsageError(`invalid interface name "${req.ifname}": use 1-15 characters without '/', ':' or spaces`);
  }
}

/** Refuses combinations Docker refuses: host/none are exclusive. */
export function checkCompatible(state: State, sb: Sandbox, net: Network): void {
  const current = endpointsOf(state, sb).map((e) => networkOf(state, e));
  if (current.some((n) => n.id === net.id)) {
    throw new ConflictError(`sandbox "${sb.name}" is already connected to network "${net.name}"`);
  }
  const special = [...current, net].find((n) => getDriver(n.driver).exclusive === true);
  if (special && current.length > 0) {
    throw new ConflictError(`a sandbox on the ${special.name} network cannot be connected to other networks`);
  }
  if (getDriver(net.driver).joinsHostNamespace && sb.adopted) {
    throw new UsageError('an adopted namespace cannot join the host network');
  }
}

/**
 * Takes a port of the network's bridge for a new endpoint, or refuses it
 * before any kernel work: a bridge takes 1,023 ports (the kernel's limit),
 * one of an overlay's is its VXLAN device, and each endpoint here is one (this
 * host's only: the state holds no other's). The network keeps a count that is
 * never short (portsAtMost), so an add counts the endpoints only when that
 * reaches the limit (once in `room - n` adds on a network of n), or in a
 * state read whole (already parsed: a plain loop), never parsing a record.
 */
function takeBridgePort(state: State, net: Network): void {
  if (!net.bridge) return; // macvlan, ipvlan: children of a parent, no bridge and no such limit
  const own = net.driver === 'overlay' ? 1 : 0;
  const room = BRIDGE_MAX_PORTS - own;
  let n = net.portsAtMost;
  if (n === undefined || n >= room || !recordsOf(state)) n = endpointCountOn(state, net.id);
  if (n >= room) {
    const why = own ? `${grouped(room)} endpoints and its VXLAN device` : `${grouped(room)} endpoints`;
    throw new ConflictError(
      `network "${net.name}" has no room for another endpoint on this host: its bridge ${net.bridge} has ${why}, ` +
        `the kernel's limit of ${grouped(BRIDGE_MAX_PORTS)} ports; use another network`,
    );
  }
  net.portsAtMost = n + 1;
}

/** 1023 as "1,023". */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Allocates names and addresses for a new endpoint (mutates the network's IPAM cursors). */
export function buildEndpoint(state: State, net: Network, sb: Sandbox, req: EndpointRequest): Endpoint {
  const driver = getDriver(net.driver);
  takeBridgePort(state, net);
  let id = newId();
  for (let veth = vethName(id); hasVeth(state, veth); veth = vethName(id)) id = newId();
  const ep: Endpoint = {
    id,
    networkId: net.id,
    sandboxId: sb.id,
    ifname: '',
    hostIfname: '',
    mac: '',
    aliases: req.aliases,
    created: new Date().toISOString(),
  };
  if (!driver.hasInterfaces) {
    if (req.ip || req.ip6 || req.mac) throw new UsageError(`the ${net.name} network gives no interface: --ip, --ip6 and --mac do not apply`);
    return ep;
  }
  const used = new Set(endpointsOf(state, sb).map((e) => e.ifname));
  if (req.ifname !== undefined && used.has(req.ifname)) throw new ConflictError(`sandbox "${sb.name}" already has an interface ${req.ifname}`);
  let n = 0;
  while (used.has(`eth${n}`)) n++;
  ep.ifname = req.ifname ?? `eth${n}`;
  // Only a bridge-switched network has a host end (the veth on the bridge); macvlan/ipvlan children live only inside.
  if (net.bridge) ep.hostIfname = vethName(id);
  const taken = takenAddresses(net, () => state.endpoints, recordsOf(state));
  for (const sub of net.subnets) {
    const fam = sub.subnet.family;
    const want = fam === 4 ? req.ip : req.ip6;
    if ((fam === 4 && ep.ipv4) || (fam === 6 && ep.ipv6)) continue;
    const a = allocateAddress(sub, taken, want);
    sub.next = a.next;
    if (fam === 4) ep.ipv4 = a.address;
    else ep.ipv6 = a.address;
  }
  if (req.ip && !ep.ipv4) throw new UsageError(`network "${net.name}" has no IPv4 subnet for --ip ${req.ip}`);
  if (req.ip6 && !ep.ipv6) throw new UsageError(`network "${net.name}" has no IPv6 subnet for --ip6 ${req.ip6} (create it with --ipv6)`);
  if (driver.sharesParentMac) {
    if (req.mac) throw new UsageError(`--mac does not apply on the ${net.driver} network "${net.name}": its endpoints carry the parent's MAC address`);
    return ep;
  }
  ep.mac = req.mac?.toLowerCase() ?? (ep.ipv4 ? macFromIpv4(ep.ipv4) : macFromId(id));
  // One MAC per switch: a second one would steal the first endpoint's frames.
  const holder = macHolder(state, net.id, ep.mac);
  if (holder && req.mac) {
    const who = state.sandboxes.find((x) => x.id === holder.sandboxId)?.name ?? holder.sandboxId.slice(0, 12);
    throw new ConflictError(`MAC address ${ep.mac} is already used on network "${net.name}" by sandbox "${who}"; pick another --mac`);
  }
  if (holder) ep.mac = macFromId(id);
  return ep;
}

/* A search of the records still held as text (records.ts), or plain loops over every endpoint, not closures: see resolve.ts. */
function hasVeth(state: State, veth: string): boolean {
  const r = recordsOf(state);
  if (r) return r.endpointsWith(`"hostIfname":${JSON.stringify(veth)}`, (e) => e.hostIfname === veth).length > 0;
  const endpoints = state.endpoints;
  for (let i = 0; i < endpoints.length; i++) if (endpoints[i]!.hostIfname === veth) return true;
  return false;
}

function macHolder(state: State, networkId: string, mac: string): Endpoint | undefined {
  const r = recordsOf(state);
  if (r) return r.endpointsWith(`"mac":${JSON.stringify(mac)}`, (e) => e.networkId === networkId && e.mac === mac)[0];
  const endpoints = state.endpoints;
  for (let i = 0; i < endpoints.length; i++) {
    const e = endpoints[i]!;
    if (e.networkId === networkId && e.mac === mac) return e;
  }
  return undefined;
}

export async function connect(s: Session, sbRef: string, netRef: string, req: EndpointRequest): Promise<Endpoint> {
  checkEndpointRequest(req);
  let dns: string[] = [];
  const sbName = s.read().sandboxes.find((x) => x.name === sbRef || x.id.startsWith(sbRef))?.name ?? sbRef;
  // On a joined host, an address on a cluster network is claimed in the store first (before the lock).
  const cluster = await clusterJoin(s, [netRef], sbName, req.aliases, req.ip, req.mac);
  const made = await settled(cluster, () => s.update((state) => {
    const init = [...ensureBuiltins(state, s.store.dir), ...(cluster?.materialize(state) ?? [])];
    const sb = findSandbox(state, sbRef);
    const net = findNetwork(state, netRef);
    checkCompatible(state, sb, net);
    const existing = endpointsOf(state, sb);
    const pinned = cluster?.pin(net.id);
    const ep = buildEndpoint(state, net, sb, pinned ? { ...req, ip: pinned } : req);
    const join = planJoin(state, net, ep, sb, existing);
    const eps = [...existing, ep];
    const nets = eps.map((e) => (e === ep ? net : networkOf(state, e)));
    s.apply([...init, ...join.host, ...join.sandbox, ...sandboxFiles(state, sb, eps, nets)]);
    state.endpoints.push(ep);
    s.apply(sandboxHooks().flatMap((h) => h.onConnect?.(state, sb, ep) ?? []));
    dns = dnsGateways(state, sb);
    return ep;
  }));
  await startDnsFor(s, dns); // post-apply: the state is saved, the server can read it
  return made;
}

/**
 * Tears an endpoint down and drops it from state; when it carried the default
 * route, the next routable endpoint takes it over.
 */
export function disconnectEndpoint(s: Session, state: State, ep: Endpoint): void {
  s.teardown(planDisconnect(state, ep));
}

/** Disconnects a sandbox from a network; with `force`, one that is not connected is no error (docker network disconnect -f). */
export async function disconnect(s: Session, sbRef: string, netRef: string, opts: { force?: boolean } = {}): Promise<void> {
  const cluster = await clusterLeave(s);
  await s.update((state) => {
    const sb = findSandbox(state, sbRef);
    const net = findNetwork(state, netRef);
    const ep = endpointsOf(state, sb).find((e) => e.networkId === net.id);
    if (!ep && opts.force) return;
    if (!ep) throw new NotFoundError(`sandbox "${sb.name}" is not connected to network "${net.name}"`);
    const parked = inactivePorts(sb).length;
    disconnectEndpoint(s, state, ep);
    const now = inactivePorts(sb);
    if (now.length > parked) {
      s.notices.push(`sandbox "${sb.name}" keeps its published ports (${now.join(', ')}), inactive until it connects to a network leading outside`);
    }
  });
  await cluster?.();
}
