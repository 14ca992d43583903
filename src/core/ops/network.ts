/**
 * Network orchestration: validate -> allocate -> plan -> apply -> persist.
 * No kernel detail lives here; drivers plan, the session applies.
 */
import { observeHost } from '../observe/host.js';
import { getDriver } from '../../drivers/index.js';
import type { AddressingRequest, NetworkDriver, RawNetworkOptions } from '../../drivers/types.js';
import { CnmError, ConflictError, UsageError } from '../errors.js';
import { kernelHasIPv6 } from '../exec/sysctl.js';
import { hostRoutes } from '../hostinfo.js';
import { type Addr, formatAddr, type Given, givenAddr, givenCidr, parseAddr, parseWrittenCidr, writtenAs, type WrittenCidr } from '../ip.js';
import { pickFreeSubnet, planSubnet, reserveAux, reserveHostAddress, reservedRange, type SubnetRequest, ulaFor, usedSubnets } from '../ipam.js';
import type { Network, State, SubnetConfig } from '../model.js';
import { bridgeName, checkName, newId } from '../names.js';
import { OPT } from '../options.js';
import { endpointsOn, findNetwork } from '../resolve.js';
import type { Session } from '../session.js';
import { ensureBuiltins } from './builtins.js';
import { planDisconnect } from '../plans/endpoint.js';
import type { Removal } from './sandbox.js';
import { checkResolvers } from '../plans/sandbox-files.js';
import { byNamespace, type Op } from '../plan.js';

export interface CreateNetworkInput {
  name: string;
  driver: string;
  subnets: string[];
  gateways: string[];
  ipRange?: string;
  /** Reserved addresses by name (`--aux-address NAME=IP`). */
  aux?: Record<string, string>;
  /** First address IPAM hands out (its cursor's start), when a driver sets one. */
  start?: string;
  ipv6: boolean;
  internal: boolean;
  dns: boolean;
  mtu?: number;
  labels: Record<string, string>;
  options: Record<string, string>;
  raw: RawNetworkOptions;
  /** Upstream resolvers for this network's sandboxes (`--dns`), behind the embedded DNS. */
  dnsServers?: string[];
}

/**
 * The MTUs the kernel keeps working at: IPv4 needs 68, IPv6 1280 (below it the
 * kernel removes a link's IPv6 altogether). Bridge and overlay networks always
 * configure IPv6 on their links (addrgenmode, router-advert settings), so
 * they need 1280 even when they carry only IPv4.
 */
function checkMtu(mtu: number, driver: NetworkDriver, ipv6: boolean): void {
  if (!Number.isInteger(mtu) || mtu > 65535) throw new UsageError(`invalid --mtu ${mtu}: use a whole number up to 65535`);
  const why = ipv6 ? 'an IPv6 network' : driver.hostBridge ? `a ${driver.type} network (its links carry IPv6 settings)` : undefined;
  const min = why ? 1280 : 68;
  if (mtu < min) throw new UsageError(`invalid --mtu ${mtu}: ${why ?? 'IPv4'} needs ${min} or more`);
}

/**
 * `--opt`: only what the driver honours (its table), each value checked; an
 * unknown key is refused naming the known ones, never stored and ignored.
 * Returns the MTU the options set (com.docker.network.driver.mtu).
 */
function checkOptions(driver: string, known: Readonly<Record<string, string>>, options: Record<string, string>, mtu: number | undefined): { mtu?: number } {
  for (const [k, v] of Object.entries(options)) {
    if (!Object.hasOwn(known, k)) {
      const keys = Object.keys(known);
      throw new UsageError(`unknown --opt "${k}" for a ${driver} network (${keys.length > 0 ? `known: ${keys.join(', ')}` : 'it takes none'})`);
    }
    if ((k === OPT.icc || k === OPT.masquerade) && v !== 'true' && v !== 'false') throw new UsageError(`invalid --opt ${k}=${v}: use true or false`);
    if (k === OPT.hostBindingIpv4) options[k] = hostBindingIp(k, v);
    if (k === OPT.bridgeName && !/^[a-zA-Z0-9_.-]{1,15}$/.test(v)) throw new UsageError(`invalid --opt ${k}=${v}: an interface name of 1-15 characters [a-zA-Z0-9_.-]`);
  }
  const fromOpt = options[OPT.mtu];
  if (fromOpt === undefined) return mtu === undefined ? {} : { mtu };
  const n = Number(fromOpt);
  if (!Number.isInteger(n)) throw new UsageError(`invalid --opt ${OPT.mtu}=${fromOpt}: a number`);
  if (mtu !== undefined && mtu !== n) throw new UsageError(`--mtu ${mtu} and --opt ${OPT.mtu}=${fromOpt} disagree`);
  return { mtu: n };
}

/** host_binding_ipv4's value: an IPv4 address, normalised (whether the host has it is checked at publish time). */
function hostBindingIp(k: string, v: string): string {
  const a = parseAddr(v);
  if (!a || a.family !== 4) throw new UsageError(`invalid --opt ${k}=${v}: an IPv4 address (of this host, or 0.0.0.0 for every address)`);
  return formatAddr(a);
}

/** Checks what can be checked before taking the lock: names, driver options, CIDR syntax. */
function precheck(input: CreateNetworkInput) {
  checkName('network', input.name);
  const driver = getDriver(input.driver);
  if (!driver.hasInterfaces) throw new UsageError(`the ${driver.type} network is built in; it cannot be created`);
  const driverOpts = driver.validate(input.raw, observeHost());
  // After the driver's own checks (which name the driver a misplaced option belongs to).
  input = { ...input, ...checkOptions(driver.type, driver.knownOptions, input.options, input.mtu) };
  if (input.gateways.length > input.subnets.length) throw new UsageError('each --gateway needs a --subnet to belong to');
  checkResolvers(input.dnsServers ?? []);
  if (input.ipRange !== undefined && input.subnets.length === 0) throw new UsageError('--ip-range needs a --subnet');
  // The one place `--subnet` text becomes a value; everything after carries it typed.
  const subnets = input.subnets.map((s): WrittenCidr => {
    const given = parseWrittenCidr(s);
    if (!given) throw new UsageError(`invalid subnet "${s}": expected CIDR like 172.20.0.0/16`);
    const why = reservedRange(given.cidr);
    if (why) throw new UsageError(`subnet ${s} cannot be a network's: ${why}`);
    return given;
  });
  const fams = subnets.map((s) => s.cidr.family);
  if ((input.ipv6 || fams.includes(6)) && !kernelHasIPv6()) {
    throw new CnmError('this kernel has no IPv6 (no /proc/sys/net/ipv6: booted with ipv6.disable=1?), which an IPv6 network needs');
  }
  if (input.mtu !== undefined) checkMtu(input.mtu, driver, input.ipv6 || fams.includes(6));
  if (fams.filter((f) => f === 4).length > 1 || fams.filter((f) => f === 6).length > 1) {
    throw new UsageError('give at most one IPv4 and one IPv6 --subnet');
  }
  const limit = driver.mtuLimit?.(driverOpts);
  if (limit !== undefined && input.mtu !== undefined && input.mtu > limit) {
    throw new UsageError(`--mtu ${input.mtu} is too big for this ${driver.type} network: its lower interface allows at most ${limit}`);
  }
  // --gateway, --ip-range and --aux-address are parsed here too; IPAM refuses a text that does not parse, in its turn.
  const req: AddressingRequest = { subnets, gateways: input.gateways.map(givenAddr), ipv6: input.ipv6 };
  if (input.ipRange !== undefined) req.ipRange = givenCidr(input.ipRange);
  const aux = Object.fromEntries(Object.entries(input.aux ?? {}).map(([name, ip]) => [name, givenAddr(ip)]));
  const addressing = driver.addressing ? driver.addressing(req, driverOpts) : req;
  const { subnets: _subnets, gateways: _gateways, ipRange: _ipRange, aux: _aux, ...rest } = input;
  const shaped: PlannedInput = { ...rest, ...addressing, aux };
  return { driver, driverOpts, input: shaped, mtu: input.mtu ?? limit ?? 1500 };
}

/** The input once checked: its addresses parsed, and filled in by the driver's addressing. */
export type PlannedInput = Omit<CreateNetworkInput, 'subnets' | 'gateways' | 'ipRange' | 'aux'> & AddressingRequest & { aux: Record<string, Given<Addr>> };

export function planSubnets(state: State, input: PlannedInput, id: string, withGateway: boolean): SubnetConfig[] {
  const skip = new Set(state.networks.map((n) => n.bridge).filter((b): b is string => !!b));
  // A macvlan/ipvlan network usually is the parent's own LAN: its route is no clash.
  if (input.raw.parent !== undefined) skip.add(input.raw.parent);
  const used = usedSubnets(state, hostRoutes(skip));
  const subnets: SubnetConfig[] = input.subnets.map((subnet, i) => {
    const gateway = input.gateways[i];
    const req: SubnetRequest & { subnet: WrittenCidr } = { subnet };
    if (gateway !== undefined) req.gateway = gateway;
    if (i === 0 && input.ipRange !== undefined) req.ipRange = input.ipRange;
    const planned = planSubnet(req, used, withGateway);
    if (i === 0 && input.start !== undefined) planned.next = input.start;
    // planSubnet refuses host bits, so the given CIDR is the planned one.
    used.push(subnet.cidr);
    return planned;
  });
  const has = (fam: 4 | 6) => input.subnets.some((s) => s.cidr.family === fam);
  if (!has(4)) subnets.unshift(planSubnet({ subnet: writtenAs(pickFreeSubnet(used)) }, used, withGateway));
  if (input.ipv6 && !has(6)) subnets.push(planSubnet({ subnet: writtenAs(ulaFor(id)) }, used, withGateway));
  return subnets;
}

export async function createNetwork(s: Session, given: CreateNetworkInput): Promise<Network> {
  const { driver, driverOpts, input, mtu } = precheck(given);
  return s.update((state) => {
    const init = ensureBuiltins(state, s.store.dir);
    if (state.networks.some((n) => n.name === input.name)) {
      throw new ConflictError(`network "${input.name}" already exists`);
    }
    let id = newId();
    while (state.networks.some((n) => n.bridge === bridgeName(id))) id = newId();
    const subnets = planSubnets(state, input, id, driver.hostGateway || input.gateways.length > 0);
    reserveAux(subnets, input.aux);
    const hostAddress = driver.hostAddress?.(driverOpts);
    if (hostAddress !== undefined) reserveHostAddress(subnets, hostAddress);
    const base = {
      id,
      name: input.name,
      driver: driver.type,
      created: new Date().toISOString(),
      builtin: false,
      internal: input.internal,
      dns: input.dns,
      ipv6: input.ipv6 || input.subnets.some((s) => s.cidr.family === 6),
      mtu,
      subnets,
      options: input.options,
      labels: input.labels,
      ...(input.dnsServers?.length ? { dnsServers: input.dnsServers } : {}),
    };
    const net = driver.network(base, driverOpts, input.options[OPT.bridgeName] ?? bridgeName(id));
    const named = net.bridge !== undefined && state.networks.find((n) => n.bridge === net.bridge);
    if (named) throw new ConflictError(`bridge name "${net.bridge}" is taken by network "${named.name}"`);
    // The embedded DNS listens on a gateway the host holds: a bridge's. macvlan/ipvlan gateways are outside routers.
    if (net.bridge === undefined) net.dns = false;
    s.apply([...init, ...driver.createNetwork(net)]);
    state.networks.push(net);
    return net;
  });
}

/**
 * Removes networks in one locked transaction and one teardown plan. Like
 * `docker network rm a b`, a name not found, a built-in network or one in use
 * (without --force) is an error for that one and does not stop the others.
 */
export async function removeNetworks(s: Session, refs: string[], force: boolean): Promise<Removal> {
  return s.update((state) => {
    const out: Removal = { removed: [], errors: [] };
    const going: Network[] = [];
    const endpointPlan: Op[] = [];
    for (const ref of refs) {
      try {
        const net = findNetwork(state, ref);
        if (going.includes(net)) continue;
        if (net.builtin) throw new UsageError(`network "${net.name}" is built in and cannot be removed`);
        const eps = endpointsOn(state, net);
        if (eps.length > 0 && !force) {
          throw new ConflictError(`network "${net.name}" has ${eps.length} endpoint(s) attached; disconnect them or use --force`);
        }
        endpointPlan.push(...eps.flatMap((ep) => planDisconnect(state, ep)));
        going.push(net);
        out.removed.push(net.name);
      } catch (e) {
        if (!(e instanceof CnmError)) throw e;
        out.errors.push(e);
      }
    }
    state.networks = state.networks.filter((n) => !going.includes(n));
    // One plan for every endpoint and network: one ip process per namespace, not per object.
    const networkPlan = going.flatMap((net) => getDriver(net.driver).deleteNetwork(net, state.networks));
    if (going.length > 0) s.teardown([...byNamespace(endpointPlan), ...byNamespace(networkPlan)]);
    return out;
  });
}

/** Removes every user network with no endpoints that `selected` accepts (`--filter`); returns their names. */
export async function pruneNetworks(s: Session, selected: (net: Network) => boolean = () => true): Promise<string[]> {
  return s.update((state) => {
    const idle = state.networks.filter((n) => !n.builtin && endpointsOn(state, n).length === 0 && selected(n));
    const gone = new Set(idle.map((n) => n.id));
    state.networks = state.networks.filter((n) => !gone.has(n.id));
    // One plan for all of them: one ip process and one nft transaction, whatever their number.
    if (idle.length > 0) s.teardown(byNamespace(idle.flatMap((net) => getDriver(net.driver).deleteNetwork(net, state.networks))));
    return idle.map((n) => n.name);
  });
}

/** `net update`: changes the peers of a live overlay network (its flooding entries) in one transaction. */
export async function updateNetworkPeers(s: Session, ref: string, add: readonly string[], remove: readonly string[]): Promise<Network> {
  if (add.length === 0 && remove.length === 0) throw new UsageError('nothing to change: give --add-peer or --remove-peer');
  return s.update((state) => {
    const net = findNetwork(state, ref);
    const driver = getDriver(net.driver);
    if (!driver.updatePeers) throw new UsageError(`network "${net.name}" is a ${net.driver} network; only overlay networks have peers`);
    const { ops, updated } = driver.updatePeers(net, add, remove);
    s.apply(ops);
    state.networks[state.networks.indexOf(net)] = updated;
    return updated;
  });
}
