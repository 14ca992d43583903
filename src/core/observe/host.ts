/**
 * What the host has, read for the drivers (which only compute): its links
 * with MTU and addresses (one `ip -j -d addr show`, in cnm's own namespace;
 * /sys/class/net would show the namespace that mounted sysfs, not ours), and
 * the route towards an address. Each fact is read once, when first asked for.
 */
import { CnmError } from '../errors.js';
import { type Addr, parseAddr } from '../ip.js';
import { run } from '../runner.js';

export interface HostAddr {
  family: 4 | 6;
  local: string;
  prefixlen: number;
}

export interface HostLink {
  name: string;
  mtu: number;
  /** Link type (vlan, veth, bridge...) when it has one. */
  kind?: string;
  alias?: string;
  /** The VNI of a VXLAN device. */
  vni?: number;
  addrs: HostAddr[];
}

interface RawLink {
  ifname?: string;
  mtu?: number;
  ifalias?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

export function parseLinks(json: string): HostLink[] {
  const raw = JSON.parse(json) as RawLink[];
  return raw.map((l) => {
    const link: HostLink = {
      name: l.ifname ?? '',
      mtu: l.mtu ?? 1500,
      addrs: (l.addr_info ?? [])
        .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local)
        .map((a) => ({ family: a.family === 'inet' ? 4 : 6, local: a.local!, prefixlen: a.prefixlen ?? 0 })),
    };
    if (l.linkinfo?.info_kind) link.kind = l.linkinfo.info_kind;
    if (l.ifalias) link.alias = l.ifalias;
    if (l.linkinfo?.info_kind === 'vxlan' && typeof l.linkinfo.info_data?.id === 'number') link.vni = l.linkinfo.info_data.id;
    return link;
  });
}

/** The host's links with their MTU and addresses: one `ip` process. */
function readLinks(): HostLink[] {
  const r = run('ip', ['-j', '-d', 'addr', 'show']);
  if (r.code !== 0) throw new CnmError(`cannot list the host's interfaces: ${r.stderr.trim()}`);
  return parseLinks(r.stdout || '[]');
}

/** The link holding an address, if any. */
export function linkWithAddress(links: readonly HostLink[], addr: Addr): HostLink | undefined {
  return links.find((l) => l.addrs.some((a) => parseAddr(a.local)?.value === addr.value && a.family === addr.family));
}

/** This host's interface and source address towards an address, as the routing table says. */
export interface RouteTo {
  dev: string;
  src: string;
}

function readRoute(dst: string): RouteTo | undefined {
  const r = run('ip', ['-j', 'route', 'get', dst]);
  const hit = r.code === 0 ? (JSON.parse(r.stdout || '[]') as { dev?: string; prefsrc?: string }[])[0] : undefined;
  return hit?.dev && hit.prefsrc ? { dev: hit.dev, src: hit.prefsrc } : undefined;
}

/** The host facts a driver's validate() may ask for; nothing is read until asked. */
export interface HostFacts {
  links(): readonly HostLink[];
  routeTo(dst: string): RouteTo | undefined;
}

/** The host as it is now (each fact read at most once per HostFacts). */
export function observeHost(): HostFacts {
  let links: HostLink[] | undefined;
  const routes = new Map<string, RouteTo | undefined>();
  return {
    links: () => (links ??= readLinks()),
    routeTo(dst) {
      if (!routes.has(dst)) routes.set(dst, readRoute(dst));
      return routes.get(dst);
    },
  };
}

/** The host's links as they are now (one `ip` process). */
export function hostLinks(): HostLink[] {
  return readLinks();
}
