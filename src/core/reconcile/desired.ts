/**
 * What state says the kernel should hold, as the drivers plan it: every
 * network's createNetwork() and every endpoint's join(). Reconcilers compare
 * these plans with the kernel; orphan detection takes its list of owned names
 * from them too, so a new driver's links are known without code here.
 */
import { getDriver } from '../../drivers/index.js';
import type { Network, State } from '../model.js';
import { planJoin } from '../plans/endpoint.js';
import { type Op, linkPlace } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';

export function networkPlan(net: Network): Op[] {
  return getDriver(net.driver).createNetwork(net);
}

/** Every join plan of every endpoint, in connection order per sandbox. */
export function joinPlans(state: State, skip: ReadonlySet<string> = new Set()): Op[] {
  const ops: Op[] = [];
  for (const sb of state.sandboxes) {
    if (skip.has(sb.id)) continue;
    const eps = endpointsOf(state, sb);
    eps.forEach((ep, i) => {
      const join = planJoin(state, networkOf(state, ep), ep, sb, eps.slice(0, i));
      ops.push(...join.host, ...join.sandbox);
    });
  }
  return ops;
}

/** Names of the links cnm's own namespace should hold, from every plan and every record in state. */
export function ownedHostLinks(state: State): Set<string> {
  const names = new Set<string>();
  for (const n of state.networks) if (n.bridge) names.add(n.bridge);
  for (const e of state.endpoints) if (e.hostIfname) names.add(e.hostIfname);
  const plans = [...state.networks.flatMap(networkPlan), ...joinPlans(state)];
  for (const op of plans) if (op.kind === 'link.add' && linkPlace(op) === undefined) names.add(op.name);
  return names;
}
