/**
 * Sandbox orchestration. A sandbox is a named network namespace (created, or
 * adopted from a running process or a namespace file) with its endpoints and
 * its /etc/netns files.
 */
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { CnmError, ConflictError, UsageError } from '../errors.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { checkName, newId } from '../names.js';
import { NETNS_DIR, netnsPath } from '../paths.js';
import { type Op, byNamespace, linkSet } from '../plan.js';
import { endpointsOf, findNetwork, findSandbox, networkOf } from '../resolve.js';
import type { Session } from '../session.js';
import { dnsGateways, startDnsFor } from '../dns/hooks.js';
import { ensureBuiltins } from './builtins.js';
import { sandboxHooks } from './hooks.js';
import { type EndpointRequest, buildEndpoint, checkCompatible, checkEndpointRequest, disconnectEndpoint, planJoin } from './endpoint.js';
import { removeSandboxFiles, sandboxFiles } from './sandbox-files.js';
import { getDriver } from '../../drivers/index.js';

export interface AddSandboxInput extends EndpointRequest {
  name: string;
  networks: string[];
  hostname?: string;
  dns: string[];
  netnsPath?: string;
  pid?: number;
  /** Port specs to publish (-p), Docker's syntax; parsed and applied by the ports hook. */
  publish?: string[];
}

export { addSandboxHooks, type SandboxHooks } from './hooks.js';

function adoptOps(sb: Sandbox, input: AddSandboxInput): Op[] {
  if (input.pid !== undefined) {
    if (!existsSync(`/proc/${input.pid}/ns/net`)) throw new UsageError(`no process ${input.pid} to adopt the namespace of`);
    return [{ kind: 'netns.attach', name: sb.netns, pid: input.pid }];
  }
  const path = input.netnsPath!;
  const m = /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  if (m) return adoptOps(sb, { ...input, netnsPath: undefined, pid: Number(m[1]) } as AddSandboxInput);
  if (!existsSync(path)) throw new UsageError(`network namespace file ${path} does not exist`);
  return [
    { kind: 'file', path: netnsPath(sb.netns), content: '' },
    { kind: 'mount.bind', source: path, target: netnsPath(sb.netns) },
  ];
}

export async function addSandbox(s: Session, input: AddSandboxInput): Promise<Sandbox> {
  checkName('sandbox', input.name);
  checkEndpointRequest(input);
  if (input.hostname !== undefined && !/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(input.hostname)) {
    throw new UsageError(`invalid --hostname "${input.hostname}"`);
  }
  if (input.pid !== undefined && input.netnsPath !== undefined) throw new UsageError('give --pid or --netns, not both');
  const refs = input.networks.length > 0 ? input.networks : ['bridge'];
  if (new Set(refs).size !== refs.length) throw new UsageError('a network is named twice');
  let dns: string[] = [];
  const made = await s.update((state) => {
    const init = ensureBuiltins(state);
    if (state.sandboxes.some((x) => x.name === input.name)) throw new ConflictError(`sandbox "${input.name}" already exists`);
    if (existsSync(netnsPath(input.name))) {
      throw new ConflictError(`a network namespace "${input.name}" already exists (${netnsPath(input.name)}); pick another name`);
    }
    const nets = refs.map((r) => findNetwork(state, r));
    const sb: Sandbox = {
      id: newId(),
      name: input.name,
      created: new Date().toISOString(),
      hostname: input.hostname ?? input.name.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 63),
      netns: input.name,
      dns: input.dns,
      ports: [],
    };
    if (input.pid !== undefined) sb.adopted = { pid: input.pid };
    if (input.netnsPath !== undefined) sb.adopted = { path: input.netnsPath };
    const onHost = nets.some((n) => n.driver === 'host');
    const host: Op[] = sb.adopted
      ? adoptOps(sb, input)
      : onHost
        ? [{ kind: 'netns.attach', name: sb.netns, pid: process.pid }]
        : [{ kind: 'netns.add', name: sb.netns }];
    const inside: Op[] = onHost ? [] : [linkSet('lo', { up: true }, sb.netns)];
    const eps: Endpoint[] = [];
    for (const [i, net] of nets.entries()) {
      const view = { ...state, endpoints: [...state.endpoints, ...eps] };
      checkCompatible(view, sb, net);
      // --ip/--ip6/--mac pin the first network's endpoint; aliases hold on every network.
      const req: EndpointRequest = i === 0 ? input : { aliases: input.aliases };
      const ep = buildEndpoint(view, net, sb, req);
      const join = planJoin(view, net, ep, sb, eps);
      host.push(...join.host);
      inside.push(...join.sandbox);
      eps.push(ep);
    }
    state.sandboxes.push(sb);
    state.endpoints.push(...eps);
    const extra = sandboxHooks().flatMap((h) => h.onAdd?.(state, sb, input) ?? []);
    s.apply([...init, ...host, ...inside, ...sandboxFiles(state, sb, eps, nets), ...extra]);
    dns = dnsGateways(state, sb.id);
    return sb;
  });
  await startDnsFor(s, dns); // post-apply: the state is saved, the server can read it
  return made;
}

/** PIDs of processes living in a namespace, found through /proc (no process spawned). */
export function processesIn(nsFile: string): number[] {
  let ino: number;
  try {
    ino = statSync(nsFile).ino;
  } catch {
    return [];
  }
  const want = `net:[${ino}]`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(Number(entry));
    } catch {
      /* exited or not ours to read */
    }
  }
  return pids;
}


export function sandboxTeardown(state: State, sb: Sandbox): Op[] {
  const eps = endpointsOf(state, sb);
  const ops: Op[] = sandboxHooks().flatMap((h) => h.onRemove?.(state, sb) ?? []);
  const onHost = eps.some((e) => networkOf(state, e).driver === 'host');
  // A namespace cnm made takes its interfaces with it when it goes; an adopted
  // (or host) one outlives cnm's claim, so its endpoints are removed one by one.
  if (sb.adopted || onHost) {
    for (const ep of eps) {
      const net: Network = networkOf(state, ep);
      ops.push(...getDriver(net.driver).leave(net, ep, sb));
    }
  }
  ops.push({ kind: 'netns.del', name: sb.netns });
  ops.push(...removeSandboxFiles(sb));
  return ops;
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
  return s.update((state) => {
    const out: Removal = { removed: [], errors: [] };
    const kills: Op[] = [];
    const plan: Op[] = [];
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
      const onHost = endpointsOf(state, sb).some((e) => networkOf(state, e).driver === 'host');
      if (!sb.adopted && !onHost) {
        const pids = processesIn(`${NETNS_DIR}/${sb.netns}`);
        if (pids.length > 0 && !force) {
          out.errors.push(new ConflictError(`sandbox "${sb.name}" has running processes (pid ${pids.slice(0, 5).join(', ')}); stop them or use --force`));
          continue;
        }
        // Part of the plan, so a dry run shows it; run first, before the namespace goes.
        if (pids.length > 0) kills.push({ kind: 'process.kill', pids });
      }
      plan.push(...sandboxTeardown(state, sb));
      state.endpoints = state.endpoints.filter((e) => e.sandboxId !== sb.id);
      state.sandboxes = state.sandboxes.filter((x) => x.id !== sb.id);
      out.removed.push(sb.name);
    }
    if (plan.length > 0) s.teardown([...kills, ...byNamespace(plan)]);
    return out;
  });
}

