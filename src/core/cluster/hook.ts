/**
 * Where the orchestration of sandboxes and endpoints meets the cluster, kept
 * light: on a host that has not joined (no cluster.json) each hook is one
 * existsSync and nothing is loaded; on a joined host it loads the store
 * client and the cluster modules.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { State } from '../model.js';
import type { Op } from '../plan.js';
import type { Session } from '../session.js';

export function joined(stateDir: string): boolean {
  return existsSync(join(stateDir, 'cluster.json'));
}

export interface ClusterJoin {
  /** Under the lock: the local part of cluster networks this state lacks (added to state), as a plan. */
  materialize(state: State): Op[];
  /** The address claimed in the store for the endpoint on this network, if it is a cluster network. */
  pin(networkId: string): string | undefined;
  /** After the locked update: releases what the run claimed but did not keep. */
  settle(ok: boolean): Promise<void>;
}

/** Claims addresses for an endpoint on each cluster network among refs (ip and mac: the first ref's endpoint's own); undefined when none is one. */
export async function clusterJoin(s: Session, refs: readonly string[], sandbox: string, aliases: string[], ip?: string, mac?: string): Promise<ClusterJoin | undefined> {
  if (s.dryRun || !joined(s.store.dir)) return undefined;
  const [{ prepareAttach, materialize, settleAttach }, { readMembership }] = await Promise.all([import('./attach.js'), import('./membership.js')]);
  const m = readMembership(s.store.dir);
  if (!m) return undefined;
  const att = await prepareAttach(s.store.dir, m, s.read(), refs, sandbox, aliases, ip, mac);
  if (!att) return undefined;
  return {
    materialize: (state) => materialize(state, att),
    pin: (id) => att.ips.get(id)?.split('/')[0],
    settle: (ok) => settleAttach(s.store.dir, att, ok),
  };
}

/** Awaits a locked update that builds on claims made before the lock: keeps what it used, or releases everything when it failed. */
export async function settled<T>(cluster: ClusterJoin | undefined, update: Promise<T>): Promise<T> {
  let made: T;
  try {
    made = await update;
  } catch (e) {
    await cluster?.settle(false);
    throw e;
  }
  await cluster?.settle(true);
  return made;
}

/**
 * Before a removal on a joined host with cluster networks: checks the store
 * answers (nothing changes when it does not); the returned function, run
 * after the removal, drops idle local parts and releases freed claims.
 */
export async function clusterLeave(s: Session): Promise<(() => Promise<void>) | undefined> {
  if (s.dryRun || !joined(s.store.dir)) return undefined;
  const [{ prepareDetach, finishDetach }, { readMembership }] = await Promise.all([import('./detach.js'), import('./membership.js')]);
  const m = readMembership(s.store.dir);
  if (!m) return undefined;
  const d = await prepareDetach(s, m);
  return d ? () => finishDetach(s, d) : undefined;
}
