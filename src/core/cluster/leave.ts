/**
 * Leaving the cluster: refused while this host has endpoints on cluster
 * networks (unless forced, which disconnects them and releases their claims),
 * then the agent stops, the lease and the host record go, and the local
 * membership file last, so a failure on the way leaves the host joined.
 */
import { ConflictError } from '../errors.js';
import { disconnect } from '../ops/endpoint.js';
import type { Session } from '../session.js';
import { stopAgent } from './agent.js';
import { dropCache } from './attach.js';
import { globalNetworks } from './flood.js';
import { deregister } from './members.js';
import { type Membership, clientOf, removeMembership, requireMembership } from './membership.js';

export async function leave(s: Session, force: boolean): Promise<Membership> {
  const m = requireMembership(s.store.dir);
  const state = s.read();
  const nets = new Set(globalNetworks(state.networks).map((n) => n.id));
  const eps = state.endpoints.filter((e) => nets.has(e.networkId));
  if (eps.length > 0 && !force) {
    const names = [...new Set(eps.map((e) => state.sandboxes.find((x) => x.id === e.sandboxId)?.name ?? e.sandboxId))];
    throw new ConflictError(`this host has ${eps.length} endpoint(s) on cluster networks (sandbox ${names.slice(0, 5).join(', ')}); disconnect them or use --force`);
  }
  // --force: each endpoint leaves the way `endpoint disconnect` does (its claim released, an idle local part removed).
  for (const ep of eps) await disconnect(s, ep.sandboxId, ep.networkId);
  const client = clientOf(m);
  await stopAgent(s.store.dir);
  await deregister(client, m);
  removeMembership(s.store.dir);
  dropCache(s.store.dir);
  return m;
}
