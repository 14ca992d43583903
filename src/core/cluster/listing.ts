/**
 * What a joined host lists: its own networks and every cluster network it has
 * no local part of yet (Scope "global", no containers here). One read of the
 * store; with the store down, the local networks and a warning.
 */
import type { State } from '../model.js';
import type { Membership } from './membership.js';
import { clientOf } from './membership.js';
import { asLocal, listGlobal } from './networks.js';

export async function withGlobal(state: State, m: Membership, warn: (line: string) => void): Promise<State> {
  try {
    const globals = await listGlobal(clientOf(m));
    const have = new Set(state.networks.map((n) => n.id));
    return { ...state, networks: [...state.networks, ...globals.filter((g) => !have.has(g.id)).map(asLocal)] };
  } catch (e) {
    warn(`cnm: warning: cluster networks not listed: ${e instanceof Error ? e.message : String(e)}`);
    return state;
  }
}
