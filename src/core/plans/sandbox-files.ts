/**
 * The files a sandbox sees as /etc/resolv.conf, /etc/hosts and /etc/hostname
 * (iproute2 bind-mounts /etc/netns/NAME/* over /etc for `ip netns exec`).
 */
import { getDriver } from '../../drivers/index.js';
import { readFileSync } from 'node:fs';
import { hostResolvConf } from '../hostinfo.js';
import { fileMark } from '../instance.js';
import { stripPrefix } from '../ip.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { sandboxEtc } from '../paths.js';
import type { FileOp } from '../plan.js';

/** Hook for the embedded DNS: returns the resolvers a sandbox with these endpoints should use, if any. */
export type DnsResolverFor = (state: State, sb: Sandbox, eps: readonly Endpoint[]) => string[] | undefined;
let dnsResolverFor: DnsResolverFor = () => undefined;
export function setDnsResolverFor(fn: DnsResolverFor): void {
  dnsResolverFor = fn;
}

export function resolvConf(state: State, sb: Sandbox, onHost: boolean, eps: readonly Endpoint[] = state.endpoints.filter((e) => e.sandboxId === sb.id)): string {
  const host = hostResolvConf();
  const embedded = onHost ? undefined : dnsResolverFor(state, sb, eps);
  const servers = sb.dns.length > 0 ? sb.dns : embedded ?? (host.nameservers.length > 0 ? host.nameservers : ['8.8.8.8', '8.8.4.4']);
  const lines = [`${fileMark()} for sandbox ${sb.name}`, ...servers.map((n) => `nameserver ${n}`)];
  if (host.search.length > 0) lines.push(`search ${host.search.join(' ')}`);
  const options = embedded ? ['ndots:0', ...host.options.filter((o) => !o.startsWith('ndots'))] : host.options;
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export function hostsFile(sb: Sandbox, eps: readonly Endpoint[], onHost: boolean): string {
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
  return lines.join('\n') + '\n';
}

export function sandboxFiles(state: State, sb: Sandbox, eps: readonly Endpoint[], nets: readonly Network[]): FileOp[] {
  const onHost = nets.some((n) => getDriver(n.driver).joinsHostNamespace === true);
  return [
    { kind: 'file', path: sandboxEtc(sb.name, 'resolv.conf'), content: resolvConf(state, sb, onHost, eps) },
    { kind: 'file', path: sandboxEtc(sb.name, 'hosts'), content: hostsFile(sb, eps, onHost) },
    { kind: 'file', path: sandboxEtc(sb.name, 'hostname'), content: `${sb.hostname}\n` },
  ];
}

export function removeSandboxFiles(sb: Sandbox): FileOp[] {
  return (['resolv.conf', 'hosts', 'hostname'] as const).map((f) => ({ kind: 'file', path: sandboxEtc(sb.name, f), content: null }));
}
