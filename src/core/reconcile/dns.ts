/**
 * The embedded DNS server is a process, not a kernel object, and starting one
 * is asynchronous, so the (synchronous) reconcile engine leaves it to this
 * step, which the `reconcile` command runs after the engine: when DNS-enabled
 * networks have endpoints, a server must run and listen on their gateways.
 */
import { ensureServer, servedAddrs, serverPid } from '../dns/lifecycle.js';
import { buildZone } from '../dns/records.js';
import type { State } from '../model.js';
import type { Outcome } from './index.js';

export async function reconcileDns(state: State, stateDir: string, dryRun: boolean): Promise<Outcome[]> {
  const gateways = [...new Set(buildZone(state).listen.map((l) => l.address))];
  if (gateways.length === 0) return [];
  const pid = serverPid();
  const served = new Set(pid === undefined ? [] : servedAddrs());
  const missing = gateways.filter((g) => !served.has(g));
  if (missing.length === 0) return [];
  const outcome: Outcome = {
    reconciler: 'dns',
    object: 'dns server',
    problem: pid === undefined ? `not running, though ${gateways.length} gateway(s) need it` : `does not listen on ${missing.join(', ')}`,
    action: pid === undefined ? 'start it' : 'make it re-read the state',
    status: dryRun ? 'planned' : 'repaired',
  };
  if (!dryRun) {
    const warning = await ensureServer(stateDir, gateways);
    if (warning) Object.assign(outcome, { status: 'failed', error: warning });
  }
  return [outcome];
}
