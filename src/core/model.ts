/**
 * The CNM nouns as plain data: what state.json holds.
 * A network is what a driver builds, a sandbox is a network namespace,
 * an endpoint joins one sandbox to one network.
 */
export type DriverName = 'bridge' | 'host' | 'none' | 'macvlan' | 'ipvlan' | 'overlay';

export const SCHEMA_VERSION = 1;

export interface SubnetConfig {
  /** CIDR, e.g. "172.18.0.0/16" or "fd12:3456:789a:1::/64". */
  subnet: string;
  gateway?: string;
  /** CIDR inside subnet that endpoint addresses come from. */
  ipRange?: string;
  /** Next address to try (the allocator's cursor, as an address string). */
  next?: string;
  /** Addresses reserved by name (`--aux-address NAME=IP`, the macvlan host shim): never an endpoint's. */
  aux?: Record<string, string>;
}

export interface Network {
  id: string;
  name: string;
  driver: DriverName;
  created: string;
  builtin: boolean;
  internal: boolean;
  /** Embedded DNS on this network. */
  dns: boolean;
  ipv6: boolean;
  mtu: number;
  /** The kernel interface that is this network's switch (bridge name), if any. */
  bridge?: string;
  subnets: SubnetConfig[];
  options: Record<string, string>;
  labels: Record<string, string>;
  /** "global": a cluster network, defined in the cluster store; this host holds its local part. */
  scope?: 'global';
  /** Upstream resolvers of this network's sandboxes (`net create --dns`), behind the embedded DNS. */
  dnsServers?: string[];
  /** Driver-specific settings (parent, mode, vni, peers...), validated by the driver. */
  driverOpts: Record<string, string | number | boolean | string[]>;
}

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
