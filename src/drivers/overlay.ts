/**
 * The overlay driver: one network across hosts with nothing but the hosts (no
 * swarm, no key-value store). Each host runs `net create` with the same subnet
 * and VNI and lists its peers. Per host it is a bridge network (gateway,
 * veths, NAT and isolation as the bridge driver does them) with a VXLAN device
 * on the bridge: UDP 4789, the VNI, learning off, and one all-zeros flooding
 * entry per peer, so broadcast and ARP reach every host (head-end
 * replication). Addresses never collide because each host hands out only its
 * own slice of the subnet (see `hostSlice`); the gateway is this host's, the
 * first address of its slice, so sandboxes leave through their own host.
 */
import { OPT } from '../core/options.js';
import { CnmError, ConflictError, NotFoundError, UsageError } from '../core/errors.js';
import { linkMark } from '../core/instance.js';
import { type Addr, type Cidr, formatAddr, formatCidr, type Given, givenAs, parseAddr, type WrittenCidr } from '../core/ip.js';
import type { ClusterOverlay, OverlayNetwork } from '../core/model.js';
import { type FdbOp, type Op, isLineOp, linkDel, linkSet } from '../core/plan.js';
import { SPOOFCHECK_OPT, spoofcheckOption } from '../core/firewall/guard.js';
import { createBridge, deleteBridge, forgetBridge, joinBridge, leaveBridge } from './bridge.js';
import { linkWithAddress } from '../core/observe/host.js';
import { refuse } from './parent.js';
import type { AddressingRequest, NetworkDriver, RawNetworkOptions } from './types.js';

export const VXLAN_PORT = 4789;
const ALL_ZEROS = '00:00:00:00:00:00';
const MAX_VNI = 16_777_215;

/** The VXLAN device on the network's bridge: "cnmx" + 11 hex of the network ID. */
export function vxlanName(net: { id: string }): string {
  return `cnmx${net.id.slice(0, 11)}`;
}

/**
 * This host's slice of an IPv4 subnet, derived from its underlay address:
 * the subnet is cut into 2^k equal slices, k = min(8, (32 - prefix) / 2)
 * rounded down, and the host takes slice number (underlay address mod 2^k).
 * A /16 gives /24 slices numbered by the last octet of --local (198.51.100.7
 * takes 10.1.7.0/24 of 10.1.0.0/16); a /24 gives sixteen /28 slices.
 */
export function hostSlice(subnet: WrittenCidr, local: Addr): Cidr {
  const c = subnet.cidr;
  const k = Math.min(8, Math.floor((32 - c.prefix) / 2));
  if (k < 2) throw new UsageError(`overlay subnet ${subnet.text} is too small to share between hosts: use /28 or larger, or give each host its own --ip-range`);
  const index = local.value & ((1n << BigInt(k)) - 1n);
  const prefix = c.prefix + k;
  return { family: 4, base: c.base + (index << BigInt(32 - prefix)), prefix };
}

function givenSlice(slice: Cidr): Given<Cidr> {
  return { text: formatCidr(slice), value: slice };
}

/** The first address of a slice that is not its network address: this host's gateway. */
function sliceGateway(r: Cidr): Addr {
  return { family: r.family, value: r.prefix >= 31 ? r.base : r.base + 1n };
}

function mustUnderlayAddr(text: string, flag: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new UsageError(`invalid ${flag} "${text}": expected an IPv4 or IPv6 address of the underlay`);
  return a;
}

/** Checks peers: valid, same family as the local address, not the local address, each once. */
function checkPeers(peers: readonly string[], local: Addr): string[] {
  const out: string[] = [];
  for (const p of peers) {
    const a = mustUnderlayAddr(p, '--peer');
    if (a.family !== local.family) throw new UsageError(`peer ${p} is not of the same address family as --local ${formatAddr(local)}`);
    if (a.value === local.value) throw new UsageError(`peer ${p} is this host's own underlay address (--local); list the other hosts`);
    const text = formatAddr(a);
    if (out.includes(text)) throw new UsageError(`peer ${p} is given twice`);
    out.push(text);
  }
  return out;
}

function fdb(verb: 'append' | 'del', net: OverlayNetwork, peer: string): FdbOp {
  return { kind: verb === 'append' ? 'fdb.append' : 'fdb.del', mac: ALL_ZEROS, dev: vxlanName(net), dst: peer };
}

/** The peers a network floods to: none for a cluster network this host has no part of. */
function peersOf(net: OverlayNetwork | ClusterOverlay): string[] {
  return 'peers' in net.driverOpts ? net.driverOpts.peers : [];
}

export const overlayDriver: NetworkDriver<OverlayNetwork, OverlayNetwork | ClusterOverlay> = {
  type: 'overlay',
  hasInterfaces: true,
  knownOptions: { [OPT.mtu]: 'the MTU, like --mtu', [SPOOFCHECK_OPT]: 'true|false: drop frames whose source MAC or IP is not the endpoint\'s (default true)' },
  hostGateway: true,
  hostBridge: true,
  scope: 'global',
  describe: (net) => `${net.bridge !== undefined ? `bridge ${net.bridge} + ` : ''}vxlan vni ${net.driverOpts.vni}`,
  endpointLink: 'overlay child',
  dockerOptions: (net) => ({
    'com.docker.network.driver.mtu': String(net.mtu),
    'com.docker.network.driver.overlay.vxlanid_list': `${net.driverOpts.vni}`,
  }),
  dockerExtras: (net) => ({ Peers: peersOf(net).map((ip) => ({ Name: ip, IP: ip })) }),
  validate(raw: RawNetworkOptions, host) {
    refuse(raw, 'overlay', ['overlay']);
    if (raw.vni === undefined) throw new UsageError('an overlay network needs --vni N (1-16777215), the same on every host');
    if (!Number.isInteger(raw.vni) || raw.vni < 1 || raw.vni > MAX_VNI) throw new UsageError(`invalid --vni ${raw.vni}: use 1-${MAX_VNI}`);
    const links = host.links();
    const taken = links.find((l) => l.vni === raw.vni);
    if (taken) throw new ConflictError(`VNI ${raw.vni} is already used on this host (by ${taken.name}); pick another --vni`);
    let localText = raw.local;
    let underlay;
    if (localText === undefined) {
      if (raw.peers.length === 0) throw new UsageError("an overlay network needs --local (this host's underlay address) or at least one --peer");
      const peer = formatAddr(mustUnderlayAddr(raw.peers[0]!, '--peer'));
      const route = host.routeTo(peer);
      if (!route) throw new UsageError(`no route to peer ${peer} on this host; give --local with this host's underlay address`);
      localText = route.src;
      underlay = links.find((l) => l.name === route.dev);
    } else {
      underlay = linkWithAddress(links, mustUnderlayAddr(localText, '--local'));
      if (!underlay) throw new UsageError(`--local ${localText} is not an address of this host; see 'ip addr'`);
    }
    if (!underlay) throw new CnmError(`cannot find the underlay interface of ${localText}`);
    const local = mustUnderlayAddr(localText, '--local');
    const peers = checkPeers(raw.peers, local);
    // VXLAN adds 50 bytes over IPv4 (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14), 70 over IPv6.
    const lowerMtu = underlay.mtu - (local.family === 6 ? 70 : 50);
    return { vni: raw.vni, local: formatAddr(local), underlay: underlay.name, lowerMtu, peers, ...spoofcheckOption(raw.opts) };
  },
  addressing(req: AddressingRequest, opts): AddressingRequest {
    if (req.subnets.length === 0) throw new UsageError('an overlay network needs --subnet CIDR, the same on every host');
    if (req.ipv6 || req.subnets.some((s) => s.cidr.family === 6)) {
      throw new UsageError('overlay networks are IPv4 only: drop --ipv6 and the IPv6 --subnet');
    }
    const ipRange = req.ipRange ?? givenSlice(hostSlice(req.subnets[0]!, mustUnderlayAddr(opts.local, '--local')));
    // An --ip-range that does not parse is refused by IPAM, as on a bridge network.
    if (ipRange.value === undefined) return { ...req, ipRange };
    const gateway = sliceGateway(ipRange.value);
    const gateways = req.gateways.length > 0 ? req.gateways : [givenAs(gateway)];
    // Endpoints start after this host's gateway (.2 of a /24 slice), as on a bridge network.
    const start = formatAddr({ family: 4, value: gateway.value + 1n });
    return { ...req, ipRange, gateways, start };
  },
  mtuLimit: (opts) => opts.lowerMtu,
  network: (base, driverOpts, bridge) => ({ ...base, driver: 'overlay', driverOpts, bridge }),
  createNetwork(net) {
    const vx = vxlanName(net);
    const o = net.driverOpts;
    const bridge = createBridge(net);
    return [
      // One `ip -batch`: the bridge's lines, then the VXLAN device on it.
      ...bridge.filter(isLineOp),
      { kind: 'link.add', name: vx, mtu: net.mtu, link: { type: 'vxlan', id: o.vni, port: VXLAN_PORT, local: o.local, dev: o.underlay, ...(o.discovery === true ? { proxy: true } : {}) } },
      linkSet(vx, { master: net.bridge, up: true, ...linkMark() }),
      // One `bridge -batch`: the flooding entries (they go with the device on undo).
      ...peersOf(net).map((p): Op => ({ ...fdb('append', net, p), covered: true })),
      ...bridge.filter((op) => !isLineOp(op)),
    ];
  },
  deleteNetwork(net) {
    return [linkDel(vxlanName(net)), ...deleteBridge(net)];
  },
  join: joinBridge,
  leave: (net, ep) => leaveBridge(net, ep),
  forget: (net, ep) => forgetBridge(net, ep),
  updatePeers(net, add, remove) {
    const local = mustUnderlayAddr(net.driverOpts.local, '--local');
    const current = peersOf(net);
    const adding = checkPeers(add, local);
    const removing = remove.map((p) => formatAddr(mustUnderlayAddr(p, '--remove-peer')));
    for (const p of adding) {
      if (current.includes(p)) throw new ConflictError(`${p} is already a peer of network "${net.name}"`);
      if (removing.includes(p)) throw new UsageError(`${p} is both added and removed`);
    }
    for (const p of removing) {
      if (!current.includes(p)) throw new NotFoundError(`${p} is not a peer of network "${net.name}"; see 'cnm net inspect ${net.name}'`);
    }
    const ops: Op[] = [
      ...removing.map((p) => fdb('del', net, p)),
      ...adding.map((p) => fdb('append', net, p)),
    ];
    const peers = [...current.filter((p) => !removing.includes(p)), ...adding];
    return { ops, updated: { ...net, driverOpts: { ...net.driverOpts, peers } } };
  },
};
