/**
 * Finding objects by what users type: a name, a full ID, or any unique ID
 * prefix (as Docker resolves them); a name wins over a prefix.
 */
import { NotFoundError, UsageError } from './errors.js';
import type { Endpoint, Network, Sandbox, State } from './model.js';
import { recordsOf } from './records.js';

interface Named {
  id: string;
  name: string;
}

/*
 * The lookups below run over every sandbox or endpoint, once per command, in
 * a fresh process whose code is not compiled yet: plain loops, not find/filter
 * with a closure per element (with 1,000 endpoints, ~0.1 ms a loop against
 * ~0.3-1 ms a closure scan).
 */

/** Where `find` looks: the objects with a name, and those whose ID starts with a prefix. */
interface Lookup<T> {
  named(name: string): T | undefined;
  prefixed(prefix: string): T[];
}

function inList<T extends Named>(items: readonly T[]): Lookup<T> {
  return {
    named(name) {
      for (let i = 0; i < items.length; i++) if (items[i]!.name === name) return items[i]!;
      return undefined;
    },
    prefixed(prefix) {
      const hits: T[] = [];
      for (let i = 0; i < items.length; i++) if (items[i]!.id.startsWith(prefix)) hits.push(items[i]!);
      return hits;
    },
  };
}

function find<T extends Named>(items: Lookup<T>, ref: string, kind: string, hint: string): T {
  const named = items.named(ref);
  if (named) return named;
  if (/^[0-9a-f]{1,64}$/.test(ref)) {
    const hits = items.prefixed(ref);
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new UsageError(`${kind} ID prefix "${ref}" is ambiguous; give more characters`);
  }
  throw new NotFoundError(`${kind} "${ref}" not found; see '${hint}'`);
}

export function findNetwork(state: State, ref: string): Network {
  return find(inList(state.networks), ref, 'network', 'cnm net ls');
}

/** A sandbox by name or ID prefix; in records still held as text, only the lines that can match are parsed. */
export function findSandbox(state: State, ref: string): Sandbox {
  const r = recordsOf(state);
  const items: Lookup<Sandbox> = r ? { named: (name) => r.sandboxNamed(name), prefixed: (prefix) => r.sandboxesById(prefix) } : inList(state.sandboxes);
  return find(items, ref, 'sandbox', 'cnm sandbox ls');
}

/** The sandbox with this name, if any (no ID prefix). */
export function sandboxNamed(state: State, name: string): Sandbox | undefined {
  const r = recordsOf(state);
  return r ? r.sandboxNamed(name) : inList(state.sandboxes).named(name);
}

export function endpointsOf(state: State, sb: Sandbox): Endpoint[] {
  return recordsOf(state)?.endpointsOf(sb.id) ?? endpointsOfId(state.endpoints, sb.id);
}

/** The endpoints of the sandbox with this ID. */
export function endpointsOfId(endpoints: readonly Endpoint[], sandboxId: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (let i = 0; i < endpoints.length; i++) if (endpoints[i]!.sandboxId === sandboxId) out.push(endpoints[i]!);
  return out;
}

export function endpointsOn(state: State, net: Network): Endpoint[] {
  const out: Endpoint[] = [];
  for (let i = 0; i < state.endpoints.length; i++) if (state.endpoints[i]!.networkId === net.id) out.push(state.endpoints[i]!);
  return out;
}

/** How many endpoints are on the network with this ID (of endpoints still text: none parsed). */
export function endpointCountOn(state: State, networkId: string): number {
  const r = recordsOf(state);
  if (r) return r.countEndpointsOn(networkId);
  let n = 0;
  for (let i = 0; i < state.endpoints.length; i++) if (state.endpoints[i]!.networkId === networkId) n++;
  return n;
}

export function networkOf(state: State, ep: Endpoint): Network {
  const net = state.networks.find((n) => n.id === ep.networkId);
  if (!net) throw new Error(`internal: endpoint ${ep.id} refers to missing network ${ep.networkId}`);
  return net;
}

export function sandboxOf(state: State, ep: Endpoint): Sandbox {
  const sb = state.sandboxes.find((s) => s.id === ep.sandboxId);
  if (!sb) throw new Error(`internal: endpoint ${ep.id} refers to missing sandbox ${ep.sandboxId}`);
  return sb;
}

export type AnyObject =
  | { kind: 'network'; value: Network }
  | { kind: 'sandbox'; value: Sandbox }
  | { kind: 'endpoint'; value: Endpoint };

/** For `cnm inspect`: any object by name or ID (endpoints by ID only). */
export function findAny(state: State, ref: string): AnyObject {
  const net = state.networks.find((n) => n.name === ref);
  const sb = state.sandboxes.find((s) => s.name === ref);
  if (net && sb) throw new UsageError(`"${ref}" names both a network and a sandbox; use 'cnm net inspect' or 'cnm sandbox inspect'`);
  if (net) return { kind: 'network', value: net };
  if (sb) return { kind: 'sandbox', value: sb };
  if (/^[0-9a-f]{1,64}$/.test(ref)) {
    const hits: AnyObject[] = [
      ...state.networks.filter((n) => n.id.startsWith(ref)).map((value) => ({ kind: 'network' as const, value })),
      ...state.sandboxes.filter((s) => s.id.startsWith(ref)).map((value) => ({ kind: 'sandbox' as const, value })),
      ...state.endpoints.filter((e) => e.id.startsWith(ref)).map((value) => ({ kind: 'endpoint' as const, value })),
    ];
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) throw new UsageError(`ID prefix "${ref}" is ambiguous; give more characters`);
  }
  throw new NotFoundError(`no network, sandbox or endpoint "${ref}"; see 'cnm net ls' and 'cnm sandbox ls'`);
}
