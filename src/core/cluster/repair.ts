/**
 * `cnm reconcile` on a joined host: the store is part of the intent record,
 * so it is repaired both ways. Claims of this host that no saved endpoint or
 * local gateway holds (a run killed between its store write and its state
 * save) are released; endpoints on cluster networks whose claim is missing
 * are claimed again; local parts left without endpoints are torn down; a
 * stopped agent is started.
 */
import { getDriver } from '../../drivers/index.js';
import { formatAddr, stripPrefix } from '../ip.js';
import { byNamespace } from '../plan.js';
import type { Outcome } from '../reconcile/index.js';
import type { Session } from '../session.js';
import { agentPid, startAgent } from './agent.js';
import { dropCache, staleOf } from './attach.js';
import { globalNetworks } from './flood.js';
import { type Claim, keys } from './keys.js';
import { clientOf, readMembership } from './membership.js';
import { absent, del, put, unchangedSince } from './txn.js';

const outcome = (object: string, problem: string, action: string, dryRun: boolean): Outcome => ({
  reconciler: 'cluster',
  object,
  problem,
  action,
  status: dryRun ? 'planned' : 'repaired',
});

export async function reconcileCluster(s: Session, dryRun: boolean): Promise<Outcome[]> {
  const m = readMembership(s.store.dir);
  if (!m) return [];
  const out: Outcome[] = [];
  const client = clientOf(m);
  if (agentPid(s.store.dir) === undefined) {
    out.push(outcome('cluster agent', 'not running: the lease is not kept alive', 'start it', dryRun));
    if (!dryRun) startAgent(s.store.dir);
  }
  const state = s.read();
  const idle = globalNetworks(state.networks).filter((n) => !state.endpoints.some((e) => e.networkId === n.id));
  for (const n of idle) out.push(outcome(`network ${n.name}`, 'local part of a cluster network with no endpoint here', 'remove it', dryRun));
  if (idle.length > 0 && !dryRun) {
    await s.update((st) => {
      const gone = new Set(idle.map((n) => n.id));
      st.networks = st.networks.filter((n) => !gone.has(n.id));
      s.teardown(byNamespace(idle.flatMap((n) => getDriver(n.driver).deleteNetwork(n, st.networks))));
    });
  }
  const now = s.read();
  const { kvs } = await client.range(keys.claims(), true);
  const stale = staleOf(s.store.dir, () => s.read(), m, kvs);
  for (const kv of stale) out.push(outcome(`claim ${kv.key}`, 'held by no endpoint of this host', 'release it', dryRun));
  const held = new Set(kvs.map((kv) => kv.key));
  const missing: [string, Claim][] = [];
  for (const net of globalNetworks(now.networks)) {
    const prefix = net.subnets[0]?.subnet.prefix ?? 24;
    const gateway = net.subnets[0]?.gateway;
    const gw = gateway && formatAddr(gateway);
    if (gw && !held.has(keys.claim(net.name, gw))) missing.push([keys.claim(net.name, gw), { host: m.name, sandbox: '', mac: '', address: `${gw}/${prefix}`, aliases: [] }]);
    for (const ep of now.endpoints.filter((e) => e.networkId === net.id && e.ipv4)) {
      const addr = stripPrefix(ep.ipv4!);
      const sb = now.sandboxes.find((x) => x.id === ep.sandboxId)?.name ?? '';
      if (!held.has(keys.claim(net.name, addr))) missing.push([keys.claim(net.name, addr), { host: m.name, sandbox: sb, mac: ep.mac, address: ep.ipv4!, aliases: ep.aliases }]);
    }
  }
  for (const [k] of missing) out.push(outcome(`claim ${k}`, 'an endpoint of this host holds an address the store does not know', 'claim it again', dryRun));
  if (!dryRun && stale.length + missing.length > 0) dropCache(s.store.dir);
  if (!dryRun && stale.length > 0) {
    await client.txn({ compare: stale.map((kv) => unchangedSince(kv.key, kv.modRevision)), success: stale.map((kv) => del(kv.key)) });
  }
  for (const [k, c] of dryRun ? [] : missing) {
    const r = await client.txn({ compare: [absent(k)], success: [put(k, c)] });
    if (!r.succeeded) Object.assign(out.find((o) => o.object === `claim ${k}`)!, { status: 'failed', error: 'another host claimed it meanwhile' });
  }
  return out;
}
