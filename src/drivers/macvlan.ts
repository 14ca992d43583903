/**
 * The macvlan driver: each endpoint is a macvlan child of the parent
 * interface, made straight inside the sandbox (`ip link add ... netns SB`), so
 * deleting the sandbox deletes it. There is no switch and no gateway on the
 * host: the gateway is a router on the parent's LAN and the sandbox's default
 * route points at it. The host cannot reach its own children through the
 * parent (the kernel does not deliver child traffic to the lower device);
 * `--opt host-shim=true` adds a macvlan of the host's own (mode bridge) with
 * its own address from the subnet (reserved in IPAM as the auxiliary address
 * "host-shim", or the one `--aux-address host-shim=IP` names) and a route to
 * the network through it: the recipe Docker and Podman users follow by hand.
 * The parent needs no address of its own.
 */
import { UsageError } from '../core/errors.js';
import { linkMark } from '../core/instance.js';
import { contains, formatAddr, formatCidr, mustAddr } from '../core/ip.js';
import { MACVLAN_MODES, type Endpoint, type MacvlanNetwork, type Network, type Sandbox } from '../core/model.js';
import { type Op, addrAdd, linkDel, linkSet } from '../core/plan.js';
import { sandboxSide } from './bridge.js';
import { boolOpt, describeParent, parentDockerOptions, chooseParent, parentAndMode, parentOpts, parentSetup, parentTeardown, type ParentNetwork } from './parent.js';
import type { JoinContext, JoinPlan, NetworkDriver, RawNetworkOptions } from './types.js';

/** The name of the shim's reserved address in IPAM (`IPAM.Config[].AuxiliaryAddresses`). */
export const SHIM_ADDRESS = 'host-shim';

/** The host's own macvlan on the parent: "cnms" + 11 hex of the network ID. */
export function shimName(net: Network): string {
  return `cnms${net.id.slice(0, 11)}`;
}

/** A throwaway child that proves at `net create` that the kernel can make this network's children. */
export function probeName(net: Network): string {
  return `cnmp${net.id.slice(0, 11)}`;
}

/** Proves the kernel can make a child of this type on the parent, and leaves nothing. */
export function probe(net: ParentNetwork): Op[] {
  const name = probeName(net);
  return [
    { kind: 'link.add', parent: net.driverOpts.parent, name, link: { type: net.driver, mode: net.driverOpts.mode } },
    linkDel(name),
  ];
}

/** The range the host shim routes to the children: the IPv4 --ip-range, else the subnet. */
function shimRoute(net: Network): string | undefined {
  const v4 = net.subnets.find((s) => s.subnet.family === 4);
  return v4 ? formatCidr(v4.ipRange ?? v4.subnet) : undefined;
}

/** The shim's own address, reserved in the subnet; networks made before that used the parent's (shimSource). */
function shimAddress(net: MacvlanNetwork): { ip: string; own: boolean } | undefined {
  for (const s of net.subnets) {
    const own = s.aux?.[SHIM_ADDRESS];
    if (own) return { ip: formatAddr(own), own: true };
  }
  const src = net.driverOpts.shimSource;
  return src === undefined ? undefined : { ip: src, own: false };
}

function shimSetup(net: MacvlanNetwork): Op[] {
  if (net.driverOpts.hostShim !== true) return [];
  const name = shimName(net);
  const route = shimRoute(net);
  const src = shimAddress(net);
  const ops: Op[] = [
    { kind: 'link.add', parent: net.driverOpts.parent, name, mtu: net.mtu, link: { type: 'macvlan', mode: 'bridge' } },
  ];
  if (src?.own) ops.push(addrAdd(`${src.ip}/32`, name));
  ops.push(linkSet(name, { up: true, ...linkMark() }));
  if (route) ops.push({ kind: 'route.add', dst: route, dev: name, ...(src ? { src: src.ip } : {}) });
  return ops;
}

/**
 * In the sandbox: a host route to the shim's source address when it is not
 * inside the network's subnet, so replies to the host stay on the LAN.
 */
function shimReturnRoute(net: MacvlanNetwork, ep: Endpoint, sb: Sandbox): Op[] {
  const src = shimAddress(net)?.ip;
  if (net.driverOpts.hostShim !== true || src === undefined) return [];
  const a = mustAddr(src);
  const inside = net.subnets.some((s) => contains(s.subnet, a));
  return inside ? [] : [{ kind: 'route.replace', ns: sb.netns, dst: `${src}/32`, dev: ep.ifname }];
}

export const macvlanDriver: NetworkDriver<MacvlanNetwork> = {
  type: 'macvlan',
  hasInterfaces: true,
  knownOptions: { 'host-shim': 'true|false: give the host a macvlan of its own on the parent, so it reaches the network' },
  hostGateway: true,
  describe: describeParent,
  endpointLink: 'macvlan child',
  dockerOptions: parentDockerOptions,
  validate(raw: RawNetworkOptions, host) {
    const { parent: parentName, mode } = parentAndMode(raw, 'macvlan', MACVLAN_MODES);
    const shim = boolOpt(raw.opts, 'host-shim');
    if (shim && mode !== 'bridge') throw new UsageError(`--opt host-shim=true needs --mode bridge (the shim reaches children only in bridge mode), not ${mode}`);
    const parent = chooseParent(parentName, host.links());
    const opts = { ...parentOpts(parent), mode };
    return shim ? { ...opts, hostShim: true } : opts;
  },
  hostAddress: (opts) => (opts.hostShim === true ? SHIM_ADDRESS : undefined),
  mtuLimit: (opts) => opts.lowerMtu ?? 1500,
  network: (base, driverOpts) => ({ ...base, driver: 'macvlan', driverOpts }),
  createNetwork(net) {
    return [...parentSetup(net), ...probe(net), ...shimSetup(net)];
  },
  deleteNetwork(net, others) {
    const shim = net.driverOpts.hostShim === true ? [linkDel(shimName(net))] : [];
    return [...shim, ...parentTeardown(net, others)];
  },
  join(net, ep, sb, ctx: JoinContext): JoinPlan {
    const o = net.driverOpts;
    return {
      // Made inside the sandbox from the start: no temporary name in the host, nothing to rename.
      host: [
        { kind: 'link.add', parent: o.parent, name: ep.ifname, netns: sb.netns, mtu: net.mtu, mac: ep.mac, link: { type: 'macvlan', mode: o.mode } },
      ],
      sandbox: [...sandboxSide(net, ep, sb, ctx), ...shimReturnRoute(net, ep, sb)],
    };
  },
  leave(_net, ep, sb) {
    return [linkDel(ep.ifname, sb.netns)];
  },
};
