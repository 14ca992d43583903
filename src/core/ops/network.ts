/**
 * Network orchestration: validate -> allocate -> plan -> apply -> persist.
 * No kernel detail lives here; drivers plan, the session applies.
 */
import { getDriver } from '../../drivers/index.js';
import type { RawNetworkOptions } from '../../drivers/types.js';
import { ConflictError, UsageError } from '../errors.js';
import { hostRoutes } from '../hostinfo.js';
import { formatCidr, mustCidr, parseCidr } from '../ip.js';
import { pickFreeSubnet, planSubnet, ulaFor, usedSubnets } from '../ipam.js';
import type { Network, State, SubnetConfig } from '../model.js';
import { bridgeName, checkName, newId } from '../names.js';
import { endpointsOn, findNetwork } from '../resolve.js';
import type { Session } from '../session.js';
import { ensureBuiltins } from './builtins.js';
import { disconnectEndpoint } from './endpoint.js';

export interface CreateNetworkInput {
  name: string;
  driver: string;
  subnets: string[];
  gateways: string[];
  ipRange?: string;
  ipv6: boolean;
  internal: boolean;
  dns: boolean;
  mtu?: number;
  labels: Record<string, string>;
  options: Record<string, string>;
  raw: RawNetworkOptions;
}

/** Checks what can be checked before taking the lock: names, driver options, CIDR syntax. */
function precheck(input: CreateNetworkInput) {
  checkName('network', input.name);
  const driver = getDriver(input.driver);
  if (!driver.hasInterfaces) throw new UsageError(`the ${driver.type} network is built in; it cannot be created`);
  const driverOpts = driver.validate(input.raw);
  if (input.mtu !== undefined && (!Number.isInteger(input.mtu) || input.mtu < 68 || input.mtu > 65535)) {
    throw new UsageError(`invalid --mtu ${input.mtu}: use 68-65535`);
  }
  if (input.gateways.length > input.subnets.length) throw new UsageError('each --gateway needs a --subnet to belong to');
  if (input.ipRange !== undefined && input.subnets.length === 0) throw new UsageError('--ip-range needs a --subnet');
  for (const s of input.subnets) if (!parseCidr(s)) throw new UsageError(`invalid subnet "${s}": expected CIDR like 172.20.0.0/16`);
  const fams = input.subnets.map((s) => mustCidr(s).family);
  if (fams.filter((f) => f === 4).length > 1 || fams.filter((f) => f === 6).length > 1) {
    throw new UsageError('give at most one IPv4 and one IPv6 --subnet');
  }
  return { driver, driverOpts };
}

export function planSubnets(state: State, input: CreateNetworkInput, id: string, withGateway: boolean): SubnetConfig[] {
  const skip = new Set(state.networks.map((n) => n.bridge).filter((b): b is string => !!b));
  const used = usedSubnets(state, hostRoutes(skip));
  const subnets: SubnetConfig[] = input.subnets.map((subnet, i) => {
    const gateway = input.gateways[i];
    const req: { subnet: string; gateway?: string; ipRange?: string } = { subnet };
    if (gateway !== undefined) req.gateway = gateway;
    if (i === 0 && input.ipRange !== undefined) req.ipRange = input.ipRange;
    const planned = planSubnet(req, used, withGateway);
    used.push(mustCidr(planned.subnet));
    return planned;
  });
  const has = (fam: 4 | 6) => subnets.some((s) => mustCidr(s.subnet).family === fam);
  if (!has(4)) subnets.unshift(planSubnet({ subnet: formatCidr(pickFreeSubnet(used)) }, used, withGateway));
  if (input.ipv6 && !has(6)) subnets.push(planSubnet({ subnet: formatCidr(ulaFor(id)) }, used, withGateway));
  return subnets;
}

export async function createNetwork(s: Session, input: CreateNetworkInput): Promise<Network> {
  const { driver, driverOpts } = precheck(input);
  return s.update((state) => {
    const init = ensureBuiltins(state);
    if (state.networks.some((n) => n.name === input.name)) {
      throw new ConflictError(`network "${input.name}" already exists`);
    }
    let id = newId();
    while (state.networks.some((n) => n.bridge === bridgeName(id))) id = newId();
    const subnets = planSubnets(state, input, id, driver.hostGateway || input.gateways.length > 0);
    const net: Network = {
      id,
      name: input.name,
      driver: driver.type,
      created: new Date().toISOString(),
      builtin: false,
      internal: input.internal,
      dns: input.dns,
      ipv6: input.ipv6 || subnets.some((x) => mustCidr(x.subnet).family === 6),
      mtu: input.mtu ?? 1500,
      subnets,
      options: input.options,
      labels: input.labels,
      driverOpts,
    };
    if (driver.type === 'bridge' || driver.type === 'overlay') net.bridge = bridgeName(id);
    s.apply([...init, ...driver.createNetwork(net)]);
    state.networks.push(net);
    return net;
  });
}

export async function removeNetworks(s: Session, refs: string[], force: boolean): Promise<string[]> {
  const removed: string[] = [];
  // One network at a time, each its own transaction: a failure on one keeps the others done.
  for (const ref of refs) {
    await s.update((state) => {
      const net = findNetwork(state, ref);
      if (net.builtin) throw new UsageError(`network "${net.name}" is built in and cannot be removed`);
      const eps = endpointsOn(state, net);
      if (eps.length > 0 && !force) {
        throw new ConflictError(`network "${net.name}" has ${eps.length} endpoint(s) attached; disconnect them or use --force`);
      }
      for (const ep of eps) disconnectEndpoint(s, state, ep);
      s.teardown(getDriver(net.driver).deleteNetwork(net));
      state.networks = state.networks.filter((n) => n.id !== net.id);
      removed.push(net.name);
    });
  }
  return removed;
}

export async function pruneNetworks(s: Session): Promise<string[]> {
  return s.update((state) => {
    const idle = state.networks.filter((n) => !n.builtin && endpointsOn(state, n).length === 0);
    for (const net of idle) s.teardown(getDriver(net.driver).deleteNetwork(net));
    const gone = new Set(idle.map((n) => n.id));
    state.networks = state.networks.filter((n) => !gone.has(n.id));
    return idle.map((n) => n.name);
  });
}
