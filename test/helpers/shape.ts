/**
 * What a throwaway host's kernel holds, as text two hosts can be compared by:
 * links, addresses and routes (`ip -j -d`), the nft rule set (`nft -j`) and
 * the sysctls cnm sets, with what varies by random IDs (bridge, veth and chain
 * names, owner comments) replaced by placeholders numbered in order of first
 * appearance, and handles dropped. Used to prove that a --dry-run script, run
 * in one host, builds what the real command builds in another.
 */
import type { Host } from './host.js';
import { json } from './host.js';

interface Link {
  ifindex: number;
  ifname: string;
  mtu: number;
  flags: string[];
  master?: string;
  link_type: string;
  address?: string;
  group?: string;
  inet6_addr_gen_mode?: string;
  linkinfo?: { info_kind?: string; info_slave_data?: { isolated?: boolean } };
}
interface Addr {
  ifname: string;
  addr_info: { local: string; prefixlen: number; scope: string }[];
}
interface Route {
  dst: string;
  gateway?: string;
  dev: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
}

/** Names and comments that carry an object's ID: the placeholder is per ID (its first 11 hex digits). */
const ID = /(cnm-|veth|n-|cnm:net:|cnm:ep:|cnm:sb:)([0-9a-f]{11,64})/g;

function withoutHandles(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutHandles);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle' && k !== 'metainfo').map(([k, x]) => [k, withoutHandles(x)]));
  }
  return v;
}

/** Set elements in a stable order (the kernel lists them in its own). */
function sortElements(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortElements);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'elem' && Array.isArray(x) ? [...x].map((e) => JSON.stringify(e)).sort() : sortElements(x)]));
  }
  return v;
}

export function kernelShape(host: Host, netns?: string): string {
  const ns = netns ? ['-n', netns] : [];
  const ids = new Map<string, number>();
  const pin = (s: string) =>
    s.replace(ID, (_, p: string, hex: string) => {
      const key = hex.slice(0, 11);
      if (!ids.has(key)) ids.set(key, ids.size);
      return `${p}<${ids.get(key)}>`;
    });
  const raw = json<Link[]>(host.exec(['ip', ...ns, '-j', '-d', 'link', 'show']).stdout).sort((a, b) => a.ifindex - b.ifindex);
  const links = raw.map((l) => ({
      ifname: pin(l.ifname),
      kind: l.linkinfo?.info_kind ?? l.link_type,
      mtu: l.mtu,
      up: l.flags.includes('UP'),
      master: l.master ? pin(l.master) : undefined,
      group: l.group,
      addrgen: l.inet6_addr_gen_mode,
      isolated: l.linkinfo?.info_slave_data?.isolated,
      // Bridge MACs derive from the network ID and host-side veth MACs are random; sandbox MACs derive from the address.
      mac: /^(cnm|veth)/.test(l.ifname) || l.linkinfo?.info_kind === 'bridge' ? 'id-derived' : l.address,
    }));
  const addrs = json<Addr[]>(host.exec(['ip', ...ns, '-j', 'addr', 'show']).stdout)
    .map((a) => ({ ifname: pin(a.ifname), addrs: a.addr_info.filter((i) => i.scope !== 'link').map((i) => `${i.local}/${i.prefixlen}`).sort() }))
    .sort((a, b) => a.ifname.localeCompare(b.ifname));
  // "linkdown" follows the bridge's carrier, which the kernel updates with a lag after its last port goes.
  const routes = json<Route[]>(host.exec(['ip', ...ns, '-j', 'route', 'show']).stdout)
    .map((r) => ({ dst: r.dst, gateway: r.gateway, dev: pin(r.dev), protocol: r.protocol, scope: r.scope, prefsrc: r.prefsrc }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const nft = netns ? [] : sortElements(json<{ nftables: unknown[] }>(pin(host.exec(['nft', '-j', 'list', 'ruleset']).stdout)).nftables.map(withoutHandles));
  const bridges = raw.filter((l) => l.linkinfo?.info_kind === 'bridge').map((l) => l.ifname);
  const keys = ['net.ipv4.ip_forward', ...bridges.flatMap((b) => [`net.ipv4.conf.${b}.route_localnet`, `net.ipv6.conf.${b}.accept_ra`])];
  const sysctls = netns ? '' : pin(host.sh(keys.map((k) => `echo ${k}=$(sysctl -n ${k})`).join('; ')).stdout);
  return JSON.stringify({ links, addrs, routes, nft, sysctls }, null, 1);
}

/** Everything a dry run must leave alone: kernel, state, namespaces, files. */
export function snapshot(host: Host): string {
  return [
    kernelShape(host),
    host.exec(['ip', 'netns', 'list']).stdout,
    host.sh('find /var/lib/cnm /etc/netns /run/netns /run/cnm -exec ls -ld --time-style=full-iso {} + 2>/dev/null; cat /var/lib/cnm/state.json 2>/dev/null').stdout,
    host.exec(['sysctl', '-n', 'net.ipv4.ip_forward']).stdout,
  ].join('\n');
}
