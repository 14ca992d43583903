/**
 * Attachments: a container runtime's namespace joined to a network under the
 * runtime's own key (container ID, interface name, configuration name), as
 * the CNI face (src/cni) asks for them. An attachment is an ordinary endpoint
 * of an adopted sandbox, one sandbox per container: `net inspect`, DNS,
 * ports and reconcile see it like any other. The runtime owns the namespace;
 * cnm only ever unmounts its own name for it.
 */
import { statSync } from 'node:fs';
import { clusterJoin, clusterLeave, settled } from '../cluster/hook.js';
import { ConflictError } from '../errors.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { NAME_RE } from '../names.js';
import { netnsPath } from '../paths.js';
import { type Op, byNamespace } from '../plan.js';
import { parsePortSpecs } from '../ports/spec.js';
import { endpointsOf, findNetwork, networkOf } from '../resolve.js';
import type { Session } from '../session.js';
import { dnsGateways, startDnsFor } from '../dns/hooks.js';
import { ensureBuiltins } from './builtins.js';
import { planDisconnect, planJoin, takesDefaultRoute } from '../plans/endpoint.js';
import { sandboxTeardown } from '../plans/namespace.js';
import { sandboxFiles } from '../plans/sandbox-files.js';
import { buildEndpoint, checkCompatible, checkEndpointRequest } from './endpoint.js';
import { planPublish } from './ports.js';
import { newSandbox } from './sandbox.js';

/** Who an attachment belongs to: the runtime's key. */
export interface AttachmentKey {
  containerId: string;
  ifname: string;
  /** The name of the runtime's network configuration. */
  name: string;
}

export interface AttachInput extends AttachmentKey {
  /** The runtime's namespace file (CNI_NETNS). */
  netnsPath: string;
  /** The cnm network (name or ID). */
  network: string;
  aliases: string[];
  ip?: string;
  ip6?: string;
  mac?: string;
  /** Port specs in Docker's syntax; those the sandbox publishes already are kept as they are. */
  publish: string[];
}

export interface Attached {
  sandbox: Sandbox;
  endpoint: Endpoint;
  network: Network;
  /** Whether this endpoint carries the sandbox's default route. */
  defaultRoute: boolean;
}

/** The sandbox name of a container: its ID when that is a valid name (the spec's IDs are, up to length). */
export function sandboxNameFor(containerId: string): string {
  const name = containerId.slice(0, 64);
  if (!NAME_RE.test(name)) throw new ConflictError(`container ID "${containerId}" cannot name a sandbox: use [a-zA-Z0-9_.-], starting with a letter or digit`);
  return name;
}

export function sandboxOfContainer(state: State, containerId: string): Sandbox | undefined {
  return state.sandboxes.find((sb) => sb.cni?.containerId === containerId);
}

export function attachmentOf(state: State, key: AttachmentKey): { sandbox: Sandbox; endpoint: Endpoint | undefined } | undefined {
  const sandbox = sandboxOfContainer(state, key.containerId);
  if (!sandbox) return undefined;
  const endpoint = endpointsOf(state, sandbox).find((e) => e.ifname === key.ifname && e.cni?.name === key.name);
  return { sandbox, endpoint };
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Teardown of some endpoints of a sandbox (all of them removes the sandbox:
 * cnm's mount of the namespace, its files); drops them from state.
 */
function planRelease(state: State, sb: Sandbox, gone: readonly Endpoint[]): Op[] {
  const ids = new Set(gone.map((e) => e.id));
  if (endpointsOf(state, sb).every((e) => ids.has(e.id))) {
    const ops = sandboxTeardown(state, sb);
    state.endpoints = state.endpoints.filter((e) => e.sandboxId !== sb.id);
    state.sandboxes = state.sandboxes.filter((x) => x.id !== sb.id);
    return ops;
  }
  return gone.flatMap((ep) => planDisconnect(state, ep));
}

/**
 * Joins a runtime's namespace to a network: adopts the namespace (once per
 * container), connects it with the runtime's interface name, publishes
 * ports; one locked update, one plan. A container whose namespace changed
 * under the same ID (the runtime lost track of a DEL) gets a fresh sandbox.
 */
export async function attach(s: Session, input: AttachInput): Promise<Attached> {
  const name = sandboxNameFor(input.containerId);
  const req = { aliases: input.aliases, ifname: input.ifname, ...(input.ip ? { ip: input.ip } : {}), ...(input.ip6 ? { ip6: input.ip6 } : {}), ...(input.mac ? { mac: input.mac } : {}) };
  checkEndpointRequest(req);
  const specs = parsePortSpecs(input.publish);
  let dns: string[] = [];
  // On a joined host, an address on a cluster network is claimed in the store first (before the lock),
  // and the network's local part is made on first use, as for `sandbox add`.
  const cluster = await clusterJoin(s, [input.network], name, input.aliases, input.ip, input.mac);
  const made = await settled(cluster, () => s.update((state) => {
    const init = [...ensureBuiltins(state, s.store.dir), ...(cluster?.materialize(state) ?? [])];
    const net = findNetwork(state, input.network);
    const host: Op[] = [];
    const inside: Op[] = [];
    let sb = sandboxOfContainer(state, input.containerId);
    if (sb && inode(netnsPath(sb.netns)) !== inode(input.netnsPath)) {
      s.teardown(byNamespace(planRelease(state, sb, endpointsOf(state, sb))));
      sb = undefined;
    }
    const twin = sb && endpointsOf(state, sb).find((e) => e.ifname === input.ifname && e.cni?.name === input.name);
    if (sb && twin) throw new ConflictError(`container ${input.containerId} is already attached as ${input.ifname} by "${input.name}"; DEL it first`);
    if (!sb) {
      const made = newSandbox(state, { name, networks: [], aliases: [], dns: [], netnsPath: input.netnsPath }, false);
      sb = made.sb;
      sb.cni = { containerId: input.containerId };
      host.push(...made.host);
      inside.push(...made.inside);
      state.sandboxes.push(sb);
    }
    checkCompatible(state, sb, net);
    const existing = endpointsOf(state, sb);
    const pinned = cluster?.pin(net.id);
    const ep = buildEndpoint(state, net, sb, pinned ? { ...req, ip: pinned } : req);
    ep.cni = { name: input.name };
    const join = planJoin(state, net, ep, sb, existing);
    const defaultRoute = takesDefaultRoute(state, net, existing);
    state.endpoints.push(ep);
    // A runtime hands every network of a container the same mappings: publish each once.
    const owner = sb;
    const fresh = specs.filter((p) => !owner.ports.some((b) => b.proto === p.proto && b.hostPort === p.host?.start && (p.hostIp === undefined || p.hostIp === b.hostIp)));
    const ports = planPublish(state, sb, fresh);
    const eps = [...existing, ep];
    s.apply([...init, ...host, ...join.host, ...inside, ...join.sandbox, ...sandboxFiles(state, sb, eps, eps.map((e) => networkOf(state, e))), ...ports]);
    dns = dnsGateways(state, sb);
    return { sandbox: sb, endpoint: ep, network: net, defaultRoute };
  }));
  await startDnsFor(s, dns); // post-apply: the state is saved, the server can read it
  return made;
}

/**
 * Removes an attachment and releases its addresses and ports; the last one of
 * a container removes its sandbox. Nothing to remove is not an error (the
 * runtime may repeat a DEL, or send one for an ADD that never happened).
 */
export async function detach(s: Session, key: AttachmentKey): Promise<boolean> {
  const cluster = await clusterLeave(s);
  const removed = await s.update((state) => {
    const found = attachmentOf(state, key);
    if (!found) return false;
    const { sandbox, endpoint } = found;
    if (!endpoint && endpointsOf(state, sandbox).length > 0) return false;
    s.teardown(planRelease(state, sandbox, endpoint ? [endpoint] : []));
    return true;
  });
  if (removed) await cluster?.();
  return removed;
}

/**
 * Removes the attachments made under configuration `name` that the runtime
 * no longer knows (`valid`: the ones it keeps), and nothing else.
 */
export async function collect(s: Session, name: string, valid: readonly { containerId: string; ifname: string }[]): Promise<string[]> {
  const keep = new Set(valid.map((v) => `${v.containerId}\u0000${v.ifname}`));
  const cluster = await clusterLeave(s);
  const gone = await s.update((state) => {
    const removed: string[] = [];
    const plan: Op[] = [];
    for (const sb of state.sandboxes.filter((x) => x.cni)) {
      const gone = endpointsOf(state, sb).filter((e) => e.cni?.name === name && !keep.has(`${sb.cni!.containerId}\u0000${e.ifname}`));
      if (gone.length === 0) continue;
      removed.push(...gone.map((e) => `${sb.cni!.containerId}/${e.ifname}`));
      plan.push(...planRelease(state, sb, gone));
    }
    if (plan.length > 0) s.teardown(byNamespace(plan));
    return removed;
  });
  if (gone.length > 0) await cluster?.();
  return gone;
}

/** Finds the cnm network a configuration names, for STATUS (throws NotFoundError). */
export function networkFor(state: State, ref: string): Network {
  return findNetwork(state, ref);
}
