/**
 * What the host already uses, read from /proc in cnm's own namespace (no
 * process spawned): the ephemeral port range and the ports sockets listen on.
 */
import { readFileSync } from '../files.js';
import { formatAddr } from '../ip.js';
import type { Proto, PortRange } from './spec.js';

export interface Listener {
  proto: Proto;
  /** Normalised address ("0.0.0.0", "::", "127.0.0.1"...). */
  ip: string;
  port: number;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** net.ipv4.ip_local_port_range of cnm's namespace (the default 32768-60999 when unreadable). */
export function ephemeralRange(text = readOr('/proc/sys/net/ipv4/ip_local_port_range')): PortRange {
  const [a, b] = text.trim().split(/\s+/).map(Number);
  if (a && b && a >= 1 && b <= 65535 && a <= b) return { start: a, end: b };
  return { start: 32768, end: 60999 };
}

/** /proc/net/tcp holds an IPv4 address as 8 hex digits in host (little-endian) byte order. */
function hex4(h: string): string {
  const bytes = h.match(/../g) ?? [];
  return bytes.reverse().map((b) => parseInt(b, 16)).join('.');
}

/** IPv6: four 32-bit words, each little-endian. */
function hex6(h: string): string {
  const words = h.match(/.{8}/g) ?? [];
  const be = words.map((w) => (w.match(/../g) ?? []).reverse().join('')).join('');
  return formatAddr({ family: 6, value: BigInt(`0x${be || '0'}`) });
}

/**
 * Sockets that hold a port: TCP in LISTEN (state 0A), UDP bound (any state),
 * from the text of /proc/net/{tcp,tcp6,udp,udp6}.
 */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', family: 4 | 6): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [addr, port] = (f[1] ?? '').split(':');
    if (!addr || !port) continue;
    if (proto === 'tcp' && f[3] !== '0A') continue;
    out.push({ proto, ip: family === 4 ? hex4(addr) : hex6(addr), port: parseInt(port, 16) });
  }
  return out;
}

export function hostListeners(): Listener[] {
  return [
    ...parseProcNet(readOr('/proc/net/tcp'), 'tcp', 4),
    ...parseProcNet(readOr('/proc/net/tcp6'), 'tcp', 6),
    ...parseProcNet(readOr('/proc/net/udp'), 'udp', 4),
    ...parseProcNet(readOr('/proc/net/udp6'), 'udp', 6),
  ];
}
