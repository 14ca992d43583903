/**
 * The topology to draw: networks with their switch (bridge, parent), the
 * endpoints on them (host side, sandbox side, addresses) and the sandboxes
 * with their published ports. Pure: built from state, no kernel access.
 */
import { getDriver } from '../../drivers/index.js';
import { formatAddr, formatCidr } from '../ip.js';
import type { Network, State } from '../model.js';
import { endpointsOf, endpointsOn, networkOf, sandboxOf } from '../resolve.js';

export interface TopoEndpoint {
  sandbox: string;
  network: string;
  /** Inside the sandbox: eth0, eth1... */
  ifname: string;
  /** On the host side: the veth peer, or empty (macvlan children, host, none). */
  hostIfname: string;
  addresses: string[];
  mac: string;
}

export interface TopoNetwork {
  name: string;
  driver: string;
  builtin: boolean;
  internal: boolean;
  dns: boolean;
  subnets: string[];
  /** The switch: "bridge cnm-1a2b3c4d5e6", "macvlan on eth0", "vxlan vni 42", "host namespace". */
  device: string;
  /** Gateway addresses with the subnet's prefix length ("172.18.0.1/16"). */
  gateways: string[];
  endpoints: TopoEndpoint[];
}

export interface TopoSandbox {
  name: string;
  endpoints: TopoEndpoint[];
  /** "0.0.0.0:8080->80/tcp" */
  ports: string[];
}

export interface Topology {
  networks: TopoNetwork[];
  sandboxes: TopoSandbox[];
}

function device(net: Network): string {
  return getDriver(net.driver).describe(net);
}

function gateways(net: Network): string[] {
  return net.subnets.flatMap((s) => (s.gateway ? [`${formatAddr(s.gateway)}/${s.subnet.prefix}`] : []));
}

/**
 * What `cnm graph` draws. With `only`, just that network and the sandboxes on
 * it; otherwise user networks and the built-in ones that have endpoints.
 */
export function topology(state: State, only?: Network): Topology {
  const nets = only ? [only] : state.networks.filter((n) => !n.builtin || endpointsOn(state, n).length > 0);
  const endpoint = (ep: State['endpoints'][number]): TopoEndpoint => ({
    sandbox: sandboxOf(state, ep).name,
    network: networkOf(state, ep).name,
    ifname: ep.ifname,
    hostIfname: ep.hostIfname,
    addresses: [ep.ipv4, ep.ipv6].filter((a): a is string => !!a),
    mac: ep.mac,
  });
  const networks = nets.map((n) => ({
    name: n.name,
    driver: n.driver,
    builtin: n.builtin,
    internal: n.internal,
    dns: n.dns,
    subnets: n.subnets.map((s) => formatCidr(s.subnet)),
    device: device(n),
    gateways: gateways(n),
    endpoints: endpointsOn(state, n).map(endpoint),
  }));
  const shown = new Set(networks.flatMap((n) => n.endpoints.map((e) => e.sandbox)));
  const sandboxes = state.sandboxes
    .filter((sb) => (only ? shown.has(sb.name) : true))
    .map((sb) => ({
      name: sb.name,
      endpoints: endpointsOf(state, sb).map(endpoint),
      ports: sb.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.proto}`),
    }));
  return { networks, sandboxes };
}
