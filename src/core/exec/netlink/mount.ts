/**
 * `mount --bind SOURCE TARGET` and `umount TARGET` (adopting a namespace file)
 * as mount(2) and umount2(2) from cnm itself, answering as the commands would:
 * an exit code and a one-line stderr in util-linux's words, so exec/commands.ts
 * treats both ways alike.
 */
import type { Libc } from '../../libc.js';
import { cString } from '../../libc.js';
import type { MountOp, UmountOp } from '../../plan.js';

const MS_BIND = 4096;
const ENOENT = 2;
const EINVAL = 22;

export function mountInProcess(c: Libc, op: MountOp | UmountOp): { code: number; stdout: string; stderr: string } {
  if (op.kind === 'mount.bind') {
    if (c.mount(cString(op.source), cString(op.target), cString('none'), MS_BIND, null) === 0) return { code: 0, stdout: '', stderr: '' };
    const e = c.errno();
    const why = e === ENOENT ? `special device ${op.source} does not exist` : c.strerror(e);
    return { code: 32, stdout: '', stderr: `mount: ${op.target}: ${why}.` };
  }
  if (c.umount2(cString(op.target), 0) === 0) return { code: 0, stdout: '', stderr: '' };
  const e = c.errno();
  return { code: 32, stdout: '', stderr: `umount: ${op.target}: ${e === EINVAL ? 'not mounted' : c.strerror(e)}.` };
}
