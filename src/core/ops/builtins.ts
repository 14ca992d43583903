/**
 * The built-in networks, made on first use like dockerd makes docker0:
 * `bridge` (Linux bridge cnm0, 172.17.0.0/16 unless taken, NAT, no embedded
 * DNS), `host` and `none`. They cannot be removed.
 */
import { resolve } from '../paths.js';
import { guardBase, removeGuard } from '../firewall/guard.js';
import { baseRules, removeBase } from '../firewall/ruleset.js';
import { hostRoutes } from '../hostinfo.js';
import { writtenAs } from '../ip.js';
import { defaultPools, pickFreeSubnet, planSubnet, usedSubnets } from '../ipam.js';
import type { BridgeNetwork, HostNetwork, NoneNetwork, State } from '../model.js';
import { defaultBridge } from '../instance.js';
import { bridgeName, stableId } from '../names.js';
import { type Op, nft } from '../plan.js';
import { getDriver } from '../../drivers/index.js';

export const BUILTIN_NAMES = ['bridge', 'host', 'none'] as const;

/** What the three built-in networks share; each is made by its driver's name. */
function builtin<D extends 'bridge' | 'host' | 'none'>(seed: string, name: D) {
  return {
    id: stableId('cnm built-in network', resolve(seed), name),
    name,
    driver: name,
    created: new Date().toISOString(),
    builtin: true,
    internal: false,
    dns: false,
    ipv6: false,
    mtu: 1500,
    subnets: [],
    options: {},
    labels: {},
    driverOpts: {},
  };
}

/**
 * Adds the built-in networks to a state that has none and returns the kernel
 * work that makes them real (cnm0 and the base of cnm's nftables table).
 * Their IDs come from `seed` (the state dir) and the name: stable from the
 * first read on, like the IDs dockerd gives them once.
 */
export function ensureBuiltins(state: State, seed: string): Op[] {
  if (state.networks.some((n) => n.builtin)) return [];
  const used = usedSubnets(state, hostRoutes());
  const subnet = pickFreeSubnet(used, defaultPools());
  const id = stableId('cnm built-in network', resolve(seed), 'bridge');
  // cnm0 for the default state dir; another state dir's default bridge is named like its other networks'.
  const name = defaultBridge(bridgeName(id));
  const bridge: BridgeNetwork = {
    ...builtin(seed, 'bridge'),
    id,
    subnets: [planSubnet({ subnet: writtenAs(subnet) }, used)],
    options: { 'com.docker.network.bridge.name': name },
    bridge: name,
  };
  const host: HostNetwork = builtin(seed, 'host');
  const none: NoneNetwork = builtin(seed, 'none');
  state.networks.unshift(bridge, host, none);
  // The first run makes cnm's tables; a rollback of it takes them back whole.
  return [nft([...baseRules(), ...guardBase()], [...removeBase(), ...removeGuard()]), ...getDriver('bridge').createNetwork(bridge)];
}
