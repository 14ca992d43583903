/** `mount --bind` of an adopted namespace file, and its inverse. */
import type { MountOp, UmountOp } from '../plan.js';
import { type CommandKind, NEVER } from './kind.js';

export const mountBind: CommandKind<MountOp> = {
  argv: (op) => ['mount', '--bind', op.source, op.target],
  gone: NEVER,
};

export const umount: CommandKind<UmountOp> = {
  argv: (op) => ['umount', op.target],
  gone: /not mounted|No such file/i,
};
