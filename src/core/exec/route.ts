/** `ip route add|replace` lines. */
import type { RouteOp } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

export const route: LineKind<RouteOp> = {
  words: (op) => [
    'route', op.kind === 'route.add' ? 'add' : 'replace', op.dst,
    ...(op.via !== undefined ? ['via', op.via] : []),
    'dev', op.dev,
    ...(op.src !== undefined ? ['src', op.src] : []),
  ],
  gone: NEVER,
};
