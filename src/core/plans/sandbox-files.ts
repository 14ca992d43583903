/**
 * The files a sandbox sees as /etc/resolv.conf, /etc/hosts and /etc/hostname
 * (iproute2 bind-mounts /etc/netns/NAME/* over /etc for `ip netns exec`).
 */
import { getDriver } from '../../drivers/index.js';
import { readFileSync } from '../files.js';
import { hostResolvConf } from '../hostinfo.js';
import { UsageError } from '../errors.js';
import { fileMark } from '../instance.js';
import { formatAddr, parseAddr, stripPrefix } from '../ip.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { sandboxEtc } from '../paths.js';
import { endpointsOfId } from '../resolve.js';
import type { FileOp } from '../plan.js';

/** Hook for the embedded DNS: returns the resolvers a sandbox with these endpoints should use, if any. */
export type DnsResolverFor = (state: State, sb: Sandbox, eps: readonly Endpoint[]) => string[] | undefined;
let dnsResolverFor: DnsResolverFor = () => undefined;
export function setDnsResolverFor(fn: DnsResolverFor): void {
  dnsResolverFor = fn;
}

/** `--dns IP`: resolvers are addresses (at most three: glibc reads no more). */
export function checkResolvers(servers: readonly string[]): void {
  for (const d of servers) if (!parseAddr(d)) throw new UsageError(`invalid --dns "${d}": expected an IP address`);
  if (servers.length > 3) throw new UsageError('give at most three --dns servers (the resolver reads no more)');
}

/** The upstream resolvers a sandbox asked for: its own --dns, else those of its first network with `net create --dns`. */
export function upstreamsOf(sb: Sandbox, nets: readonly Network[]): string[] {
  if (sb.dns.length > 0) return sb.dns;
  return nets.find((n) => (n.dnsServers ?? []).length > 0)?.dnsServers ?? [];
}

/**
 * resolv.conf as Docker writes it: on a DNS-enabled network the embedded
 * server stays the resolver and --dns only becomes its upstream for this
 * sandbox; elsewhere --dns (or the network's --dns, or the host's) is the
 * resolver. --dns-search and --dns-option replace the host's search and
 * options; ndots:0 is the default behind the embedded server unless an
 * ndots option is given.
 */
export function resolvConf(state: State, sb: Sandbox, onHost: boolean, eps: readonly Endpoint[] = endpointsOfId(state.endpoints, sb.id)): string {
  const host = hostResolvConf();
  const embedded = onHost ? undefined : dnsResolverFor(state, sb, eps);
  const nets = eps.map((e) => state.networks.find((n) => n.id === e.networkId)).filter((n): n is Network => n !== undefined);
  const asked = upstreamsOf(sb, nets);
  const servers = embedded ?? (asked.length > 0 ? asked : host.nameservers.length > 0 ? host.nameservers : ['8.8.8.8', '8.8.4.4']);
  const lines = [`${fileMark()} for sandbox ${sb.name}`, ...servers.map((n) => `nameserver ${n}`)];
  const search = sb.dnsSearch?.length ? sb.dnsSearch : host.search;
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  const given = sb.dnsOptions?.length ? sb.dnsOptions : host.options.filter((o) => !embedded || !o.startsWith('ndots'));
  const options = embedded && !given.some((o) => o.startsWith('ndots')) ? ['ndots:0', ...given] : given;
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The names every sandbox has for the host, as Docker and Podman spell them. */
export const HOST_NAMES = ['host.cnm.internal', 'host.docker.internal', 'host.containers.internal'];

/** The host as a sandbox reaches it: the gateway of its first network that has one. */
function hostGateway(nets: readonly Network[]): string | undefined {
  for (const n of nets) {
    const g = n.subnets.find((s) => s.gateway?.family === 4)?.gateway ?? n.subnets.find((s) => s.gateway)?.gateway;
    if (g && n.bridge !== undefined) return formatAddr(g);
  }
  return undefined;
}

export function hostsFile(sb: Sandbox, eps: readonly Endpoint[], onHost: boolean, nets: readonly Network[] = []): string {
  if (onHost) {
    try {
      return readFileSync('/etc/hosts', 'utf8');
    } catch {
      /* fall through to a minimal file */
    }
  }
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  const names = sb.hostname === sb.name ? sb.name : `${sb.hostname} ${sb.name}`;
  for (const ep of eps) {
    for (const a of [ep.ipv4, ep.ipv6]) if (a) lines.push(`${stripPrefix(a)}\t${names}`);
  }
  const gateway = hostGateway(nets);
  if (gateway) lines.push(`${gateway}\t${HOST_NAMES.join(' ')}`);
  // --add-host NAME:IP, Docker's `host-gateway` standing for the gateway above.
  for (const h of sb.extraHosts ?? []) {
    const at = h.indexOf(':');
    const ip = h.slice(at + 1) === 'host-gateway' ? gateway : h.slice(at + 1);
    if (ip) lines.push(`${ip}\t${h.slice(0, at)}`);
  }
  return lines.join('\n') + '\n';
}

export function sandboxFiles(state: State, sb: Sandbox, eps: readonly Endpoint[], nets: readonly Network[]): FileOp[] {
  const onHost = nets.some((n) => getDriver(n.driver).joinsHostNamespace === true);
  return [
    { kind: 'file', path: sandboxEtc(sb.name, 'resolv.conf'), content: resolvConf(state, sb, onHost, eps) },
    { kind: 'file', path: sandboxEtc(sb.name, 'hosts'), content: hostsFile(sb, eps, onHost, nets) },
    { kind: 'file', path: sandboxEtc(sb.name, 'hostname'), content: `${sb.hostname}\n` },
  ];
}

export function removeSandboxFiles(sb: Sandbox): FileOp[] {
  return (['resolv.conf', 'hosts', 'hostname'] as const).map((f) => ({ kind: 'file', path: sandboxEtc(sb.name, f), content: null }));
}
