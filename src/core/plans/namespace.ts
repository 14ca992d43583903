/**
 * A sandbox's namespace as plans: the ops that make it exist (sandbox add, and
 * reconcile when it is gone) and the ops that take the sandbox down. Pure:
 * both the orchestration (ops/) and reconcile use them.
 */
import { getDriver } from '../../drivers/index.js';
import type { Network, Sandbox, State } from '../model.js';
import { netnsPath } from '../paths.js';
import { type Op, linkSet } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';
import { sandboxHooks } from './hooks.js';
import { removeSandboxFiles } from './sandbox-files.js';

/** Whether the sandbox shares cnm's own namespace (it is on the host network). */
export function onHostNetwork(state: State, sb: Sandbox): boolean {
  return endpointsOf(state, sb).some((e) => getDriver(networkOf(state, e).driver).joinsHostNamespace === true);
}

/** The process whose namespace a `/proc/PID/ns/net` path names, if it is one. */
export function adoptedPid(path: string | undefined): number | undefined {
  const m = path === undefined ? null : /^\/proc\/(\d+)\/ns\/net$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

export interface NamespacePlan {
  /** Ops in cnm's own namespace: the namespace itself. */
  host: Op[];
  /** Ops inside it (loopback up), to run after the endpoints' host-side ops. */
  inside: Op[];
}

/**
 * The ops that make a sandbox's namespace exist: a new one, cnm's own (host
 * network), an adopted process's, or an adopted namespace file bind-mounted.
 */
export function namespacePlan(sb: Sandbox, onHost: boolean): NamespacePlan {
  const inside: Op[] = onHost ? [] : [linkSet('lo', { up: true }, sb.netns)];
  const pid = sb.adopted?.pid ?? adoptedPid(sb.adopted?.path);
  if (pid !== undefined) return { host: [{ kind: 'netns.attach', name: sb.netns, pid }], inside };
  if (sb.adopted?.path !== undefined) {
    return {
      host: [
        { kind: 'file', path: netnsPath(sb.netns), content: '' },
        { kind: 'mount.bind', source: sb.adopted.path, target: netnsPath(sb.netns) },
      ],
      inside,
    };
  }
  if (onHost) return { host: [{ kind: 'netns.attach', name: sb.netns, pid: process.pid }], inside };
  return { host: [{ kind: 'netns.add', name: sb.netns }], inside };
}

/**
 * An add's plan split in two: what it makes that nobody sees yet and that does not depend on
 * the endpoints' addresses, and the rest, in plan order. The first part is the namespaces it
 * makes (new and empty) and each veth pair whose peer goes into one of them, with its host end's
 * port (master, up), when nothing before it in the plan is left for later (the bridge it joins is
 * there): one batch in cnm's own namespace. Work inside the new namespaces (their loopback too)
 * waits for the rest, in one batch there: a batch of its own would cost more than its op, and
 * the answer is mostly in by the time the first part is done. It may run while the run still
 * waits for something the rest needs (a cluster claim's answer), and is undone if the wait fails.
 */
export function madeFirst(plan: readonly Op[]): [Op[], Op[]] {
  const spaces = new Set<string>();
  const veths = new Set<string>();
  const first: Op[] = [];
  const rest: Op[] = [];
  for (const op of plan) {
    const early =
      op.kind === 'netns.add' ||
      (rest.length === 0 && op.kind === 'link.add' && op.ns === undefined && op.link.type === 'veth' && op.link.peer.netns !== undefined && spaces.has(op.link.peer.netns)) ||
      (rest.length === 0 && op.kind === 'link.set' && op.ns === undefined && veths.has(op.name));
    if (!early) {
      rest.push(op);
      continue;
    }
    if (op.kind === 'netns.add') spaces.add(op.name);
    if (op.kind === 'link.add') veths.add(op.name);
    first.push(op);
  }
  return [first, rest];
}

/** The teardown of a sandbox: its hooks' (published ports), its endpoints where they outlive it, its namespace and files. */
export function sandboxTeardown(state: State, sb: Sandbox): Op[] {
  const eps = endpointsOf(state, sb);
  const ops: Op[] = sandboxHooks().flatMap((h) => h.onRemove?.(state, sb) ?? []);
  // A namespace cnm made takes its interfaces with it when it goes; an adopted
  // (or host) one outlives cnm's claim, so its endpoints are removed one by one.
  // What outlives the interfaces even then (nft elements keyed by a port) is forgotten.
  const whole = sb.adopted !== undefined || onHostNetwork(state, sb);
  for (const ep of eps) {
    const net: Network = networkOf(state, ep);
    const driver = getDriver(net.driver);
    ops.push(...(whole ? driver.leave(net, ep, sb) : (driver.forget?.(net, ep, sb) ?? [])));
  }
  ops.push({ kind: 'netns.del', name: sb.netns });
  ops.push(...removeSandboxFiles(sb));
  return ops;
}
