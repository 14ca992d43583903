/**
 * Port bindings as stored in state (one per host address and range) and as
 * users see them: `80/tcp -> 0.0.0.0:8080`, one line per port.
 */
import type { PortBinding, Sandbox } from '../model.js';
import type { PortRange } from './spec.js';

/** A binding in the kernel; one without a sandbox address waits, inactive, for the sandbox to reconnect. */
export function isActive(b: PortBinding): boolean {
  return b.sandboxIp !== undefined;
}

/** A sandbox's inactive bindings as "0.0.0.0:8080->80/tcp" texts. */
export function inactivePorts(sb: Pick<Sandbox, 'ports'>): string[] {
  return (sb.ports ?? []).filter((b) => !isActive(b)).map((b) => `${hostAddress(b.hostIp, b.hostPort)}->${b.containerPort}/${b.proto}`);
}

export function hostRange(b: PortBinding): PortRange {
  return { start: b.hostPort, end: b.hostPortEnd ?? b.hostPort };
}

export function containerRange(b: PortBinding): PortRange {
  return { start: b.containerPort, end: b.containerPortEnd ?? b.containerPort };
}

export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** "0.0.0.0:8080" or "[::]:8080", as docker port prints a host side. */
export function hostAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export interface PortLine {
  containerPort: number;
  proto: PortBinding['proto'];
  hostIp: string;
  hostPort: number;
}

/** One entry per published port, sorted by sandbox port, then protocol, then host side. */
export function expandBindings(bindings: readonly PortBinding[]): PortLine[] {
  const out: PortLine[] = [];
  for (const b of bindings) {
    const n = (b.containerPortEnd ?? b.containerPort) - b.containerPort;
    for (let i = 0; i <= n; i++) {
      out.push({ containerPort: b.containerPort + i, proto: b.proto, hostIp: b.hostIp, hostPort: b.hostPort + i });
    }
  }
  return out.sort(
    (a, b) =>
      a.containerPort - b.containerPort ||
      a.proto.localeCompare(b.proto) ||
      Number(a.hostIp.includes(':')) - Number(b.hostIp.includes(':')) ||
      a.hostIp.localeCompare(b.hostIp) ||
      a.hostPort - b.hostPort,
  );
}

/** Docker's inspect shape: {"80/tcp": [{HostIp, HostPort}]}. */
export function portMap(bindings: readonly PortBinding[]): Record<string, { HostIp: string; HostPort: string }[]> {
  const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of expandBindings(bindings)) {
    (ports[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  }
  return ports;
}

/** A binding as `docker ps` shows it: "0.0.0.0:8000-8999->8000-8999/tcp". */
export function bindingSummary(b: PortBinding): string {
  const span = (r: PortRange) => (r.end === r.start ? String(r.start) : `${r.start}-${r.end}`);
  return `${b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp}:${span(hostRange(b))}->${span(containerRange(b))}/${b.proto}`;
}
