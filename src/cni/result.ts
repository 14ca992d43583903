/**
 * The ADD result of an attachment, in the shape its cniVersion asks for:
 * interfaces (the host end, then the container's with its `sandbox`), ips
 * (with `version` before 1.0.0), routes (the default route when this
 * attachment gives it) and dns (the embedded DNS server where the network
 * has one). A result handed in as prevResult is kept, cnm's added after it.
 */
import { readFileSync } from 'node:fs';
import { dnsEnabled } from '../core/dns/records.js';
import { formatAddr, mustCidr } from '../core/ip.js';
import type { Attached } from '../core/ops/attachment.js';
import { type Version, atLeast } from './version.js';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIp {
  version?: '4' | '6';
  address: string;
  gateway?: string;
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIp[];
  routes: CniRoute[];
  dns: CniDns;
}

/** The MAC the kernel gave a host interface (a veth end's is random), read without a process. */
function hostMac(ifname: string): string | undefined {
  try {
    return readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function buildResult(a: Attached, netnsPath: string, version: Version, prev?: Record<string, unknown>): CniResult {
  const { endpoint: ep, network: net } = a;
  const base = prevParts(prev);
  const interfaces: CniInterface[] = [...base.interfaces];
  if (ep.hostIfname) {
    const mac = hostMac(ep.hostIfname);
    interfaces.push({ name: ep.hostIfname, ...(mac ? { mac } : {}) });
  }
  const inside: CniInterface = { name: ep.ifname, mtu: net.mtu, sandbox: netnsPath };
  if (ep.mac) inside.mac = ep.mac;
  interfaces.push(inside);
  const index = interfaces.length - 1;
  const ips: CniIp[] = [...base.ips];
  const routes: CniRoute[] = [...base.routes];
  for (const address of [ep.ipv4, ep.ipv6]) {
    if (!address) continue;
    const family = mustCidr(address).family;
    const sub = net.subnets.find((s) => s.subnet.family === family);
    const ip: CniIp = { ...(atLeast(version, '1.0.0') ? {} : { version: String(family) as '4' | '6' }), address, interface: index };
    if (sub?.gateway) ip.gateway = formatAddr(sub.gateway);
    ips.push(ip);
    if (a.defaultRoute && !net.internal && sub?.gateway) routes.push({ dst: family === 6 ? '::/0' : '0.0.0.0/0', gw: formatAddr(sub.gateway) });
  }
  let dns = base.dns;
  // The embedded DNS answers on the gateways of the families the endpoint has, NAME and NAME.NETWORK.
  const servers = ips.slice(base.ips.length).map((i) => i.gateway).filter((g): g is string => !!g);
  if (dnsEnabled(net) && servers.length > 0 && Object.keys(dns).length === 0) dns = { nameservers: servers, search: [net.name.toLowerCase()] };
  return { cniVersion: version, interfaces, ips, routes, dns };
}

/** What a previous plugin's result already holds (a chained ADD keeps it). */
function prevParts(prev: Record<string, unknown> | undefined): Omit<CniResult, 'cniVersion'> {
  const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
  return {
    interfaces: list<CniInterface>(prev?.interfaces),
    ips: list<CniIp>(prev?.ips),
    routes: list<CniRoute>(prev?.routes),
    dns: typeof prev?.dns === 'object' && prev.dns !== null ? (prev.dns as CniDns) : {},
  };
}
