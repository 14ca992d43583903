/**
 * Sandbox orchestration. A sandbox is a named network namespace (created, or
 * adopted from a running process or a namespace file) with its endpoints and
 * its /etc/netns files.
 */
import { getDriver } from '../../drivers/index.js';
import { existsSync, statSync } from '../files.js';
import { CnmError, ConflictError, UsageError } from '../errors.js';
import type { Endpoint, Sandbox, State } from '../model.js';
import { checkName, newId } from '../names.js';
import { NETNS_DIR, netnsPath } from '../paths.js';
import { processesInEach } from '../processes.js';
import { type Op, byNamespace } from '../plan.js';
import { findNetwork, findSandbox, sandboxNamed } from '../resolve.js';
import { addEndpointRecord, addSandboxRecord, dropSandboxRecord } from '../records.js';
import type { Session } from '../session.js';
import { dnsGateways, startDnsFor } from '../dns/hooks.js';
import { ensureBuiltins } from './builtins.js';
import { type AddSandboxInput, readyHooks, sandboxHooks } from '../plans/hooks.js';
import { adoptedPid, namespacePlan, onHostNetwork, sandboxTeardown } from '../plans/namespace.js';
import { planJoin } from '../plans/endpoint.js';
import { type EndpointRequest, buildEndpoint, checkCompatible, checkEndpointRequest } from './endpoint.js';
import { checkResolvers, sandboxFiles } from '../plans/sandbox-files.js';
import { parseAddr } from '../ip.js';
import { applyClaimed, clusterJoin, clusterLeave, settled } from '../cluster/hook.js';


export { addSandboxHooks, type AddSandboxInput, type SandboxHooks } from '../plans/hooks.js';

/** --dns, --dns-search, --dns-option and --add-host, as Docker takes them; a bad one is exit 2. */
function checkResolverInput(input: AddSandboxInput): void {
  checkResolvers(input.dns);
  for (const d of input.dnsSearch ?? []) {
    if (!/^[a-zA-Z0-9_.-]{1,253}$/.test(d)) throw new UsageError(`invalid --dns-search "${d}": expected a domain name`);
  }
  for (const o of input.dnsOptions ?? []) {
    if (!/^[a-z][a-z0-9_-]*(:\d+)?$/.test(o)) throw new UsageError(`invalid --dns-option "${o}": expected OPTION or OPTION:N, like ndots:2`);
  }
  for (const h of input.extraHosts ?? []) {
    const at = h.indexOf(':');
    const name = h.slice(0, at);
    const ip = h.slice(at + 1);
    if (at <= 0 || !/^[a-zA-Z0-9_.-]{1,253}$/.test(name) || (ip !== 'host-gateway' && !parseAddr(ip))) {
      throw new UsageError(`invalid --add-host "${h}": expected NAME:IP (or NAME:host-gateway)`);
    }
  }
}

/**
 * Refuses to adopt cnm's own network namespace (the host's, usually): reached
 * through an ordinary host process's --pid or a --netns path, the sandbox's
 * interfaces and default route would land on the host itself.
 */
function checkNotOwnNamespace(path: string, what: string): void {
  let ns: { dev: number; ino: number };
  let own: { dev: number; ino: number };
  try {
    ns = statSync(path);
    own = statSync('/proc/self/ns/net');
  } catch {
    return; // missing: reported by the caller's own check
  }
  if (ns.dev === own.dev && ns.ino === own.ino) {
    throw new UsageError(`${what} is in cnm's own network namespace (the host's), not a container's; give the process or namespace of a container`);
  }
}

/** Refuses an adoption whose process or namespace file is not there, or is cnm's own namespace. */
function checkAdoptable(input: AddSandboxInput): void {
  const pid = input.pid ?? adoptedPid(input.netnsPath);
  if (pid !== undefined) {
    if (!existsSync(`/proc/${pid}/ns/net`)) throw new UsageError(`no process ${pid} to adopt the namespace of`);
    checkNotOwnNamespace(`/proc/${pid}/ns/net`, `process ${pid}`);
  } else if (input.netnsPath !== undefined && !existsSync(input.netnsPath)) {
    throw new UsageError(`network namespace file ${input.netnsPath} does not exist`);
  } else if (input.netnsPath !== undefined) {
    checkNotOwnNamespace(input.netnsPath, `--netns ${input.netnsPath}`);
  }
}

/**
 * A new sandbox record (not yet in state) and the ops that give it its
 * namespace: made, adopted (--pid, --netns) or cnm's own (host network).
 */
export function newSandbox(state: State, input: AddSandboxInput, onHost: boolean): { sb: Sandbox; host: Op[]; inside: Op[] } {
  if (sandboxNamed(state, input.name)) throw new ConflictError(`sandbox "${input.name}" already exists`);
  if (existsSync(netnsPath(input.name))) {
    throw new ConflictError(`a network namespace "${input.name}" already exists (${netnsPath(input.name)}); pick another name`);
  }
  const sb: Sandbox = {
    id: newId(),
    name: input.name,
    created: new Date().toISOString(),
    hostname: input.hostname ?? input.name.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 63),
    netns: input.name,
    dns: input.dns,
    ports: [],
    ...(input.labels && Object.keys(input.labels).length > 0 ? { labels: input.labels } : {}),
    ...(input.dnsSearch?.length ? { dnsSearch: input.dnsSearch } : {}),
    ...(input.dnsOptions?.length ? { dnsOptions: input.dnsOptions } : {}),
    ...(input.extraHosts?.length ? { extraHosts: input.extraHosts } : {}),
  };
  if (input.pid !== undefined) sb.adopted = { pid: input.pid };
  if (input.netnsPath !== undefined) sb.adopted = { path: input.netnsPath };
  if (sb.adopted) checkAdoptable(input);
  const { host, inside } = namespacePlan(sb, onHost);
  return { sb, host, inside };
}

export async function addSandbox(s: Session, input: AddSandboxInput): Promise<Sandbox> {
  checkName('sandbox', input.name);
  checkEndpointRequest(input);
  if (input.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(input.hostname)) {
    throw new UsageError(`invalid --hostname "${input.hostname}"`);
  }
  if (input.pid !== undefined && input.netnsPath !== undefined) throw new UsageError('give --pid or --netns, not both');
  checkResolverInput(input);
  const refs = input.networks.length > 0 ? input.networks : ['bridge'];
  if (new Set(refs).size !== refs.length) throw new UsageError('a network is named twice');
  let dns: string[] = [];
  await readyHooks(undefined, input); // -p: the ports planning (the state's needs are the session's)
  // On a joined host, addresses on cluster networks are claimed in the store first: sent before the
  // lock, answered (confirmed) before the kernel work others can see, so the plan is built and the
  // sandbox's namespace and veth pair made while the store commits.
  const cluster = await clusterJoin(s, refs, input.name, input.aliases, input.ip, input.mac, true);
  const made = await settled(cluster, () => s.update(async (state) => {
    const init = [...ensureBuiltins(state, s.store.dir), ...(cluster?.materialize(state) ?? [])];
    const nets = refs.map((r) => findNetwork(state, r));
    const { sb, host, inside } = newSandbox(state, input, nets.some((n) => getDriver(n.driver).joinsHostNamespace === true));
    const eps: Endpoint[] = [];
    // In state as it is built (each endpoint sees the ones before it); nothing is saved if the update throws.
    addSandboxRecord(state, sb);
    for (const [i, net] of nets.entries()) {
      checkCompatible(state, sb, net);
      // --ip/--ip6/--mac pin the first network's endpoint; aliases hold on every network.
      const base: EndpointRequest = i === 0 ? input : { aliases: input.aliases };
      const pinned = cluster?.pin(net.id);
      const req: EndpointRequest = pinned ? { ...base, ip: pinned } : base;
      const ep = buildEndpoint(state, net, sb, req);
      const join = planJoin(state, net, ep, sb, eps);
      host.push(...join.host);
      inside.push(...join.sandbox);
      addEndpointRecord(state, ep);
      eps.push(ep);
    }
    const extra = sandboxHooks().flatMap((h) => h.onAdd?.(state, sb, input) ?? []);
    await applyClaimed(s, cluster, [...init, ...host, ...inside, ...sandboxFiles(state, sb, eps, nets), ...extra]);
    dns = dnsGateways(state, sb);
    return sb;
  }));
  await startDnsFor(s, dns); // post-apply: the state is saved, the server can read it
  return made;
}

/**
 * The processes in the namespace of each sandbox the refs name (that has one of its own), by
 * namespace name: one scan of /proc for all of them, which asks every process on the host.
 */
function processesOf(state: State, refs: readonly string[]): Map<string, number[]> {
  const names = new Set<string>();
  for (const ref of refs) {
    let sb: Sandbox;
    try {
      sb = findSandbox(state, ref);
    } catch {
      continue; // reported by the removal itself
    }
    if (!sb.adopted && !onHostNetwork(state, sb)) names.add(sb.netns);
  }
  const netns = [...names];
  const pids = processesInEach(netns.map((n) => `${NETNS_DIR}/${n}`));
  return new Map(netns.map((n, i) => [n, pids[i]!]));
}

/** What a removal of several objects did: the names removed, and what stopped the others. */
export interface Removal {
  removed: string[];
  errors: CnmError[];
}

/**
 * Removes sandboxes in one locked transaction and one teardown plan (one
 * `ip -batch` for all their namespaces). Like `docker rm a b c`, a name that
 * is not found, or a sandbox with processes inside (without --force), is an
 * error for that one and does not stop the others.
 */
export async function removeSandboxes(s: Session, refs: string[], force: boolean): Promise<Removal> {
  const cluster = await clusterLeave(s);
  const out = await s.update((state) => {
    const out: Removal = { removed: [], errors: [] };
    const kills: Op[] = [];
    const plan: Op[] = [];
    const running = processesOf(state, refs);
    for (const ref of refs) {
      let sb: Sandbox;
      try {
        sb = findSandbox(state, ref);
      } catch (e) {
        if (e instanceof CnmError) {
          out.errors.push(e);
          continue;
        }
        throw e;
      }
      if (!sb.adopted && !onHostNetwork(state, sb)) {
        const pids = running.get(sb.netns) ?? [];
        if (pids.length > 0 && !force) {
          out.errors.push(new ConflictError(`sandbox "${sb.name}" has running processes (pid ${pids.slice(0, 5).join(', ')}); stop them or use --force`));
          continue;
        }
        // Part of the plan, so a dry run shows it; run first, before the namespace goes.
        if (pids.length > 0) kills.push({ kind: 'process.kill', pids });
      }
      plan.push(...sandboxTeardown(state, sb));
      dropSandboxRecord(state, sb);
      out.removed.push(sb.name);
    }
    if (plan.length > 0) s.teardown([...kills, ...byNamespace(plan)]);
    return out;
  });
  if (out.removed.length > 0) await cluster?.();
  return out;
}

