/**
 * The bridge driver: a Linux bridge with the gateway address, a veth pair per
 * endpoint (host end enslaved, sandbox end named eth0, eth1...), NAT and
 * isolation in cnm's nftables table.
 */
import { UsageError } from '../core/errors.js';
import { networkRules, networkTeardown } from '../core/firewall/ruleset.js';
import { mustCidr } from '../core/ip.js';
import type { Endpoint, Network, Sandbox } from '../core/model.js';
import { macFromId } from '../core/names.js';
import { type Op, ip, ipDel, nft } from '../core/plan.js';
import type { JoinContext, JoinPlan, NetworkDriver, RawNetworkOptions } from './types.js';

/** Gateway addresses as `ip addr` wants them: "172.18.0.1/16". */
export function gatewayAddrs(net: Network): { addr: string; family: 4 | 6 }[] {
  return net.subnets
    .filter((s) => s.gateway)
    .map((s) => {
      const c = mustCidr(s.subnet);
      return { addr: `${s.gateway}/${c.prefix}`, family: c.family };
    });
}

export function forwardingSysctls(net: Network): Op[] {
  const ops: Op[] = [{ kind: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }];
  if (net.ipv6) ops.push({ kind: 'sysctl', key: 'net.ipv6.conf.all.forwarding', value: '1' });
  return ops;
}

/** Addresses, link up and default routes inside the sandbox: shared by veth-based drivers. */
export function sandboxSide(net: Network, ep: Endpoint, sb: Sandbox, ctx: JoinContext): Op[] {
  const ops: Op[] = [];
  if (ep.ipv4) ops.push(ip(['addr', 'add', ep.ipv4, 'dev', ep.ifname], undefined, sb.netns));
  if (ep.ipv6) ops.push(ip(['addr', 'add', ep.ipv6, 'dev', ep.ifname, 'nodad'], undefined, sb.netns));
  ops.push(ip(['link', 'set', ep.ifname, 'up'], undefined, sb.netns));
  if (ctx.defaultRoute && !net.internal) {
    for (const s of net.subnets) {
      if (!s.gateway) continue;
      const fam = mustCidr(s.subnet).family;
      ops.push(ip(['route', 'replace', fam === 6 ? '::/0' : '0.0.0.0/0', 'via', s.gateway, 'dev', ep.ifname], undefined, sb.netns));
    }
  }
  return ops;
}

export const bridgeDriver: NetworkDriver = {
  type: 'bridge',
  hasInterfaces: true,
  hostGateway: true,
  validate(raw: RawNetworkOptions) {
    if (raw.parent) throw new UsageError('--parent is for macvlan and ipvlan networks, not bridge');
    if (raw.vni !== undefined || raw.peers.length > 0 || raw.local) {
      throw new UsageError('--vni, --peer and --local are for overlay networks, not bridge');
    }
    if (raw.mode) throw new UsageError('--mode is for macvlan and ipvlan networks, not bridge');
    return {};
  },
  createNetwork(net) {
    const br = net.bridge!;
    const ops: Op[] = [
      ip(['link', 'add', br, 'mtu', String(net.mtu), 'address', macFromId(net.id), 'type', 'bridge'], ['link', 'del', br]),
    ];
    // No automatic IPv6 link-local address: the bridge holds only what cnm gives it. An IPv6
    // network's bridge gets fe80::1 (as Docker's does): the kernel solicits neighbours for
    // forwarded packets only from a link-local source, so without one routed IPv6 stops at the bridge.
    ops.push(ip(['link', 'set', br, 'addrgenmode', 'none']));
    if (net.ipv6) ops.push(ip(['addr', 'add', 'fe80::1/64', 'dev', br, 'nodad']));
    for (const g of gatewayAddrs(net)) {
      ops.push(ip(['addr', 'add', g.addr, 'dev', br, ...(g.family === 6 ? ['nodad'] : [])]));
    }
    ops.push(ip(['link', 'set', br, 'up']));
    ops.push(...forwardingSysctls(net));
    ops.push(nft(networkRules(net), networkTeardown(net)));
    return ops;
  },
  deleteNetwork(net) {
    return [ipDel(['link', 'del', net.bridge!]), nft(networkTeardown(net))];
  },
  join(net, ep, sb, ctx): JoinPlan {
    const mtu = String(net.mtu);
    return {
      host: [
        ip(
          ['link', 'add', ep.hostIfname, 'mtu', mtu, 'type', 'veth', 'peer', 'name', ep.ifname, 'mtu', mtu, 'address', ep.mac, 'netns', sb.netns],
          ['link', 'del', ep.hostIfname],
        ),
        ip(['link', 'set', ep.hostIfname, 'master', net.bridge!, 'up']),
      ],
      sandbox: sandboxSide(net, ep, sb, ctx),
    };
  },
  leave(_net, ep) {
    return [ipDel(['link', 'del', ep.hostIfname])];
  },
};

