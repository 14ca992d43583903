/**
 * What cnm keeps in the cluster store, and where. Everything lives under
 * /cnm/v1/ (the version is the layout's: a new layout is a new prefix, read
 * side by side during an upgrade). Values are JSON.
 *
 *   /cnm/v1/config                  ClusterConfig: the subnet pool of global networks
 *   /cnm/v1/hosts/NAME              HostRecord: a member (stays while it is a member)
 *   /cnm/v1/alive/NAME              HostRecord again, under the host's lease: present = alive
 *   /cnm/v1/networks/NAME           GlobalNetwork: an overlay network defined once
 *   /cnm/v1/vni/N                   the name of the network holding VNI N (uniqueness)
 *   /cnm/v1/subnets/A.B.C.D_P       the name of the network holding that subnet (uniqueness)
 *   /cnm/v1/cursor/NAME             the next address IPAM tries on network NAME
 *   /cnm/v1/ipam/NAME/ADDR          Claim: ADDR on NAME is taken, by which endpoint of which host
 *
 * A claim carries what part 2 needs to program remote endpoints (MAC, host,
 * sandbox, aliases), so the claims of a network are its endpoint records.
 * Uniqueness is always a create-if-absent transaction (create_revision 0);
 * updates compare the mod_revision that was read.
 */
export const ROOT = '/cnm/v1/';

export const keys = {
  config: () => `${ROOT}config`,
  hosts: () => `${ROOT}hosts/`,
  host: (name: string) => `${ROOT}hosts/${name}`,
  alives: () => `${ROOT}alive/`,
  alive: (name: string) => `${ROOT}alive/${name}`,
  networks: () => `${ROOT}networks/`,
  network: (name: string) => `${ROOT}networks/${name}`,
  vni: (vni: number) => `${ROOT}vni/${vni}`,
  subnet: (cidr: string) => `${ROOT}subnets/${cidr.replace('/', '_')}`,
  cursor: (net: string) => `${ROOT}cursor/${net}`,
  claims: (net?: string) => (net === undefined ? `${ROOT}ipam/` : `${ROOT}ipam/${net}/`),
  claim: (net: string, addr: string) => `${ROOT}ipam/${net}/${addr}`,
};

/** The last path element of a key ("/cnm/v1/hosts/h1" -> "h1"). */
export function leaf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The network of a claim key ("/cnm/v1/ipam/front/10.0.0.2" -> "front"). */
export function claimNetwork(key: string): string {
  const rest = key.slice(keys.claims().length);
  return rest.slice(0, rest.indexOf('/'));
}

export interface ClusterConfig {
  /** Subnets of global networks without --subnet come from here. */
  pool: string;
  /** The prefix length each network gets from the pool. */
  prefix: number;
}

export const DEFAULT_POOL: ClusterConfig = { pool: '10.210.0.0/16', prefix: 24 };

export interface HostRecord {
  name: string;
  /** The underlay address other hosts send VXLAN to. */
  address: string;
  /** A random ID of this host's state dir, so a rejoin after a reboot is told from a name clash. */
  uid: string;
  joined: string;
  /** The host's IPv4 routes when it joined: pool subnets avoid them. */
  routes: string[];
}

export interface GlobalNetwork {
  id: string;
  name: string;
  vni: number;
  subnet: string;
  gateway: string;
  internal: boolean;
  dns: boolean;
  mtu?: number;
  labels: Record<string, string>;
  options: Record<string, string>;
  created: string;
  /** The host that created it. */
  host: string;
}

export interface Claim {
  host: string;
  /** The sandbox holding the address; empty for the host's own gateway on the network. */
  sandbox: string;
  mac: string;
  /** Address with prefix length ("10.210.0.2/24"). */
  address: string;
  aliases: string[];
}

/** Parses a JSON value read from the store, or undefined when it is not an object (someone else's key). */
export function parseRecord<T>(value: string): T | undefined {
  try {
    const v: unknown = JSON.parse(value);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}
