/**
 * What cnm reads of the host it runs in, straight from /proc and /etc (no
 * process spawned): its routes, for IPAM to avoid, and its resolvers.
 */
import { readFileSync } from './files.js';
import type { Cidr } from './ip.js';
import { formatAddr, parseAddr } from './ip.js';

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** /proc/net/route stores addresses little-endian in hex. */
function le32(hex: string): bigint {
  const b = hex.match(/../g) ?? [];
  return BigInt(`0x${b.reverse().join('') || '0'}`);
}

function prefixOfMask(mask: bigint): number {
  let n = 0;
  for (let m = mask; m & 0x80000000n; m = (m << 1n) & 0xffffffffn) n++;
  return n;
}

/** Routes of cnm's own namespace, except the default route and routes via the given interfaces. */
export function hostRoutes(skipIfaces: ReadonlySet<string> = new Set()): Cidr[] {
  const out: Cidr[] = [];
  for (const line of readOr('/proc/net/route').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || skipIfaces.has(f[0]!)) continue;
    const prefix = prefixOfMask(le32(f[7]!));
    if (prefix === 0) continue;
    out.push({ family: 4, base: le32(f[1]!), prefix });
  }
  for (const line of readOr('/proc/net/ipv6_route').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || skipIfaces.has(f[9]!)) continue;
    const prefix = parseInt(f[1]!, 16);
    const base = BigInt(`0x${f[0]}`);
    // Skip default, link-local, multicast and loopback routes.
    if (prefix === 0 || base >> 118n === 0x3fan || base >> 120n === 0xffn || f[9] === 'lo') continue;
    out.push({ family: 6, base, prefix });
  }
  return out;
}

/** The addresses of cnm's own namespace's interfaces (getifaddrs, no process spawned), normalised. */
export function hostAddresses(): Set<string> {
  const out = new Set<string>();
  // node:os on first use: importing it costs every command's start-up.
  const { networkInterfaces } = process.getBuiltinModule('node:os') as typeof import('node:os');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const parsed = parseAddr(a.address.replace(/%.*$/, ''));
      if (parsed) out.add(formatAddr(parsed));
    }
  }
  return out;
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const rc: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) rc.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') rc.search = rest;
    else if (key === 'options') rc.options.push(...rest);
  }
  return rc;
}

export function isLoopback(addr: string): boolean {
  const a = parseAddr(addr);
  if (!a) return false;
  return a.family === 4 ? a.value >> 24n === 127n : a.value === 1n;
}

/**
 * The host's resolvers as a sandbox can use them: loopback ones (a stub such
 * as 127.0.0.53 only answers in the host's namespace) are dropped; when
 * systemd-resolved's stub is listed, its real upstream file is read instead.
 * CNM_HOST_RESOLV_CONF names another file (tests point it into a throwaway host).
 */
export function hostResolvConf(path = process.env.CNM_HOST_RESOLV_CONF ?? '/etc/resolv.conf'): ResolvConf {
  let rc = parseResolvConf(readOr(path));
  if (rc.nameservers.some((n) => n === '127.0.0.53')) {
    const real = parseResolvConf(readOr('/run/systemd/resolve/resolv.conf'));
    if (real.nameservers.length > 0) rc = { ...real, search: rc.search.length ? rc.search : real.search };
  }
  return { ...rc, nameservers: rc.nameservers.filter((n) => !isLoopback(n)) };
}
