/**
 * The cluster overlays this host takes part in. Their VXLAN devices flood
 * nothing: the agent programs exact entries from the endpoint records
 * (discovery.ts).
 */
import { getDriver } from '../../drivers/index.js';
import type { Network } from '../model.js';

/** Cluster networks this state dir has made locally. */
export function globalNetworks(nets: readonly Network[]): Network[] {
  return nets.filter((n) => n.scope === 'global' && getDriver(n.driver).scope === 'global');
}
