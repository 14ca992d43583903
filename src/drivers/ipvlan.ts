/**
 * The ipvlan driver: like macvlan, each endpoint is a child of the parent made
 * straight inside the sandbox, but children share the parent's MAC address.
 * In l2 mode the sandbox's default route points at the LAN's router (the
 * gateway); in l3 and l3s modes the parent routes, so the default route is
 * simply the interface. Kernels without the ipvlan module fail at `net create`
 * (a probe child is made and removed) with a message naming the module.
 */
import { UsageError } from '../core/errors.js';
import { IPVLAN_MODES, type Endpoint, type IpvlanNetwork, type Network, type Sandbox } from '../core/model.js';
import { type Op, addrAdd, linkDel } from '../core/plan.js';
import { sandboxSide, sandboxUp } from './bridge.js';
import { probe } from './macvlan.js';
import { describeParent, parentDockerOptions, chooseParent, parentAndMode, parentOpts, parentSetup, parentTeardown } from './parent.js';
import type { JoinContext, JoinPlan, NetworkDriver, RawNetworkOptions } from './types.js';

/** Addresses, link up, and in l3/l3s a default route through the interface itself. */
function l3Side(net: Network, ep: Endpoint, sb: Sandbox, ctx: JoinContext): Op[] {
  const ops: Op[] = [];
  if (ep.ipv4) ops.push(addrAdd(ep.ipv4, ep.ifname, sb.netns));
  if (ep.ipv6) ops.push(addrAdd(ep.ipv6, ep.ifname, sb.netns, true));
  ops.push(sandboxUp(ep, sb.netns));
  if (ctx.defaultRoute && !net.internal) {
    for (const fam of new Set(net.subnets.map((s) => s.subnet.family))) {
      ops.push({ kind: 'route.replace', ns: sb.netns, dst: fam === 6 ? '::/0' : '0.0.0.0/0', dev: ep.ifname });
    }
  }
  return ops;
}

export const ipvlanDriver: NetworkDriver<IpvlanNetwork> = {
  type: 'ipvlan',
  sharesParentMac: true,
  describe: describeParent,
  endpointLink: 'ipvlan child',
  dockerOptions: parentDockerOptions,
  hasInterfaces: true,
  knownOptions: {},
  hostGateway: true,
  validate(raw: RawNetworkOptions, host) {
    const { parent, mode } = parentAndMode(raw, 'ipvlan', IPVLAN_MODES);
    if (raw.opts['host-shim'] !== undefined) throw new UsageError('--opt host-shim is for macvlan networks');
    return { ...parentOpts(chooseParent(parent, host.links())), mode };
  },
  mtuLimit: (opts) => opts.lowerMtu ?? 1500,
  network: (base, driverOpts) => ({ ...base, driver: 'ipvlan', driverOpts }),
  createNetwork(net) {
    return [...parentSetup(net), ...probe(net)];
  },
  deleteNetwork(net, others) {
    return parentTeardown(net, others);
  },
  join(net, ep, sb, ctx): JoinPlan {
    const o = net.driverOpts;
    return {
      host: [
        { kind: 'link.add', parent: o.parent, name: ep.ifname, netns: sb.netns, mtu: net.mtu, link: { type: 'ipvlan', mode: o.mode } },
      ],
      sandbox: o.mode === 'l2' ? sandboxSide(net, ep, sb, ctx) : l3Side(net, ep, sb, ctx),
    };
  },
  leave(_net, ep, sb) {
    return [linkDel(ep.ifname, sb.netns)];
  },
};
