/**
 * The bridge driver: a Linux bridge with the gateway address, a veth pair per
 * endpoint (host end enslaved, sandbox end named eth0, eth1...), NAT and
 * isolation in cnm's nftables table.
 */
import { UsageError } from '../core/errors.js';
import { PORT_GROUP, SPOOFCHECK_OPT, addEndpointGuardOp, guardBase, guarded, removeEndpointGuardOp, spoofcheckOption } from '../core/firewall/guard.js';
import { networkRules, networkTeardown } from '../core/firewall/ruleset.js';
import { linkMark } from '../core/instance.js';
import { formatAddr } from '../core/ip.js';
import type { BridgeNetwork, BridgedNetwork, Endpoint, Network, Sandbox } from '../core/model.js';
import { macFromId } from '../core/names.js';
import { OPT } from '../core/options.js';
import { type Op, addrAdd, linkDel, linkSet, nft } from '../core/plan.js';
import type { JoinContext, JoinPlan, NetworkDriver, RawNetworkOptions } from './types.js';

/** Gateway addresses as `ip addr` wants them: "172.18.0.1/16". */
export function gatewayAddrs(net: Network): { addr: string; family: 4 | 6 }[] {
  return net.subnets.flatMap((s) => (s.gateway ? [{ addr: `${formatAddr(s.gateway)}/${s.subnet.prefix}`, family: s.subnet.family }] : []));
}

export function forwardingSysctls(net: Network): Op[] {
  const ops: Op[] = [{ kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }];
  if (net.ipv6) ops.push({ kind: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' });
  return ops;
}

/**
 * The sandbox's interface up. One with no IPv6 address (its network has none) gets no IPv6
 * link-local address either (addrgenmode none, in the same message as up: the kernel reads it
 * first), as Docker does on IPv4-only networks: no duplicate address detection, router
 * solicitations and multicast listener reports from it, which its network's bridge floods to
 * every port. Per interface: a sandbox's interface on an IPv6 network keeps its link-local one.
 */
export function sandboxUp(ep: Endpoint, ns: string): Op {
  return linkSet(ep.ifname, { ...(ep.ipv6 ? {} : { addrgenmode: 'none' as const }), up: true }, ns);
}

/** Addresses, link up and default routes inside the sandbox: shared by veth-based drivers. */
export function sandboxSide(net: Network, ep: Endpoint, sb: Sandbox, ctx: JoinContext): Op[] {
  const ops: Op[] = [];
  if (ep.ipv4) ops.push(addrAdd(ep.ipv4, ep.ifname, sb.netns));
  if (ep.ipv6) ops.push(addrAdd(ep.ipv6, ep.ifname, sb.netns, true));
  ops.push(sandboxUp(ep, sb.netns));
  if (ctx.defaultRoute && !net.internal) {
    for (const s of net.subnets) {
      if (!s.gateway) continue;
      const fam = s.subnet.family;
      ops.push({ kind: 'route.replace', ns: sb.netns, dst: fam === 6 ? '::/0' : '0.0.0.0/0', via: formatAddr(s.gateway), dev: ep.ifname });
    }
  }
  return ops;
}

/** The --opt keys a bridge network honours (Docker's names). */
const BRIDGE_OPTIONS: Record<string, string> = {
  [OPT.bridgeName]: 'the bridge interface\'s name (at most 15 characters)',
  [OPT.icc]: 'true|false: whether endpoints reach each other (false: isolated bridge ports)',
  [OPT.masquerade]: 'true|false: whether traffic leaving the network is masqueraded',
  [OPT.hostBindingIpv4]: 'the host IPv4 address -p publishes on when it names none (default: every address)',
  [OPT.mtu]: 'the MTU, like --mtu',
  [SPOOFCHECK_OPT]: 'true|false: drop frames whose source MAC or IP is not the endpoint\'s (default true)',
};
const ICC = OPT.icc;

/** The bridge, its gateway addresses and its rules: a bridge network, and the local half of an overlay. */
export function createBridge(net: BridgedNetwork): Op[] {
  const br = net.bridge;
  const ops: Op[] = [
    // Multicast snooping off: without an IGMP/MLD querier the bridge floods multicast anyway, and
    // with it on a sandbox steers forwarding, and every new port costs O(ports) (docs/security.md).
    { kind: 'link.add', name: br, mtu: net.mtu, mac: macFromId(net.id), link: { type: 'bridge', mcastSnooping: false } },
  ];
  // No automatic IPv6 link-local address: the bridge holds only what cnm gives it. An IPv6
  // network's bridge gets fe80::1 (as Docker's does): the kernel solicits neighbours for
  // forwarded packets only from a link-local source, so without one routed IPv6 stops at the bridge.
  ops.push(linkSet(br, { addrgenmode: 'none' }));
  if (net.ipv6) ops.push(addrAdd('fe80::1/64', br, undefined, true));
  for (const g of gatewayAddrs(net)) {
    ops.push(addrAdd(g.addr, br, undefined, g.family === 6));
  }
  ops.push(linkSet(br, { up: true, ...linkMark() }));
  // The host learns no route or address from what arrives on a bridge (guard.ts drops
  // sandboxes' router adverts too; this covers anything else on the wire).
  ops.push({ kind: 'sysctl', key: `net.ipv6.conf.${br}.accept_ra`, value: '0', ipv6Only: true });
  ops.push(...forwardingSysctls(net));
  ops.push(nft([...guardBase(), ...networkRules(net)], networkTeardown(net)));
  return ops;
}

export function deleteBridge(net: BridgedNetwork): Op[] {
  return [linkDel(net.bridge), nft(networkTeardown(net))];
}

/** A veth pair with its host end a port of the bridge. */
export function joinBridge(net: BridgedNetwork, ep: Endpoint, sb: Sandbox, ctx: JoinContext): JoinPlan {
  const mtu = net.mtu;
  // enable_icc=false: the port is isolated, so endpoints reach the gateway and beyond but not each other.
  const isolated = net.options[ICC] === 'false';
  return {
    host: [
      // The group marks the port for guard.ts's rules (router adverts, spoof checks).
      { kind: 'link.add', name: ep.hostIfname, mtu, group: PORT_GROUP, link: { type: 'veth', peer: { name: ep.ifname, mtu, mac: ep.mac, netns: sb.netns } } },
      // A port, like the bridge, holds no address of its own: no IPv6 link-local one either
      // (it would solicit routers and report multicast listeners into the sandbox).
      linkSet(ep.hostIfname, { master: net.bridge, addrgenmode: 'none', up: true, ...linkMark() }),
      // A port's bridge options apply once it is a port: a line of its own, after master.
      ...(isolated ? [linkSet(ep.hostIfname, { isolated: true })] : []),
      ...(guarded(net, ep) ? [addEndpointGuardOp(ep)] : []),
    ],
    sandbox: sandboxSide(net, ep, sb, ctx),
  };
}

export function leaveBridge(net: BridgedNetwork, ep: Endpoint): Op[] {
  return [linkDel(ep.hostIfname), ...forgetBridge(net, ep)];
}

export function forgetBridge(net: BridgedNetwork, ep: Endpoint): Op[] {
  return guarded(net, ep) ? [removeEndpointGuardOp(ep)] : [];
}

export const bridgeDriver: NetworkDriver<BridgeNetwork> = {
  type: 'bridge',
  hasInterfaces: true,
  knownOptions: BRIDGE_OPTIONS,
  hostGateway: true,
  hostBridge: true,
  describe: (net) => `bridge ${net.bridge}`,
  endpointLink: 'bridge child',
  dockerOptions: (net) => ({ 'com.docker.network.driver.mtu': String(net.mtu) }),
  validate(raw: RawNetworkOptions) {
    if (raw.parent) throw new UsageError('--parent is for macvlan and ipvlan networks, not bridge');
    if (raw.vni !== undefined || raw.peers.length > 0 || raw.local) {
      throw new UsageError('--vni, --peer and --local are for overlay networks, not bridge');
    }
    if (raw.mode) throw new UsageError('--mode is for macvlan and ipvlan networks, not bridge');
    return spoofcheckOption(raw.opts);
  },
  network: (base, driverOpts, bridge) => ({ ...base, driver: 'bridge', driverOpts, bridge }),
  createNetwork: createBridge,
  deleteNetwork: (net) => deleteBridge(net),
  join: joinBridge,
  leave: (net, ep) => leaveBridge(net, ep),
  forget: (net, ep) => forgetBridge(net, ep),
};
