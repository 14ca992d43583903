/** `bridge fdb append|del` lines (run by `bridge -batch`). */
import type { FdbOp } from '../plan.js';
import type { LineKind } from './kind.js';

export const fdb: LineKind<FdbOp> = {
  words: (op) => ['fdb', op.kind === 'fdb.append' ? 'append' : 'del', op.mac, 'dev', op.dev, 'dst', op.dst],
  // The entry, or the device it was on, is not there.
  gone: /No such file|Cannot find device|No such device|not found/i,
};
