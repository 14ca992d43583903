/**
 * `ip netns add|attach|del` in-process, the way iproute2 does them: the name
 * is a file under /run/netns (a shared mount, so mounts made in it reach other
 * mount namespaces and `ip netns` sees them) with the namespace bind-mounted
 * on it. A new namespace is made by unsharing the JS thread's and mounting
 * /proc/thread-self/ns/net, then the thread returns to cnm's own.
 */
import { closeSync, mkdirSync, openSync, unlinkSync, constants as fs } from '../../files.js';
import { type Libc, cString } from '../../libc.js';
import { CLONE_NEWNET, NetlinkFailure, errnoText, homeFd, netnsFile, returnHome, sysError } from './socket.js';

const RUN_DIR = '/run/netns';
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_SHARED = 1 << 20;
const MNT_DETACH = 2;
const EINVAL = 22;

/**
 * /run/netns exists and is a shared mount (bound onto itself first when it is not a mount point).
 * Shared, not recursively (iproute2 passes MS_REC): a mount made in a shared mount is shared at
 * once, so the recursion re-walked every namespace's mount under it on every add, about 0.2 ms of
 * kernel time per add at 1,000 sandboxes (invent_group_ids, change_mnt_propagation).
 */
function sharedRunDir(c: Libc): void {
  try {
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new NetlinkFailure(`mkdir ${RUN_DIR} failed: ${errnoText(c, e)}`);
  }
  const dir = cString(RUN_DIR);
  const none = cString('none');
  let bound = false;
  while (c.mount(cString(''), dir, none, MS_SHARED, null) !== 0) {
    if (c.errno() !== EINVAL || bound) throw sysError(c, `mount --make-shared ${RUN_DIR} failed`);
    if (c.mount(dir, dir, none, MS_BIND | MS_REC, null) !== 0) throw sysError(c, `mount --bind ${RUN_DIR} ${RUN_DIR} failed`);
    bound = true;
  }
}

/** Makes the file that names the namespace; ip's message when it is taken. */
function createFile(c: Libc, path: string): void {
  try {
    closeSync(openSync(path, fs.O_RDONLY | fs.O_CREAT | fs.O_EXCL, 0));
  } catch (e) {
    throw new NetlinkFailure(`Cannot create namespace file "${path}": ${errnoText(c, e)}`);
  }
}

function bind(c: Libc, source: string, path: string): void {
  if (c.mount(cString(source), cString(path), cString('none'), MS_BIND, null) !== 0) throw sysError(c, `Bind ${source} -> ${path} failed`);
}

/** `ip netns add NAME`. */
export function addNetns(c: Libc, name: string): void {
  const path = netnsFile(name);
  sharedRunDir(c);
  const back = homeFd(); // before the thread leaves it
  createFile(c, path);
  try {
    if (c.unshare(CLONE_NEWNET) !== 0) throw sysError(c, `Failed to create a new network namespace "${name}"`);
    try {
      bind(c, '/proc/thread-self/ns/net', path);
    } finally {
      returnHome(c, back);
    }
  } catch (e) {
    removeFile(path);
    throw e;
  }
}

/** `ip netns attach NAME PID`. */
export function attachNetns(c: Libc, name: string, pid: number): void {
  const path = netnsFile(name);
  sharedRunDir(c);
  createFile(c, path);
  try {
    bind(c, `/proc/${pid}/ns/net`, path);
  } catch (e) {
    removeFile(path);
    throw e;
  }
}

/** `ip netns del NAME`: detach the mount, remove the file. */
export function delNetns(c: Libc, name: string): void {
  const path = netnsFile(name);
  c.umount2(cString(path), MNT_DETACH);
  try {
    unlinkSync(path);
  } catch (e) {
    throw new NetlinkFailure(`Cannot remove namespace file "${path}": ${errnoText(c, e)}`);
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
