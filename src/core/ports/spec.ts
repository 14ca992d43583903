/**
 * Docker's port-publishing syntax, parsed and vetted before anything changes:
 * `[HOST_IP:][HOST_PORT[-END]:]PORT[-END][/tcp|udp|sctp]`, an IPv6 host
 * address in brackets (`[::1]:8080:80`). Every mistake is a UsageError (exit 2).
 */
import { UsageError } from '../errors.js';
import { formatAddr, parseAddr } from '../ip.js';
import type { PortBinding } from '../model.js';

export type Proto = PortBinding['proto'];
export const PROTOS: readonly Proto[] = ['tcp', 'udp', 'sctp'];

/** An inclusive port range; a single port has start === end. */
export interface PortRange {
  start: number;
  end: number;
}

export interface PortSpec {
  /** The spec as the user wrote it (for messages). */
  text: string;
  /** Normalised host address, absent = every host address. */
  hostIp?: string;
  /** Absent = take a free ephemeral port (or block of ports). */
  host?: PortRange;
  container: PortRange;
  proto: Proto;
}

function bad(text: string, why: string): UsageError {
  return new UsageError(`invalid port spec "${text}": ${why}`);
}

function parsePort(text: string, word: string): number {
  if (!/^[0-9]{1,5}$/.test(word)) throw bad(text, `"${word}" is not a port number`);
  const n = Number(word);
  if (n < 1 || n > 65535) throw bad(text, `port ${n} is out of range 1-65535`);
  return n;
}

function parseRange(text: string, word: string): PortRange {
  const dash = word.indexOf('-');
  if (dash < 0) {
    const p = parsePort(text, word);
    return { start: p, end: p };
  }
  const start = parsePort(text, word.slice(0, dash));
  const end = parsePort(text, word.slice(dash + 1));
  if (end < start) throw bad(text, `range ${start}-${end} is inverted`);
  return { start, end };
}

export const rangeLength = (r: PortRange): number => r.end - r.start + 1;

function parseHostIp(text: string, word: string, bracketed: boolean): string {
  const a = parseAddr(word);
  if (!a) throw bad(text, `"${word}" is not an IP address`);
  if (a.family === 6 && !bracketed) throw bad(text, `write an IPv6 host address in brackets: [${word}]`);
  if (a.family === 4 && bracketed) throw bad(text, `brackets are for IPv6 addresses, not ${word}`);
  // IPv6 has no route_localnet: a packet from ::1 cannot be DNATed out to a bridge, and cnm runs no proxy.
  if (a.family === 6 && a.value === 1n) throw bad(text, 'IPv6 loopback [::1] cannot be published without a proxy; use 127.0.0.1 or a host address');
  return formatAddr(a);
}

/** Splits "[v6]:rest" or "a:b:c" into (hostIp?, hostPort?, containerPort) words. */
function splitParts(text: string, body: string): { ip?: string; bracketed: boolean; host?: string; container: string } {
  if (body.startsWith('[')) {
    const close = body.indexOf(']');
    if (close < 0 || body[close + 1] !== ':') throw bad(text, 'expected [IPV6]:HOST_PORT:PORT');
    const rest = body.slice(close + 2).split(':');
    if (rest.length !== 2) throw bad(text, 'expected [IPV6]:HOST_PORT:PORT');
    return { ip: body.slice(1, close), bracketed: true, host: rest[0]!, container: rest[1]! };
  }
  const parts = body.split(':');
  if (parts.length === 1) return { bracketed: false, container: parts[0]! };
  if (parts.length === 2) return { bracketed: false, host: parts[0]!, container: parts[1]! };
  if (parts.length === 3) return { ip: parts[0]!, bracketed: false, host: parts[1]!, container: parts[2]! };
  throw bad(text, 'too many ":" (write an IPv6 host address in brackets: [::1]:8080:80)');
}

export function parsePortSpec(text: string): PortSpec {
  let body = text.trim();
  if (body === '') throw bad(text, 'it is empty');
  let proto: Proto = 'tcp';
  const slash = body.lastIndexOf('/');
  if (slash >= 0) {
    const p = body.slice(slash + 1).toLowerCase();
    if (!(PROTOS as readonly string[]).includes(p)) throw bad(text, `unknown protocol "${body.slice(slash + 1)}" (use tcp, udp or sctp)`);
    proto = p as Proto;
    body = body.slice(0, slash);
  }
  const parts = splitParts(text, body);
  if (parts.container === '') throw bad(text, 'the sandbox port is missing');
  const container = parseRange(text, parts.container);
  const spec: PortSpec = { text, container, proto };
  if (parts.ip !== undefined) {
    if (parts.ip === '') throw bad(text, 'the host address is empty');
    spec.hostIp = parseHostIp(text, parts.ip, parts.bracketed);
  }
  if (parts.host !== undefined && parts.host !== '') {
    const host = parseRange(text, parts.host);
    // A host range with one sandbox port means "any free port of that range" (as Docker does).
    if (rangeLength(container) > 1 && rangeLength(host) !== rangeLength(container)) {
      throw bad(text, `host range ${host.start}-${host.end} and sandbox range ${container.start}-${container.end} differ in length`);
    }
    spec.host = host;
  }
  return spec;
}

export function parsePortSpecs(texts: readonly string[]): PortSpec[] {
  return texts.map(parsePortSpec);
}

/** Wildcard address of a family: what "every host address" is stored as. */
export const ANY4 = '0.0.0.0';
export const ANY6 = '::';

export function isWildcard(ip: string): boolean {
  return ip === ANY4 || ip === ANY6;
}

export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}
