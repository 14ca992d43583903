/**
 * Port publishing orchestration: `-p` on `sandbox add` (through the sandbox
 * hooks), `sandbox publish` / `unpublish` on a live sandbox, and the cleanup
 * when a sandbox goes. Validate (specs, target, conflicts) -> plan (one nft
 * transaction, plus route_localnet on the bridge) -> apply -> persist.
 */
import { NotFoundError, UsageError } from '../errors.js';
import { portsBase, portsBaseTeardown, addBindings, removeBindings } from '../firewall/ports.js';
import { hostAddresses } from '../hostinfo.js';
import { stripPrefix } from '../ip.js';
import { OPT } from '../options.js';
import type { Endpoint, Network, PortBinding, Sandbox, State } from '../model.js';
import { type Op, nft } from '../plan.js';
import { resolveBindings, matchBindings } from '../ports/allocate.js';
import { isActive } from '../ports/binding.js';
import { ephemeralRange, hostListeners } from '../ports/hostports.js';
import { type PortSpec, familyOf, isWildcard, parsePortSpecs } from '../ports/spec.js';
import { endpointsOf, findSandbox, networkOf } from '../resolve.js';
import type { Session } from '../session.js';
import type { SandboxHooks } from '../plans/hooks.js';

interface Target {
  net: Network;
  ipv4?: string;
  ipv6?: string;
}

/** Where a sandbox's published ports go: its first endpoint on a bridge that leads outside. */
function targetOf(state: State, sb: Sandbox): Target {
  for (const ep of endpointsOf(state, sb)) {
    const net = networkOf(state, ep);
    if (!net.bridge || net.internal || (!ep.ipv4 && !ep.ipv6)) continue;
    const t: Target = { net };
    if (ep.ipv4) t.ipv4 = stripPrefix(ep.ipv4);
    if (ep.ipv6) t.ipv6 = stripPrefix(ep.ipv6);
    return t;
  }
  throw new UsageError(
    `sandbox "${sb.name}" has no endpoint on a bridge network to publish ports from (host, none and --internal networks publish nothing)`,
  );
}

/** Every sandbox's bindings, inactive ones too (they keep their host ports reserved for the reconnect). */
function published(state: State, except?: Sandbox): { sandbox: string; binding: PortBinding }[] {
  return state.sandboxes.filter((s) => s !== except).flatMap((s) => (s.ports ?? []).map((binding) => ({ sandbox: s.name, binding })));
}

/** Bindings in the kernel: those with a sandbox address to forward to (the others wait for a reconnect). */
function active(list: { sandbox: string; binding: PortBinding }[]): { sandbox: string; binding: PortBinding }[] {
  return list.filter((p) => isActive(p.binding));
}

/** Plans publishing specs on a sandbox already in state, and records the bindings on it. */
export function planPublish(state: State, sb: Sandbox, given: readonly PortSpec[]): Op[] {
  if (given.length === 0) return [];
  const t = targetOf(state, sb);
  // A spec that names no host address takes the network's default (Docker's host_binding_ipv4).
  const dflt = t.net.options?.[OPT.hostBindingIpv4];
  const specs = given.map((s) => (s.hostIp === undefined && dflt !== undefined ? { ...s, hostIp: dflt } : s));
  const local = hostAddresses();
  specs.forEach((spec, i) => {
    const ip = spec.hostIp;
    if (ip === undefined || isWildcard(ip) || local.has(ip)) return;
    if (given[i]!.hostIp === undefined) {
      throw new UsageError(`cannot publish "${spec.text}" on ${ip} (network "${t.net.name}"'s ${OPT.hostBindingIpv4}): not an address of this host (see 'ip addr')`);
    }
    throw new UsageError(`cannot publish "${spec.text}": ${ip} is not an address of this host (see 'ip addr'); leave it out to publish on every address`);
  });
  const before = published(state);
  const ctx = { published: before, listeners: hostListeners(), ephemeral: ephemeralRange() };
  const bindings = resolveBindings(sb.name, specs, { 4: !!t.ipv4, 6: !!t.ipv6 }, ctx);
  for (const b of bindings) b.sandboxIp = familyOf(b.hostIp) === 4 ? t.ipv4! : t.ipv6!;
  const first = active(before).length === 0;
  const undo = first ? portsBaseTeardown() : removeBindings(bindings, sb);
  // The maps and rules exist while any port is published; writing them again costs 4x the elements.
  const base = first ? portsBase() : [];
  const ops: Op[] = [nft([...base, ...addBindings(bindings, sb)], undo)];
  // The host reaches its published ports on 127.0.0.1 too: DNAT sends such packets out the
  // bridge, which the kernel allows only with route_localnet (ports-post masquerades them).
  if (bindings.some((b) => familyOf(b.hostIp) === 4) && t.net.bridge) {
    ops.push({ kind: 'sysctl', key: `net.ipv4.conf.${t.net.bridge}.route_localnet`, value: '1' });
  }
  (sb.ports ??= []).push(...bindings);
  return ops;
}

/** Plans removing some of a sandbox's bindings (all of them when `which` is absent) and drops them from state. */
export function planUnpublish(state: State, sb: Sandbox, which: readonly PortBinding[] = sb.ports ?? []): Op[] {
  if (which.length === 0) return [];
  const gone = new Set(which);
  const rest = active(published(state)).filter((p) => !gone.has(p.binding));
  const script = rest.length === 0 ? portsBaseTeardown() : removeBindings(which, sb);
  sb.ports = (sb.ports ?? []).filter((b) => !gone.has(b));
  return script.length === 0 ? [] : [nft(script)]; // inactive bindings have nothing in the kernel
}

/**
 * When the endpoint a sandbox's ports forward to goes, the ports follow the
 * sandbox's next endpoint that leads outside (keeping their host ports, as
 * Docker reprograms them). With none of that family left they stay in the
 * sandbox's record, inactive (no sandbox address, nothing in the kernel), and
 * come back on the next connect (planReactivate): ports belong to the sandbox.
 */
export function planRetarget(state: State, sb: Sandbox, ep: Endpoint): Op[] {
  const gone = new Set([ep.ipv4, ep.ipv6].filter((a): a is string => !!a).map(stripPrefix));
  const affected = (sb.ports ?? []).filter((b) => b.sandboxIp !== undefined && gone.has(b.sandboxIp));
  if (affected.length === 0) return [];
  let t: Target | undefined;
  try {
    t = targetOf({ ...state, endpoints: state.endpoints.filter((e) => e.id !== ep.id) }, sb);
  } catch {
    t = undefined;
  }
  const moved: PortBinding[] = [];
  const parked: PortBinding[] = [];
  for (const b of affected) {
    const ip = familyOf(b.hostIp) === 4 ? t?.ipv4 : t?.ipv6;
    if (ip) moved.push({ ...b, sandboxIp: ip });
    else parked.push(withoutTarget(b));
  }
  const others = active(published(state)).filter((p) => !affected.includes(p.binding));
  const ops: Op[] = [];
  if (moved.length === 0 && others.length === 0) ops.push(nft(portsBaseTeardown()));
  else ops.push(nft([...removeBindings(affected, sb), ...addBindings(moved, sb)]));
  if (t?.net.bridge && moved.some((b) => familyOf(b.hostIp) === 4)) {
    ops.push({ kind: 'sysctl', key: `net.ipv4.conf.${t.net.bridge}.route_localnet`, value: '1' });
  }
  sb.ports = [...(sb.ports ?? []).filter((b) => !affected.includes(b)), ...moved, ...parked];
  return ops;
}

function withoutTarget(b: PortBinding): PortBinding {
  const { sandboxIp: _gone, ...rest } = b;
  return rest;
}

/** On connect: a sandbox's inactive bindings go back into the kernel, towards the new endpoint when it leads outside. */
export function planReactivate(state: State, sb: Sandbox): Op[] {
  const parked = (sb.ports ?? []).filter((b) => !isActive(b));
  if (parked.length === 0) return [];
  let t: Target;
  try {
    t = targetOf(state, sb);
  } catch {
    return [];
  }
  const back: PortBinding[] = [];
  const woken = new Set<PortBinding>();
  for (const b of parked) {
    const ip = familyOf(b.hostIp) === 4 ? t.ipv4 : t.ipv6;
    if (!ip) continue;
    back.push({ ...b, sandboxIp: ip });
    woken.add(b);
  }
  if (back.length === 0) return [];
  const first = active(published(state)).length === 0;
  const ops: Op[] = [nft([...(first ? portsBase() : []), ...addBindings(back, sb)], first ? portsBaseTeardown() : removeBindings(back, sb))];
  if (t.net.bridge && back.some((b) => familyOf(b.hostIp) === 4)) {
    ops.push({ kind: 'sysctl', key: `net.ipv4.conf.${t.net.bridge}.route_localnet`, value: '1' });
  }
  sb.ports = [...sb.ports.filter((b) => !woken.has(b)), ...back];
  return ops;
}

/** Published ports on sandbox changes: -p on add, cleanup on rm, a new target on disconnect (registered by src/wiring.ts). */
export const portsHooks: SandboxHooks = {
  onAdd: (state, sb, input) => planPublish(state, sb, parsePortSpecs(input.publish ?? [])),
  onRemove: (state, sb) => planUnpublish(state, sb),
  onDisconnect: (state, sb, ep) => planRetarget(state, sb, ep),
  onConnect: (state, sb) => planReactivate(state, sb),
};

export async function publish(s: Session, ref: string, texts: readonly string[]): Promise<PortBinding[]> {
  const specs = parsePortSpecs(texts);
  return s.update((state) => {
    const sb = findSandbox(state, ref);
    const n = (sb.ports ?? []).length;
    const ops = planPublish(state, sb, specs);
    s.apply(ops);
    return sb.ports.slice(n);
  });
}

export async function unpublish(s: Session, ref: string, texts: readonly string[]): Promise<PortBinding[]> {
  const specs = parsePortSpecs(texts);
  return s.update((state) => {
    const sb = findSandbox(state, ref);
    const which = new Set<PortBinding>();
    for (const spec of specs) {
      const hits = matchBindings(sb.ports ?? [], spec);
      if (hits.length === 0) throw new NotFoundError(`sandbox "${sb.name}" has no published port matching "${spec.text}"; see 'cnm port ${sb.name}'`);
      for (const h of hits) which.add(h);
    }
    s.apply(planUnpublish(state, sb, [...which]));
    return [...which];
  });
}
