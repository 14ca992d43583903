/**
 * The driver contract, in CNM verbs (after libnetwork's driverapi): drivers
 * validate options before anything changes, then return plans. They never
 * touch the kernel themselves.
 */
import type { Addr, Cidr, Given, WrittenCidr } from '../core/ip.js';
import type { DriverName, Endpoint, Network, NetworkBase, Sandbox } from '../core/model.js';
import type { HostFacts } from '../core/observe/host.js';
import type { Op } from '../core/plan.js';

/** What `net create` was given, before the driver has checked it. */
export interface RawNetworkOptions {
  parent?: string;
  mode?: string;
  vni?: number;
  peers: string[];
  local?: string;
  opts: Record<string, string>;
}

/** An endpoint's join is work in two namespaces: cnm's own (host) and the sandbox's. */
export interface JoinPlan {
  host: Op[];
  sandbox: Op[];
}

export interface JoinContext {
  /** This endpoint's network provides the sandbox's default route. */
  defaultRoute: boolean;
}

/**
 * A driver, typed by the networks it builds (`N`) and those it describes
 * (`Shown`: the overlay also describes cluster networks this host has no part of).
 * Its validate() returns N's options; the registry hands each network to the
 * driver its `driver` field names.
 */
export interface NetworkDriver<N extends Network = Network, Shown extends Network = N> {
  readonly type: DriverName & N['driver'];
  /** Whether endpoints get an interface and addresses (false for host and none). */
  readonly hasInterfaces: boolean;
  /**
   * Whether IPAM gives the network a gateway by default (the first usable
   * address): on the host for bridge and overlay, an outside router for macvlan.
   */
  readonly hostGateway: boolean;
  /** Endpoints carry the parent's MAC address and cannot have their own (ipvlan). */
  readonly sharesParentMac?: boolean;
  /** The sandbox shares cnm's own network namespace (host): no namespace of its own, the host's resolv.conf. */
  readonly joinsHostNamespace?: boolean;
  /** A sandbox on this network can be on no other (host, none). */
  readonly exclusive?: boolean;
  /**
   * The network has a bridge on the host with the gateway on it (bridge,
   * overlay): its links carry IPv6 settings (so its MTU is 1280 or more), and
   * its network() is given the bridge's name.
   */
  readonly hostBridge?: boolean;
  /** Docker's Scope for the network (overlay: global). */
  readonly scope?: 'local' | 'global';
  /** What carries the network, for people (graph): "bridge cnm-...", "macvlan on eth0 (bridge)". */
  describe(net: Shown): string;
  /** What links an endpoint without a host-side interface to its network, for people (graph). */
  readonly endpointLink: string;
  /** Docker's names for this network's driver options (inspect's Options), and its extra fields. */
  dockerOptions?(net: Shown): Record<string, string>;
  dockerExtras?(net: Shown): Record<string, unknown>;
  /**
   * The `--opt KEY=VALUE` keys this driver honours, with what each does: the
   * one table per driver; any other key is refused (exit 2) naming these.
   */
  readonly knownOptions: Readonly<Record<string, string>>;
  /** Checks the options against what the host has (read by core/observe/host.ts, handed in as data). */
  validate(raw: RawNetworkOptions, host: HostFacts): N['driverOpts'];
  /**
   * The network made of what all networks have and this driver's validated
   * options. `bridge` is the name its host-side bridge gets, if it has one
   * (bridge, overlay: the gateway is on it; the others ignore it).
   */
  network(base: NetworkBase & { driver: DriverName }, opts: N['driverOpts'], bridge: string): N;
  /** Fills in or checks IPAM input before allocation (overlay: this host's slice of the subnet). */
  addressing?(req: AddressingRequest, opts: N['driverOpts']): AddressingRequest;
  /** The name of an address of the IPv4 subnet the host itself needs (the macvlan host shim's), reserved by IPAM. */
  hostAddress?(opts: N['driverOpts']): string | undefined;
  /** The largest MTU the network's lower interface allows, also its default (macvlan: the parent's). */
  mtuLimit?(opts: N['driverOpts']): number;
  createNetwork(net: N): Op[];
  /** `others`: every other network that stays (to know whether a shared parent is still used). */
  deleteNetwork(net: N, others?: readonly Network[]): Op[];
  join(net: N, ep: Endpoint, sb: Sandbox, ctx: JoinContext): JoinPlan;
  leave(net: N, ep: Endpoint, sb: Sandbox): Op[];
  /**
   * What of an endpoint outlives its interfaces (nft elements keyed by its port): the part
   * of leave() still to do when the sandbox's namespace goes and takes the interfaces along.
   */
  forget?(net: N, ep: Endpoint, sb: Sandbox): Op[];
  /** Changes the peers of a live network (overlay); throws for bad input, returns the plan and the network with the new set. */
  updatePeers?(net: N, add: readonly string[], remove: readonly string[]): { ops: Op[]; updated: N };
}

/** The IPAM part of `net create`, as the user gave it (a driver may fill it in). */
export interface AddressingRequest {
  /** `--subnet`, parsed once at the edge. */
  subnets: WrittenCidr[];
  /** `--gateway` and `--ip-range`, parsed there too (a text that does not parse is refused by IPAM, in its turn). */
  gateways: Given<Addr>[];
  ipRange?: Given<Cidr>;
  ipv6: boolean;
  /** The first address endpoints get (IPAM's cursor starts there; it wraps to the range's start). */
  start?: string;
}
