/**
 * An endpoint's join and leave as plans: what its network's driver does to
 * join it (with the default route when no earlier endpoint carries one), and
 * what leaving takes down (handing the default route to the next routable
 * endpoint). Pure: orchestration (ops/) and reconcile both use them.
 */
import { getDriver } from '../../drivers/index.js';
import type { JoinPlan } from '../../drivers/types.js';
import type { Endpoint, Network, Sandbox, State } from '../model.js';
import { type Op, isRoute } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';
import { sandboxHooks } from './hooks.js';
import { sandboxFiles } from './sandbox-files.js';

export type { EndpointRequest } from './requests.js';

/** Whether a network can give a sandbox its default route. */
export function routable(net: Network): boolean {
  return !net.internal && net.subnets.some((s) => s.gateway) && getDriver(net.driver).hasInterfaces;
}

/** Whether a new endpoint on `net` gives the sandbox its default route (none of `existing` does). */
export function takesDefaultRoute(state: State, net: Network, existing: readonly Endpoint[]): boolean {
  return routable(net) && !existing.some((e) => routable(networkOf(state, e)));
}

/** The join plan for an endpoint being added to a sandbox that already has `existing` endpoints. */
export function planJoin(state: State, net: Network, ep: Endpoint, sb: Sandbox, existing: readonly Endpoint[]): JoinPlan {
  return getDriver(net.driver).join(net, ep, sb, { defaultRoute: takesDefaultRoute(state, net, existing) });
}

/** The teardown of one endpoint; drops it from state (the caller applies the plan). */
export function planDisconnect(state: State, ep: Endpoint): Op[] {
  const net = networkOf(state, ep);
  const sb = state.sandboxes.find((x) => x.id === ep.sandboxId)!;
  const before = endpointsOf(state, sb);
  const rest = before.filter((e) => e.id !== ep.id);
  const ops: Op[] = [...sandboxHooks().flatMap((h) => h.onDisconnect?.(state, sb, ep) ?? []), ...getDriver(net.driver).leave(net, ep, sb)];
  const hadDefault = before.find((e) => routable(networkOf(state, e)))?.id === ep.id;
  const heir = rest.find((e) => routable(networkOf(state, e)));
  if (hadDefault && heir) {
    const heirNet = networkOf(state, heir);
    ops.push(...getDriver(heirNet.driver).join(heirNet, heir, sb, { defaultRoute: true }).sandbox.filter(isRoute));
  }
  state.endpoints = state.endpoints.filter((e) => e.id !== ep.id);
  return [...ops, ...sandboxFiles(state, sb, rest, rest.map((e) => networkOf(state, e)))];
}
