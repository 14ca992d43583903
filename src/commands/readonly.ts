/**
 * Read-only commands on a host where cnm has never run still show the
 * built-in networks (as they will be made), without writing anything.
 */
import type { State } from '../core/model.js';
import { ensureBuiltins } from '../core/ops/builtins.js';

export function withBuiltins(state: State, stateDir: string): State {
  if (state.networks.some((n) => n.builtin)) return state;
  const copy: State = { ...state, networks: [...state.networks] };
  ensureBuiltins(copy, stateDir);
  return copy;
}

/** On a joined host: the cluster networks it has no local part of yet, added (one read of the store). */
export async function withCluster(stateDir: string, state: State, warn: (line: string) => void): Promise<State> {
  const [{ readMembership }, { withGlobal }] = await Promise.all([import('../core/cluster/membership.js'), import('../core/cluster/listing.js')]);
  const m = readMembership(stateDir);
  return m ? withGlobal(state, m, warn) : state;
}
