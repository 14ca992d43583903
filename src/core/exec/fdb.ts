/** `bridge fdb append|replace|del` lines (run by `bridge -batch`; self and permanent are bridge's defaults). */
import type { FdbOp } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

const VERB = { 'fdb.append': 'append', 'fdb.replace': 'replace', 'fdb.del': 'del' } as const;

const words = (op: FdbOp): string[] => ['fdb', VERB[op.kind], op.mac, 'dev', op.dev, 'dst', op.dst];

export const fdb: LineKind<FdbOp> = {
  words,
  // The entry, or the device it was on, is not there.
  gone: /No such file|Cannot find device|No such device|not found/i,
};

/** A replace that fails did not program its device: never "already gone". */
export const fdbReplace: LineKind<FdbOp> = { words, gone: NEVER };
