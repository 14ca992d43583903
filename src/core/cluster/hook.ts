/**
 * Where the orchestration of sandboxes and endpoints meets the cluster, kept
 * light: on a host that has not joined (no cluster.json) each hook is one
 * existsSync and nothing is loaded; on a joined host it loads the store
 * client and the cluster modules.
 */
import { loadDrivers } from '../../drivers/index.js';
import { existsSync } from '../files.js';
import { join } from '../paths.js';
import type { State } from '../model.js';
import type { Op } from '../plan.js';
import { madeFirst } from '../plans/namespace.js';
import { phase } from '../runner.js';
import { Redo, type Session } from '../session.js';

export function joined(stateDir: string): boolean {
  return existsSync(join(stateDir, 'cluster.json'));
}

export interface ClusterJoin {
  /** Under the lock: the local part of cluster networks this state lacks (added to state), as a plan. */
  materialize(state: State): Op[];
  /** The address claimed in the store for the endpoint on this network, if it is a cluster network. */
  pin(networkId: string): string | undefined;
  /**
   * Under the lock, after the plan is built and before it is applied: the store's answer to a claim
   * that was only sent (`overlap`). When the claim lost, throws Missed: settled() claims again and
   * runs the update anew.
   */
  confirmed(): Promise<void>;
  /**
   * Whether a claim was sent whose answer confirmed() has not read yet, and it left this host (a
   * claim whose connection failed is answered at once: by another endpoint, or with the failure).
   */
  inFlight(): boolean;
  /** After the locked update: releases what the run claimed but did not keep. */
  settle(ok: boolean): Promise<void>;
  /**
   * After the update failed before confirmed(): whether it built on a claim that lost. Its failure
   * may then be the stale view's (the address it was built on is another run's), so it runs again.
   */
  lost(): Promise<boolean>;
  /** After a lost claim: claims again, from what its answer read (or the usual way: one sent for a network the state knows otherwise). */
  again(): Promise<void>;
}

/** A claim sent before the lock lost (the run's view was stale): nothing was changed, the run starts over. */
export class Missed extends Redo {}

/**
 * Claims addresses for an endpoint on each cluster network among refs (ip and mac: the first ref's
 * endpoint's own); undefined when none is one. With `overlap`, a claim on a network already local
 * here is only sent: the run takes the lock and builds its plan while the store answers, and
 * awaits confirmed() before it changes the kernel.
 */
export async function clusterJoin(s: Session, refs: readonly string[], sandbox: string, aliases: string[], ip?: string, mac?: string, overlap = false): Promise<ClusterJoin | undefined> {
  if (s.dryRun || !joined(s.store.dir)) return undefined;
  // The cluster code asks for the overlay driver (and any driver of a network it reads): all of them, loaded.
  const [{ prepareAttach, sendFromView, emptyAttachment, materialize, settleAttach, confirmAttach, retryAttach }, { readMembership }] = await Promise.all([import('./attach.js'), import('./membership.js'), loadDrivers()]);
  const m = readMembership(s.store.dir);
  if (!m) return undefined;
  phase('cluster loaded');
  // A warm add sends its claim built on this host's last view before it reads the state at all.
  const sent = overlap && refs.length === 1 ? sendFromView(s.store.dir, m, refs[0]!, sandbox, aliases, ip, mac) : undefined;
  const first = sent ?? (await prepareAttach(s.store.dir, m, s.read(), refs, sandbox, aliases, ip, mac, overlap));
  if (!first) return undefined;
  let att = first;
  return {
    materialize(state) {
      const ops = materialize(state, att);
      if (att.redo) throw new Missed(`network "${refs[0]}" here is not the cluster network the claim was sent for`);
      return ops;
    },
    pin: (id) => att.ips.get(id)?.split('/')[0],
    async confirmed() {
      if (!(await confirmAttach(att))) throw new Missed('the claim lost');
    },
    inFlight: () => att.sent?.written === true,
    settle: (ok) => settleAttach(s.store.dir, att, ok),
    async lost() {
      try {
        return !(await confirmAttach(att));
      } catch {
        return false; // the store did not answer: the run's own failure stands
      }
    },
    async again() {
      if (!att.redo) return retryAttach(att);
      // The claim was sent for a network the state knows otherwise: release it and claim as usual.
      await settleAttach(s.store.dir, att, false);
      att = (await prepareAttach(s.store.dir, m, s.read(), refs, sandbox, aliases, ip, mac)) ?? emptyAttachment(m);
    },
  };
}

/**
 * Runs a locked update that builds on claims made (or sent) before the lock: keeps what it used, or
 * releases everything when it failed. An update whose sent claim lost changed nothing (it fails at
 * confirmed(), or earlier on the address it was built on): the claim is made again and the update
 * runs once more.
 */
export async function settled<T>(cluster: ClusterJoin | undefined, update: () => Promise<T>): Promise<T> {
  let made: T;
  for (let first = true; ; first = false) {
    try {
      made = await update();
      break;
    } catch (e) {
      let why = e;
      if (cluster && first && (e instanceof Missed || (await cluster.lost()))) {
        try {
          await cluster.again();
          continue;
        } catch (e2) {
          why = e2;
        }
      }
      await cluster?.settle(false);
      throw why;
    }
  }
  await cluster?.settle(true);
  return made;
}

/**
 * Applies an add's plan (under the lock, after the plan is built). With a claim in flight, what
 * does not depend on the address is made while the store answers (the sandbox's namespace, its
 * veth pair and the host end's port: nobody sees them yet, the peer being down), and the rest once
 * the claim is confirmed. A lost claim undoes it with the run: the namespace deleted takes the pair
 * with it (Redo), so a lost guess does not wait for a veth's deletion. A claim whose connection
 * failed is answered before anything is made: a store that is down costs no undo.
 */
export async function applyClaimed(s: Session, cluster: ClusterJoin | undefined, plan: Op[]): Promise<void> {
  if (!cluster?.inFlight()) {
    // Nothing sent, or a claim that never left (no connection): its answer first, then the kernel work.
    await cluster?.confirmed();
    return s.apply(plan);
  }
  const [own, rest] = madeFirst(plan);
  await s.applyAround(own, rest, () => cluster.confirmed());
}

/**
 * Before a removal on a joined host with cluster networks: checks the store
 * answers (nothing changes when it does not); the returned function, run
 * after the removal, drops idle local parts and releases freed claims.
 */
export async function clusterLeave(s: Session): Promise<(() => Promise<void>) | undefined> {
  if (s.dryRun || !joined(s.store.dir)) return undefined;
  const [{ prepareDetach, finishDetach }, { readMembership }] = await Promise.all([import('./detach.js'), import('./membership.js'), loadDrivers()]);
  const m = readMembership(s.store.dir);
  if (!m) return undefined;
  const d = await prepareDetach(s, m);
  return d ? () => finishDetach(s, d) : undefined;
}
