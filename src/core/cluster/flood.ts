/**
 * The flood list of a global overlay on this host: one all-zeros FDB entry
 * per other live member, so broadcast and ARP reach every host (part 2
 * replaces it with exact entries). The agent calls this on every change of
 * the member list; `sandbox add` seeds it when it makes the network locally.
 */
import { vxlanName } from '../../drivers/overlay.js';
import type { Network } from '../model.js';
import { run } from '../runner.js';
import { Store } from '../store.js';

const ALL_ZEROS = '00:00:00:00:00:00';

/** The fdb lines that take `current` flooding destinations to `wanted` (pure). */
export function floodChanges(dev: string, current: readonly string[], wanted: readonly string[]): string[][] {
  return [
    ...wanted.filter((p) => !current.includes(p)).map((p) => ['fdb', 'append', ALL_ZEROS, 'dev', dev, 'dst', p]),
    ...current.filter((p) => !wanted.includes(p)).map((p) => ['fdb', 'del', ALL_ZEROS, 'dev', dev, 'dst', p]),
  ];
}

/** Cluster networks this state dir has made locally. */
export function globalNetworks(nets: readonly Network[]): Network[] {
  return nets.filter((n) => n.scope === 'global' && n.driver === 'overlay');
}

function floodingNow(dev: string): string[] | undefined {
  const r = run('bridge', ['-j', 'fdb', 'show', 'dev', dev]);
  if (r.code !== 0) return undefined; // the device is not there (yet, or any more)
  const rows = JSON.parse(r.stdout || '[]') as { mac?: string; dst?: string }[];
  return rows.filter((x) => x.mac === ALL_ZEROS && x.dst).map((x) => x.dst!);
}

/** Makes every local global overlay flood to exactly `peers`; the problems, as lines. */
export function syncFlood(stateDir: string, peers: readonly string[]): string[] {
  const problems: string[] = [];
  let nets: Network[];
  try {
    nets = globalNetworks(new Store(stateDir).read().networks);
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
  for (const net of nets) {
    const dev = vxlanName(net);
    const now = floodingNow(dev);
    if (now === undefined) continue;
    for (const line of floodChanges(dev, now, peers)) {
      const r = run('bridge', line);
      if (r.code !== 0 && !/exists|No such file/.test(r.stderr)) problems.push(`bridge ${line.join(' ')}: ${r.stderr.trim()}`);
    }
  }
  return problems;
}
