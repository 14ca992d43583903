/**
 * Turns parsed specs into bindings: fills in host addresses (every address of
 * each family the sandbox has), takes free ephemeral ports where the host
 * port was left empty, and refuses host ports already published or held by a
 * host socket (ConflictError, exit 4). Pure: the caller passes what it read.
 */
import { ConflictError, UsageError } from '../errors.js';
import type { PortBinding } from '../model.js';
import { hostAddress, hostRange, rangesOverlap } from './binding.js';
import type { Listener } from './hostports.js';
import { ANY4, ANY6, type PortRange, type PortSpec, familyOf, isWildcard, rangeLength } from './spec.js';

export interface HostPorts {
  /** Bindings of every sandbox (state), each with the name of its sandbox. */
  published: { sandbox: string; binding: PortBinding }[];
  listeners: Listener[];
  ephemeral: PortRange;
}

/** Two host addresses of one family that can receive the same packet. */
function sameTarget(a: string, b: string): boolean {
  return familyOf(a) === familyOf(b) && (a === b || isWildcard(a) || isWildcard(b));
}

/** A socket on "::" usually takes IPv4 too (v6only off): it clashes with both families. */
function listenerClash(l: Listener, ip: string): boolean {
  return l.ip === ANY6 || sameTarget(l.ip, ip);
}

/** Why (ip, proto, range) cannot be had, or undefined when it is free. */
function takenBy(ctx: HostPorts, ip: string, proto: PortBinding['proto'], r: PortRange): { why: string; port: number } | undefined {
  for (const p of ctx.published) {
    const b = p.binding;
    if (b.proto === proto && sameTarget(b.hostIp, ip) && rangesOverlap(hostRange(b), r)) {
      const port = Math.max(b.hostPort, r.start);
      return { why: `host port ${port}/${proto} is already published by sandbox "${p.sandbox}" (${hostAddress(b.hostIp, port)})`, port };
    }
  }
  for (const l of ctx.listeners) {
    if (l.proto === proto && l.port >= r.start && l.port <= r.end && listenerClash(l, ip)) {
      return { why: `host port ${l.port}/${proto} is in use by a process of the host listening on ${hostAddress(l.ip, l.port)}`, port: l.port };
    }
  }
  return undefined;
}

function firstTaken(ctx: HostPorts, ips: string[], proto: PortBinding['proto'], r: PortRange) {
  for (const ip of ips) {
    const t = takenBy(ctx, ip, proto, r);
    if (t) return t;
  }
  return undefined;
}

/** The first block of `len` ports inside `within` free on every address, or undefined. */
function freeBlock(ctx: HostPorts, ips: string[], proto: PortBinding['proto'], within: PortRange, len: number): PortRange | undefined {
  let start = within.start;
  // Each miss jumps past the port in the way, so this ends within (range size) steps.
  for (let guard = 0; guard <= within.end - within.start + 1 && start + len - 1 <= within.end; guard++) {
    const r = { start, end: start + len - 1 };
    const t = firstTaken(ctx, ips, proto, r);
    if (!t) return r;
    start = Math.max(start + 1, t.port + 1);
  }
  return undefined;
}

export interface Families {
  4: boolean;
  6: boolean;
}

/** Bindings for specs, in order; later specs see the ports earlier ones took. */
export function resolveBindings(sandbox: string, specs: readonly PortSpec[], fams: Families, ctx: HostPorts): PortBinding[] {
  const out: PortBinding[] = [];
  const view: HostPorts = { ...ctx, published: [...ctx.published] };
  for (const spec of specs) {
    let ips: string[];
    if (spec.hostIp !== undefined) {
      const fam = familyOf(spec.hostIp);
      if (!fams[fam]) throw new UsageError(`cannot publish "${spec.text}": sandbox "${sandbox}" has no IPv${fam} address to forward it to`);
      ips = [spec.hostIp];
    } else {
      ips = [...(fams[4] ? [ANY4] : []), ...(fams[6] ? [ANY6] : [])];
    }
    const len = rangeLength(spec.container);
    let host: PortRange;
    if (spec.host && rangeLength(spec.host) === len) {
      const t = firstTaken(view, ips, spec.proto, spec.host);
      if (t) throw new ConflictError(`cannot publish "${spec.text}": ${t.why}`);
      host = spec.host;
    } else if (spec.host) {
      const r = freeBlock(view, ips, spec.proto, spec.host, 1);
      if (!r) throw new ConflictError(`cannot publish "${spec.text}": every host port of ${spec.host.start}-${spec.host.end}/${spec.proto} is taken`);
      host = r;
    } else {
      const r = freeBlock(view, ips, spec.proto, ctx.ephemeral, len);
      if (!r) throw new ConflictError(`cannot publish "${spec.text}": no ${len} free port(s) left in the ephemeral range ${ctx.ephemeral.start}-${ctx.ephemeral.end}`);
      host = r;
    }
    for (const ip of ips) {
      const b: PortBinding = { hostIp: ip, hostPort: host.start, containerPort: spec.container.start, proto: spec.proto };
      if (len > 1) {
        b.hostPortEnd = host.end;
        b.containerPortEnd = spec.container.end;
      }
      out.push(b);
      view.published.push({ sandbox, binding: b });
    }
  }
  return out;
}

/** The bindings of a sandbox a spec names (for unpublish): same protocol and sandbox ports, and host side when given. */
export function matchBindings(bindings: readonly PortBinding[], spec: PortSpec): PortBinding[] {
  return bindings.filter((b) => {
    if (b.proto !== spec.proto) return false;
    if (b.containerPort !== spec.container.start || (b.containerPortEnd ?? b.containerPort) !== spec.container.end) return false;
    if (spec.hostIp !== undefined && b.hostIp !== spec.hostIp) return false;
    if (spec.host) {
      const h = hostRange(b);
      const exact = h.start === spec.host.start && h.end === spec.host.end;
      const picked = rangeLength(spec.container) === 1 && h.start >= spec.host.start && h.start <= spec.host.end;
      if (!exact && !picked) return false;
    }
    return true;
  });
}
