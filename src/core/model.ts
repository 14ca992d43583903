/**
 * The CNM nouns as plain data: what state.json holds.
 * A network is what a driver builds, a sandbox is a network namespace,
 * an endpoint joins one sandbox to one network.
 */
import type { Addr, Cidr } from './ip.js';

export type DriverName = 'bridge' | 'host' | 'none' | 'macvlan' | 'ipvlan' | 'overlay';

export const SCHEMA_VERSION = 1;

export interface SubnetConfig {
  /** e.g. 172.18.0.0/16 or fd12:3456:789a:1::/64; state.json holds it as text (decoded on load, encoded on save: store.ts). */
  subnet: Cidr;
  gateway?: Addr;
  /** CIDR inside subnet that endpoint addresses come from. */
  ipRange?: Cidr;
  /** Next address to try (the allocator's cursor, as an address string). */
  next?: string;
  /** Addresses reserved by name (`--aux-address NAME=IP`, the macvlan host shim): never an endpoint's. */
  aux?: Record<string, Addr>;
}

/** What every network has, whatever its driver. */
export interface NetworkBase {
  id: string;
  name: string;
  created: string;
  builtin: boolean;
  internal: boolean;
  /** Embedded DNS on this network. */
  dns: boolean;
  ipv6: boolean;
  mtu: number;
  subnets: SubnetConfig[];
  options: Record<string, string>;
  labels: Record<string, string>;
  /** "global": a cluster network, defined in the cluster store; this host holds its local part. */
  scope?: 'global';
  /** Upstream resolvers of this network's sandboxes (`net create --dns`), behind the embedded DNS. */
  dnsServers?: string[];
}

/** The modes the kernel names for macvlan and ipvlan children (the first is the default). */
export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];
export type IpvlanMode = (typeof IPVLAN_MODES)[number];

/** Options of a network whose endpoints cnm's nftables guard watches (`--opt spoofcheck=false` is stored as false). */
export interface GuardOptions {
  spoofcheck?: boolean;
}

export type BridgeOptions = GuardOptions;

/** This host's part of an overlay network: the VXLAN device's settings and the peers it floods to. */
export interface OverlayOptions extends GuardOptions {
  vni: number;
  /** This host's underlay address, and the interface that has it. */
  local: string;
  underlay: string;
  /** The underlay's MTU less the VXLAN overhead. */
  lowerMtu: number;
  peers: string[];
  /** A cluster network's: proxy ARP and entries the agent programs, no flooding. */
  discovery?: boolean;
}

/** The lower interface of a macvlan or ipvlan network. */
export interface ParentOptions {
  parent: string;
  /** The parent's MTU (of the link under it when cnm makes it). */
  lowerMtu?: number;
  /** Set when the parent is a cnm-made 802.1q sub-interface of vlanLink. */
  vlanLink?: string;
  vlanId?: number;
  /** This network made the parent (and removes it with the last network on it). */
  makeParent?: boolean;
}

export interface MacvlanOptions extends ParentOptions {
  mode: MacvlanMode;
  /** `--opt host-shim=true`: the host's own macvlan on the parent. */
  hostShim?: boolean;
  /** Networks made before the shim had its own address: the parent's address it used as source. */
  shimSource?: string;
}

export interface IpvlanOptions extends ParentOptions {
  mode: IpvlanMode;
}

/** host and none: nothing to set. */
export type NoOptions = Record<string, never>;

/**
 * A network, by driver: each driver's options are its own type (what its
 * validate() returns), and a network with a host-side bridge (bridge,
 * overlay) has its name.
 */
export type Network = BridgeNetwork | OverlayNetwork | MacvlanNetwork | IpvlanNetwork | HostNetwork | NoneNetwork | ClusterOverlay;

/** Driver-specific fields of a network that has no host-side bridge. */
interface NoBridge {
  bridge?: undefined;
}

/** Of a network with a bridge on the host. */
interface Switched {
  /**
   * How many of its bridge's ports this host's endpoints on the network take
   * at most (one each): each add counts itself, a removal does not. Counted
   * anew when it reaches the bridge's limit, or is not known (absent; a state
   * read whole forgets it: a hand edit may have added endpoints).
   */
  portsAtMost?: number;
}

export interface BridgeNetwork extends NetworkBase, Switched {
  driver: 'bridge';
  /** The bridge interface: this network's switch, with the gateway on it. */
  bridge: string;
  driverOpts: BridgeOptions;
}

export interface OverlayNetwork extends NetworkBase, Switched {
  driver: 'overlay';
  bridge: string;
  driverOpts: OverlayOptions;
}

/** A cluster network this host has no part of yet, as listings show it: its VNI, nothing local. */
export interface ClusterOverlay extends NetworkBase, NoBridge {
  driver: 'overlay';
  scope: 'global';
  driverOpts: { vni: number };
}

export interface MacvlanNetwork extends NetworkBase, NoBridge {
  driver: 'macvlan';
  driverOpts: MacvlanOptions;
}

export interface IpvlanNetwork extends NetworkBase, NoBridge {
  driver: 'ipvlan';
  driverOpts: IpvlanOptions;
}

export interface HostNetwork extends NetworkBase, NoBridge {
  driver: 'host';
  driverOpts: NoOptions;
}

export interface NoneNetwork extends NetworkBase, NoBridge {
  driver: 'none';
  driverOpts: NoOptions;
}

/** A network with a bridge on the host, the gateway on it (bridge, overlay). */
export type BridgedNetwork = BridgeNetwork | OverlayNetwork;

/** What a driver's validate() gives, by driver: the typed half of a network. */
export type DriverOptions = Network['driverOpts'];

export interface PortBinding {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: 'tcp' | 'udp' | 'sctp';
  /** Last port of a range binding (host side); absent for a single port. */
  hostPortEnd?: number;
  /** Last port of a range binding (sandbox side); absent for a single port. */
  containerPortEnd?: number;
  /** The sandbox address the port is forwarded to (what the DNAT map element holds). */
  sandboxIp?: string;
}

export interface Sandbox {
  id: string;
  name: string;
  created: string;
  hostname: string;
  /** The name under /run/netns that `ip netns` knows it by. */
  netns: string;
  /** Set when the namespace was adopted (--netns/--pid): cnm never deletes it. */
  adopted?: { path?: string; pid?: number };
  /** Extra resolvers given with --dns. */
  dns: string[];
  /** --dns-search domains, --dns-option options (resolv.conf), --add-host NAME:IP lines. */
  dnsSearch?: string[];
  dnsOptions?: string[];
  extraHosts?: string[];
  labels?: Record<string, string>;
  ports: PortBinding[];
  /** Made by a CNI ADD (src/cni): the runtime's container ID, the attachments' owner. */
  cni?: { containerId: string };
}

export interface Endpoint {
  id: string;
  networkId: string;
  sandboxId: string;
  /** Interface name inside the sandbox (eth0, eth1...); empty for host/none. */
  ifname: string;
  /** Host-side interface (veth peer) or empty. */
  hostIfname: string;
  mac: string;
  /** "172.18.0.2/16" style, with prefix length. */
  ipv4?: string;
  ipv6?: string;
  aliases: string[];
  created: string;
  /** A CNI attachment: the name of the network configuration that made it (with the sandbox's container ID and ifname, its key). */
  cni?: { name: string };
}

export interface State {
  schema: number;
  /** Bumped on every write: tells an intent record whether its run's state was saved. */
  serial?: number;
  networks: Network[];
  sandboxes: Sandbox[];
  endpoints: Endpoint[];
}

export function emptyState(): State {
  return { schema: SCHEMA_VERSION, networks: [], sandboxes: [], endpoints: [] };
}
