/**
 * Read-only commands on a host where cnm has never run still show the
 * built-in networks (as they will be made), without writing anything.
 */
import type { State } from '../core/model.js';
import { ensureBuiltins } from '../core/ops/builtins.js';

export function withBuiltins(state: State): State {
  if (state.networks.some((n) => n.builtin)) return state;
  const copy: State = { ...state, networks: [...state.networks] };
  ensureBuiltins(copy);
  return copy;
}
