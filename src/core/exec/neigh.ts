/** `ip neigh replace|del` lines: permanent neighbour entries (run by `ip -batch`). */
import type { NeighDelOp, NeighReplaceOp } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

/** A replace that fails did not program its device: never "already gone". */
export const neighReplace: LineKind<NeighReplaceOp> = {
  words: (op) => ['neigh', 'replace', op.addr, 'lladdr', op.mac, 'dev', op.dev, 'nud', 'permanent'],
  gone: NEVER,
};

export const neighDel: LineKind<NeighDelOp> = {
  words: (op) => ['neigh', 'del', op.addr, 'dev', op.dev],
  // The entry, or the device it was on, is not there.
  gone: /No such file|Cannot find device|No such device/i,
};
