/** `kill -9` of processes left in a sandbox that is force-removed. */
import type { KillOp } from '../plan.js';
import type { CommandKind } from './kind.js';

export const processKill: CommandKind<KillOp> = {
  argv: (op) => ['kill', '-9', ...op.pids.map(String)],
  gone: /No such process/,
};
