/** `ip addr add` lines. */
import type { AddrAddOp } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

export const addrAdd: LineKind<AddrAddOp> = {
  words: (op) => ['addr', 'add', op.addr, 'dev', op.dev, ...(op.nodad ? ['nodad'] : [])],
  gone: NEVER,
};
