/**
 * What `inspect` and `ls --json` show: the state seen through Docker's shapes
 * (`docker network inspect`, the NetworkSettings of `docker container inspect`).
 */
import { getDriver } from '../drivers/index.js';
import { formatAddr, formatCidr, stripPrefix } from './ip.js';
import type { Endpoint, Network, Sandbox, State } from './model.js';
import { netnsPath, sandboxEtc } from './paths.js';
import { asMap } from './template/index.js';
import { isActive, portMap } from './ports/binding.js';
import { endpointsOf, endpointsOn, networkOf, sandboxOf } from './resolve.js';

export function networkView(state: State, net: Network) {
  const containers: Record<string, unknown> = asMap({});
  for (const ep of endpointsOn(state, net)) {
    const sb = sandboxOf(state, ep);
    containers[sb.id] = {
      Name: sb.name,
      EndpointID: ep.id,
      MacAddress: ep.mac,
      IPv4Address: ep.ipv4 ?? '',
      IPv6Address: ep.ipv6 ?? '',
    };
  }
  const options: Record<string, string> = asMap({ ...net.options });
  if (net.bridge) options['com.docker.network.bridge.name'] = net.bridge;
  // Docker's names for the driver options (MTU, VXLAN ID, parent and mode).
  const driver = getDriver(net.driver);
  Object.assign(options, driver.dockerOptions?.(net));
  return {
    Name: net.name,
    Id: net.id,
    Created: net.created,
    Scope: driver.scope ?? 'local',
    Driver: net.driver,
    EnableIPv6: net.ipv6,
    IPAM: {
      Driver: 'default',
      Options: asMap({}),
      Config: net.subnets.map((s) => ({
        Subnet: formatCidr(s.subnet),
        ...(s.gateway ? { Gateway: formatAddr(s.gateway) } : {}),
        ...(s.ipRange ? { IPRange: formatCidr(s.ipRange) } : {}),
        ...(s.aux && Object.keys(s.aux).length > 0 ? { AuxiliaryAddresses: Object.fromEntries(Object.entries(s.aux).map(([k, a]) => [k, formatAddr(a)])) } : {}),
      })),
    },
    Internal: net.internal,
    Attachable: true,
    EnableDNS: net.dns,
    // cnm's own, beside EnableDNS: the upstreams of `net create --dns`, as a sandbox's HostConfig.Dns.
    Dns: [...(net.dnsServers ?? [])],
    Containers: containers,
    Options: options,
    Labels: asMap({ ...net.labels }),
    ...driver.dockerExtras?.(net),
  };
}

export function endpointView(state: State, ep: Endpoint) {
  const net = networkOf(state, ep);
  const sb = sandboxOf(state, ep);
  const gw = (fam: 4 | 6) => {
    const g = net.subnets.find((s) => s.subnet.family === fam && s.gateway)?.gateway;
    return g ? formatAddr(g) : '';
  };
  return {
    Id: ep.id,
    Name: `${sb.name}/${net.name}`,
    Sandbox: sb.name,
    SandboxID: sb.id,
    Network: net.name,
    NetworkID: net.id,
    Interface: ep.ifname,
    HostInterface: ep.hostIfname,
    MacAddress: ep.mac,
    IPv4Address: ep.ipv4 ?? '',
    IPv6Address: ep.ipv6 ?? '',
    Gateway: ep.ipv4 ? gw(4) : '',
    IPv6Gateway: ep.ipv6 ? gw(6) : '',
    Aliases: ep.aliases,
    Created: ep.created,
  };
}

/**
 * A sandbox in the shape of `docker inspect CONTAINER` for what a sandbox has
 * (NetworkSettings, Config, HostConfig), plus cnm's own fields where Docker
 * has none (NetNS, Adopted, and Interface/HostInterface per network).
 */
export function sandboxView(state: State, sb: Sandbox) {
  const networks: Record<string, unknown> = asMap({});
  for (const ep of endpointsOf(state, sb)) {
    const v = endpointView(state, ep);
    const net = networkOf(state, ep);
    networks[v.Network] = {
      Aliases: [...ep.aliases],
      DNSNames: net.dns ? [sb.name, ...ep.aliases, sb.id.slice(0, 12)] : [],
      MacAddress: v.MacAddress,
      NetworkID: v.NetworkID,
      EndpointID: v.Id,
      Gateway: v.Gateway,
      IPAddress: ep.ipv4 ? stripPrefix(ep.ipv4) : '',
      IPPrefixLen: ep.ipv4 ? Number(ep.ipv4.split('/')[1]) : 0,
      IPv6Gateway: v.IPv6Gateway,
      GlobalIPv6Address: ep.ipv6 ? stripPrefix(ep.ipv6) : '',
      GlobalIPv6PrefixLen: ep.ipv6 ? Number(ep.ipv6.split('/')[1]) : 0,
      Interface: v.Interface,
      HostInterface: v.HostInterface,
    };
  }
  return {
    Id: sb.id,
    Name: sb.name,
    Created: sb.created,
    ResolvConfPath: sandboxEtc(sb.name, 'resolv.conf'),
    HostnamePath: sandboxEtc(sb.name, 'hostname'),
    HostsPath: sandboxEtc(sb.name, 'hosts'),
    Config: {
      Hostname: sb.hostname,
      Labels: asMap({ ...(sb.labels ?? {}) }),
    },
    HostConfig: {
      Dns: [...sb.dns],
      DnsSearch: [...(sb.dnsSearch ?? [])],
      DnsOptions: [...(sb.dnsOptions ?? [])],
      ExtraHosts: [...(sb.extraHosts ?? [])],
      PortBindings: asMap(portMap(sb.ports)),
    },
    NetworkSettings: {
      SandboxID: sb.id,
      SandboxKey: sb.adopted?.path ?? netnsPath(sb.netns),
      Ports: asMap(portMap(sb.ports.filter(isActive))),
      Networks: networks,
    },
    NetNS: sb.netns,
    Adopted: sb.adopted ? { ...sb.adopted } : null,
  };
}
