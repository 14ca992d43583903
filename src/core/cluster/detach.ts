/**
 * Leaving cluster networks: before a removal, one read of this host's claims
 * on the cluster networks it holds (so a store that is down stops the command
 * before anything changes); after it, the local part of each cluster network
 * left without endpoints is torn down, and the claims nothing local holds any
 * more are released in one transaction (compare-and-swap on each).
 */
import { getDriver } from '../../drivers/index.js';
import { byNamespace } from '../plan.js';
import type { Session } from '../session.js';
import { clearPending, dropCache, forgetClaims, staleOf } from './attach.js';
import type { EtcdClient, KeyValue } from './etcd.js';
import { globalNetworks } from './flood.js';
import { keys } from './keys.js';
import { type Membership, clientOf } from './membership.js';
import { del, get, unchangedSince } from './txn.js';

export interface Detachment {
  client: EtcdClient;
  m: Membership;
  /** Claims per cluster network this host holds, by network ID. */
  claims: Map<string, KeyValue[]>;
}

export async function prepareDetach(s: Session, m: Membership): Promise<Detachment | undefined> {
  const nets = globalNetworks(s.read().networks);
  if (nets.length === 0) return undefined;
  const client = clientOf(m);
  const r = await client.txn({ compare: [], success: nets.map((n) => get(keys.claims(n.name), true)) });
  return { client, m, claims: new Map(nets.map((n, i) => [n.id, r.responses[i]?.kvs ?? []])) };
}

/** Drops idle local parts, then releases this host's claims that nothing local holds. */
export async function finishDetach(s: Session, d: Detachment): Promise<void> {
  await s.update((state) => {
    const idle = globalNetworks(state.networks).filter((n) => !state.endpoints.some((e) => e.networkId === n.id));
    if (idle.length > 0) {
      state.networks = state.networks.filter((n) => !idle.includes(n));
      s.teardown(byNamespace(idle.flatMap((n) => getDriver(n.driver).deleteNetwork(n, state.networks))));
    }
  });
  const stale = staleOf(s.store.dir, () => s.read(), d.m, [...d.claims.values()].flat());
  if (stale.length === 0) return;
  // Each only if unchanged since read: a claim re-made meanwhile is someone's.
  const r = await d.client.txn({ compare: stale.map((kv) => unchangedSince(kv.key, kv.modRevision)), success: stale.map((kv) => del(kv.key)) });
  clearPending(s.store.dir);
  // The next add builds on the view without the released claims (with them, it would find claims of
  // this host that nothing holds and try to release them again: a failed guess, a read more).
  if (r.succeeded) forgetClaims(s.store.dir, d.m, stale.map((kv) => kv.key));
  else dropCache(s.store.dir);
}
