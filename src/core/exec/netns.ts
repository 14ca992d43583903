/** `ip netns add|attach|del` lines (always run in cnm's own namespace). */
import type { NetnsAddOp, NetnsAttachOp, NetnsDelOp } from '../plan.js';
import { type LineKind, NEVER } from './kind.js';

export const netnsAdd: LineKind<NetnsAddOp> = {
  words: (op) => ['netns', 'add', op.name],
  gone: NEVER,
};

export const netnsAttach: LineKind<NetnsAttachOp> = {
  words: (op) => ['netns', 'attach', op.name, String(op.pid)],
  gone: NEVER,
};

export const netnsDel: LineKind<NetnsDelOp> = {
  words: (op) => ['netns', 'del', op.name],
  // "Cannot remove namespace file ...: No such file or directory"
  gone: /No such file|does not exist/i,
};
