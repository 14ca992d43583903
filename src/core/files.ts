/**
 * The file calls cnm makes, and atomic file replacement for the state dir.
 *
 * The calls (openSync, readFileSync, statSync, mkdirSync, ...) keep node:fs's
 * names, arguments, results and errors (`ENOENT: no such file or directory,
 * open '/x'`, with code, errno, syscall and path), for the subset cnm uses. In
 * the binary they are syscalls through libc (./libc.ts): importing node:fs
 * costs Bun about 1 ms of every run's start-up, more than all the file work of
 * a `sandbox add`. Under Node (vitest) they are node:fs itself, loaded on first
 * use; test/unit/files.test.ts runs the same script on both and compares.
 *
 * Atomic replacement (state.json, intent.json): write a temp file completely,
 * fsync it (state.json), rename it over the target. A failed write (ENOSPC,
 * EDQUOT, EIO) removes its temp file and leaves the target as it was; temp
 * files a killed run left are swept by the next run that holds the lock
 * (sweepTemps). A Reservation takes the disk space of a write before the work
 * that leads to it, so the write cannot later fail for want of space.
 */
import { basename, dirname, join } from './paths.js';
import { CnmError } from './errors.js';
import { SYS, type Syscalls, syscalls } from './libc.js';
import { fromUtf8, utf8 } from './utf8.js';

type NodeFs = typeof import('node:fs');
let nodeFs: NodeFs | undefined;
/** node:fs, where there is no syscall(2) (Node, or an architecture without a table in libc.ts). */
function node(): NodeFs {
  return (nodeFs ??= process.getBuiltinModule('node:fs') as NodeFs);
}

/** The open(2) flags cnm uses (the same on every Linux architecture it builds for). */
export const constants = { O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000, O_NONBLOCK: 0o4000 } as const;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const STATX_BASIC_STATS = 0x7ff;
const EINTR = 4;
const ENOENT = 2;
const EEXIST = 17;
const ENOSYS = 38;
const EOPNOTSUPP = 95;

/** libuv's words for an errno, as node:fs (and Bun's) put them in a message. */
const ERRNO: Record<number, [code: string, text: string]> = {
  1: ['EPERM', 'operation not permitted'], 2: ['ENOENT', 'no such file or directory'], 3: ['ESRCH', 'no such process'],
  4: ['EINTR', 'interrupted system call'], 5: ['EIO', 'i/o error'], 6: ['ENXIO', 'no such device or address'],
  9: ['EBADF', 'bad file descriptor'], 11: ['EAGAIN', 'resource temporarily unavailable'], 12: ['ENOMEM', 'not enough memory'],
  13: ['EACCES', 'permission denied'], 14: ['EFAULT', 'bad address in system call argument'], 16: ['EBUSY', 'resource busy or locked'],
  17: ['EEXIST', 'file already exists'], 18: ['EXDEV', 'cross-device link not permitted'], 19: ['ENODEV', 'no such device'],
  20: ['ENOTDIR', 'not a directory'], 21: ['EISDIR', 'illegal operation on a directory'], 22: ['EINVAL', 'invalid argument'],
  23: ['ENFILE', 'file table overflow'], 24: ['EMFILE', 'too many open files'], 26: ['ETXTBSY', 'text file is busy'],
  27: ['EFBIG', 'file too large'], 28: ['ENOSPC', 'no space left on device'], 29: ['ESPIPE', 'invalid seek'],
  30: ['EROFS', 'read-only file system'], 31: ['EMLINK', 'too many links'], 32: ['EPIPE', 'broken pipe'],
  36: ['ENAMETOOLONG', 'name too long'], 38: ['ENOSYS', 'function not implemented'], 39: ['ENOTEMPTY', 'directory not empty'],
  40: ['ELOOP', 'too many symbolic links encountered'], 95: ['ENOTSUP', 'operation not supported on socket'],
  122: ['EDQUOT', 'disk quota exceeded'],
};

/** The error node:fs throws for a failed call: `CODE: text, syscall 'path' -> 'dest'`, with code, errno, syscall, path. */
function fsError(errno: number, syscall: string, path?: string, dest?: string): NodeJS.ErrnoException {
  const [code, text] = ERRNO[errno] ?? ['UNKNOWN', `unknown error ${errno}`];
  const where = path === undefined ? '' : dest === undefined ? ` '${path}'` : ` '${path}' -> '${dest}'`;
  const e: NodeJS.ErrnoException & { dest?: string } = Object.assign(new Error(`${code}: ${text}, ${syscall}${where}`), { code, errno: -errno, syscall });
  if (path !== undefined) e.path = path;
  if (dest !== undefined) e.dest = dest;
  return e;
}

/*
 * The calls below are made dozens of times a run, and JavaScriptCore compiles a JavaScript
 * function on a JIT thread (started for it, and competing for the CPU with the DNS server that
 * answers this run) once it has been called a few dozen times. So no helper of theirs is called
 * per call: syscall(2) is Bun's native function (k.raw, pointers as k.ptr(view)), the library
 * is looked up in a variable, and the errno check and the retry after EINTR are written out
 * where they are made. A plain `sandbox rm` then compiles nothing (test/e2e/core-robust.test.ts).
 */

/** syscall(2) (libc.ts), looked up once: undefined until then, null where there is none (Node). */
let K: Syscalls | null | undefined;
function loadSyscalls(): Syscalls | null {
  K = syscalls() ?? null;
  return K;
}

/** The encoder of paths: utf8() and cString() are helpers every path would call. */
let encoder: InstanceType<typeof TextEncoder> | undefined;

/**
 * Where paths are handed to the kernel: two buffers (a rename takes two paths) that the module
 * holds. A pointer from ptr() keeps nothing alive, so a C string made for one call and held only
 * by its address could be collected (by an allocation between ptr() and the call, as a rename's
 * second path is) while the kernel reads it. A longer path gets a bigger buffer, held in the slot.
 */
const pathBufs: Uint8Array[] = [];

/** node:fs's refusal of a path with a NUL byte. */
function nulInPath(path: string): TypeError {
  return Object.assign(new TypeError(`The argument 'path' must be a string without null bytes. Received ${JSON.stringify(path)}`), { code: 'ERR_INVALID_ARG_VALUE' });
}

/** The buffer of a slot, big enough for a path of `length` UTF-16 units: UTF-8 takes at most 3 bytes for each, and the NUL one more. */
function pathBuf(slot: number, length: number): Uint8Array {
  const buf = pathBufs[slot];
  if (buf !== undefined && buf.length > length * 3) return buf;
  return (pathBufs[slot] = new Uint8Array(Math.max(4096, length * 3 + 1)));
}

/** A path as the kernel takes it (a NUL-terminated C string in slot 0 or 1); node:fs refuses one with a NUL byte the same way. */
function cPath(k: Syscalls, path: string, slot = 0): number {
  if (path.includes('\0')) throw nulInPath(path);
  const buf = pathBuf(slot, path.length);
  buf[(encoder ??= new TextEncoder()).encodeInto(path, buf).written] = 0;
  return k.ptr(buf);
}

export function openSync(path: string, flags: number | 'r' | 'w', mode = 0o666): number {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().openSync(path, flags, mode);
  const f = flags === 'r' ? constants.O_RDONLY : flags === 'w' ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : flags;
  // cPath written out: an add opens some twenty paths, besides the fifteen other path calls (see above).
  if (path.includes('\0')) throw nulInPath(path);
  let buf = pathBufs[0];
  if (buf === undefined || buf.length <= path.length * 3) buf = pathBuf(0, path.length);
  buf[(encoder ??= new TextEncoder()).encodeInto(path, buf).written] = 0;
  const p = k.ptr(buf);
  let r: number;
  do r = Number(k.raw(SYS!.openat, AT_FDCWD, p, f | O_CLOEXEC, mode, 0));
  while (r < 0 && k.errno() === EINTR);
  if (r < 0) throw fsError(k.errno(), 'open', path);
  return r;
}

export function closeSync(fd: number): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().closeSync(fd);
  if (Number(k.raw(SYS!.close, fd, 0, 0, 0, 0)) < 0) throw fsError(k.errno(), 'close');
}

export function fsyncSync(fd: number): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().fsyncSync(fd);
  let r: number;
  do r = Number(k.raw(SYS!.fsync, fd, 0, 0, 0, 0));
  while (r < 0 && k.errno() === EINTR);
  if (r < 0) throw fsError(k.errno(), 'fsync');
}

/**
 * Takes `length` bytes of disk for the file at once (fallocate(2), mode 0: the size grows, the bytes read
 * as zeros), in the binary. False where that cannot be done (Node, a file system without it): the caller
 * writes the bytes instead. A full disk is ENOSPC here, as the write would be.
 */
export function allocateSync(fd: number, length: number): boolean {
  if (length <= 0) return true; // nothing to take (fallocate(2) calls a zero length invalid)
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return false;
  let r: number;
  do r = Number(k.raw(SYS!.fallocate, fd, 0, 0, length, 0));
  while (r < 0 && k.errno() === EINTR);
  if (r === 0) return true;
  if (k.errno() === EOPNOTSUPP || k.errno() === ENOSYS) return false;
  throw fsError(k.errno(), 'write');
}

export function ftruncateSync(fd: number, length: number): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().ftruncateSync(fd, length);
  let r: number;
  do r = Number(k.raw(SYS!.ftruncate, fd, length, 0, 0, 0));
  while (r < 0 && k.errno() === EINTR);
  if (r < 0) throw fsError(k.errno(), 'ftruncate');
}

/** write(2) (or pwrite(2) at a position) of bytes, or of a string's UTF-8; returns how many were written. */
export function writeSync(fd: number, data: Uint8Array | string, offset = 0, length?: number, position?: number | null): number {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return typeof data === 'string' ? node().writeSync(fd, data) : node().writeSync(fd, data, offset, length, position);
  const bytes = typeof data === 'string' ? utf8(data) : data;
  const len = length ?? bytes.length - offset;
  if (len === 0) return 0;
  const p = k.ptr(bytes.subarray(offset, offset + len));
  let r: number;
  do r = Number(position === undefined || position === null ? k.raw(SYS!.write, fd, p, len, 0, 0) : k.raw(SYS!.pwrite64, fd, p, len, position, 0));
  while (r < 0 && k.errno() === EINTR);
  if (r < 0) throw fsError(k.errno(), 'write');
  return r;
}

/** All of an open file from where it stands, as UTF-8 (`sizeHint`: its size, if known). */
function readFd(k: Syscalls, fd: number, sizeHint = 0): string {
  return fromUtf8(readFdBytes(k, fd, sizeHint));
}

/** All of an open file's bytes from where it stands. */
function readFdBytes(k: Syscalls, fd: number, sizeHint = 0): Uint8Array {
  let buf = new Uint8Array(sizeHint > 0 ? sizeHint + 1 : 16384);
  let len = 0;
  for (;;) {
    if (len === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const at = k.ptr(buf.subarray(len));
    let n: number;
    do n = Number(k.raw(SYS!.read, fd, at, buf.length - len, 0, 0));
    while (n < 0 && k.errno() === EINTR);
    if (n < 0) throw fsError(k.errno(), 'read');
    if (n === 0) break;
    len += n;
  }
  return buf.subarray(0, len);
}

/** A file's text (UTF-8), by path or by an open fd (read from where it stands). */
export function readFileSync(file: string | number, encoding: 'utf8'): string {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().readFileSync(file, encoding);
  if (typeof file === 'number') return readFd(k, file);
  const fd = openSync(file, constants.O_RDONLY);
  try {
    return readFd(k, fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a string to a file (made with `mode` if new, truncated if not), as node:fs's writeFileSync. */
export function writeFileSync(path: string, text: string, opts: { mode?: number } = {}): void {
  if (!(K !== undefined ? K : loadSyscalls())) return node().writeFileSync(path, text, opts);
  const fd = openSync(path, 'w', opts.mode ?? 0o666);
  try {
    const bytes = utf8(text);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
  } finally {
    closeSync(fd);
  }
}

/** What cnm asks of a stat: where the file lives (dev, ino) and what it is. */
export interface FileStat {
  dev: number;
  ino: number;
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

const S_IFMT = 0o170000;
/** struct statx (256 bytes), one for every call: each is read before the next is made. */
let statxBuf: Uint32Array | undefined;
/** The empty C string of an fstat (statx of AT_EMPTY_PATH). */
let emptyPath: Uint8Array | undefined;
function statx(k: Syscalls, dirfd: number, path: string, syscall: string): FileStat {
  const buf = (statxBuf ??= new Uint32Array(64));
  if (Number(k.raw(SYS!.statx, dirfd, path === '' ? k.ptr((emptyPath ??= new Uint8Array(1))) : cPath(k, path), path === '' ? AT_EMPTY_PATH : 0, STATX_BASIC_STATS, k.ptr(buf))) < 0) throw fsError(k.errno(), syscall, path === '' ? undefined : path);
  const mode = buf[7]! & 0xffff;
  const [major, minor] = [buf[34]!, buf[35]!];
  return {
    // glibc's makedev(), as node:fs reports st_dev
    dev: (major & 0xfff) * 2 ** 8 + (minor & 0xff) + (minor >>> 8) * 2 ** 20 + (major >>> 12) * 2 ** 44,
    ino: buf[8]! + buf[9]! * 2 ** 32,
    size: buf[10]! + buf[11]! * 2 ** 32,
    isFile: () => (mode & S_IFMT) === 0o100000,
    isDirectory: () => (mode & S_IFMT) === 0o040000,
  };
}

export function statSync(path: string): FileStat {
  const k = K !== undefined ? K : loadSyscalls();
  return k ? statx(k, AT_FDCWD, path, 'stat') : node().statSync(path);
}

export function fstatSync(fd: number): FileStat {
  const k = K !== undefined ? K : loadSyscalls();
  return k ? statx(k, fd, '', 'fstat') : node().fstatSync(fd);
}

export function existsSync(path: string): boolean {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().existsSync(path);
  // No error built for a missing file: most asks are for files that are not there.
  if (path.includes('\0')) return false;
  return Number(k.raw(SYS!.statx, AT_FDCWD, cPath(k, path), 0, STATX_BASIC_STATS, k.ptr((statxBuf ??= new Uint32Array(64))))) === 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `mkdir -p`: the first directory it made, or undefined if there was nothing to make (node:fs's recursive mkdirSync). */
export function mkdirSync(path: string, opts: { recursive: true; mode?: number }): string | undefined {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().mkdirSync(path, opts);
  const mode = opts.mode ?? 0o777;
  const make = (): number => Number(k.raw(SYS!.mkdirat, AT_FDCWD, cPath(k, path), mode, 0, 0));
  if (make() === 0) return path;
  let errno = k.errno();
  let first: string | undefined;
  if (errno === ENOENT && dirname(path) !== path) {
    first = mkdirSync(dirname(path), opts);
    if (make() === 0) return first ?? path;
    errno = k.errno();
  }
  if (errno === EEXIST && isDirectory(path)) return first;
  throw fsError(errno, 'mkdir', path);
}

export function unlinkSync(path: string): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().unlinkSync(path);
  if (Number(k.raw(SYS!.unlinkat, AT_FDCWD, cPath(k, path), 0, 0, 0)) < 0) throw fsError(k.errno(), 'unlink', path);
}

export function rmdirSync(path: string): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().rmdirSync(path);
  if (Number(k.raw(SYS!.unlinkat, AT_FDCWD, cPath(k, path), AT_REMOVEDIR, 0, 0)) < 0) throw fsError(k.errno(), 'rmdir', path);
}

/** Removes a file, if there is one (`rm -f`; not for directories). */
export function rmFileSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function chmodSync(path: string, mode: number): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().chmodSync(path, mode);
  if (Number(k.raw(SYS!.fchmodat, AT_FDCWD, cPath(k, path), mode, 0, 0)) < 0) throw fsError(k.errno(), 'chmod', path);
}

export function renameSync(from: string, to: string): void {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().renameSync(from, to);
  if (Number(k.raw(SYS!.renameat2, AT_FDCWD, cPath(k, from), AT_FDCWD, cPath(k, to, 1), 0)) < 0) throw fsError(k.errno(), 'rename', from, to);
}

export function readlinkSync(path: string): string {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().readlinkSync(path, 'utf8');
  const buf = new Uint8Array(4096);
  const n = Number(k.raw(SYS!.readlinkat, AT_FDCWD, cPath(k, path), k.ptr(buf), buf.length, 0));
  if (n < 0) throw fsError(k.errno(), 'readlink', path);
  return fromUtf8(buf.subarray(0, n));
}

/** The names in a directory, but `.` and `..` (in the directory's own order: node:fs sorts them). */
export function readdirSync(path: string): string[] {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return node().readdirSync(path);
  const fd = Number(k.raw(SYS!.openat, AT_FDCWD, cPath(k, path), constants.O_RDONLY | O_CLOEXEC, 0, 0));
  if (fd < 0) throw fsError(k.errno(), 'scandir', path);
  try {
    const buf = new Uint8Array(32768);
    const at = k.ptr(buf);
    const names: string[] = [];
    for (;;) {
      const n = Number(k.raw(SYS!.getdents64, fd, at, buf.length, 0, 0));
      if (n < 0) throw fsError(k.errno(), 'scandir', path);
      if (n === 0) return names;
      // struct linux_dirent64: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), d_name (NUL-terminated)
      for (let off = 0; off < n; ) {
        const reclen = buf[off + 16]! | (buf[off + 17]! << 8);
        const end = buf.indexOf(0, off + 19);
        const name = fromUtf8(buf.subarray(off + 19, end));
        if (name !== '.' && name !== '..') names.push(name);
        off += reclen;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** flock(2), or undefined where there is none (Node: the lock takes its pid file instead). */
export function flock(): ((fd: number, op: number) => number) | undefined {
  const k = K !== undefined ? K : loadSyscalls();
  if (!k) return undefined;
  return (fd, op) => {
    let r: number;
    do r = Number(k.raw(SYS!.flock, fd, op, 0, 0, 0));
    while (r < 0 && k.errno() === EINTR);
    return r;
  };
}

/** The temp file a process writes `path` through. */
function tempOf(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** writeSync may write less than asked (a disk filling up): loop until all is written or it throws. */
function writeAll(fd: number, buf: Uint8Array, position?: number): void {
  for (let off = 0; off < buf.length; ) {
    const n = writeSync(fd, buf, off, buf.length - off, position === undefined ? null : position + off);
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    off += n;
  }
}

function fsyncDir(path: string): void {
  const dfd = openSync(dirname(path), constants.O_RDONLY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * Disk space held for a later replacement of `path`: its temp file, filled
 * with `bytes` of padding. write() overwrites the padding (no new blocks
 * needed up to that size), trims it and renames it into place; release()
 * gives the space back unused.
 */
export class Reservation {
  private fd: number | undefined;
  private readonly tmp: string;

  constructor(readonly path: string, bytes: number) {
    this.tmp = tempOf(path);
    try {
      this.fd = openSync(this.tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
      // fallocate where it can (no 600 KB buffer to fill and write for a state of 1,000 sandboxes).
      if (!allocateSync(this.fd, bytes)) writeAll(this.fd, new Uint8Array(bytes).fill(0x20), 0);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /**
   * Replaces the file with `content` (a string is written as UTF-8; parts one
   * after another). `written` is handed the new file's bytes (mapped) once
   * they are on disk and before they replace the file.
   */
  write(content: string | Uint8Array | readonly Uint8Array[], written?: (bytes: Uint8Array) => void): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`reservation for ${this.path} already used`);
    try {
      let size = 0;
      if (typeof content === 'string' || content instanceof Uint8Array) {
        const buf = typeof content === 'string' ? utf8(content) : content;
        writeAll(fd, buf, 0);
        size = buf.length;
      } else {
        for (let i = 0; i < content.length; i++) {
          writeAll(fd, content[i]!, size);
          size += content[i]!.length;
        }
      }
      ftruncateSync(fd, size);
      fsyncSync(fd);
      if (written) written(mapRegularBytes(this.tmp));
      closeSync(fd);
      this.fd = undefined;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.release();
      throw e;
    }
    fsyncDir(this.path);
  }

  release(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    removeQuietly(this.tmp);
  }
}

/** Replaces `path` with `text` (temp file, rename; no fsync): all or nothing, and no temp file left on failure. */
export function replaceFile(path: string, text: string): void {
  const tmp = tempOf(path);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      writeAll(fd, utf8(text));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* never made, or already gone */
  }
}

/**
 * Removes temp files of the given targets (`state.json.tmp-PID`) that killed
 * runs left in `dir`. Call it only under the state lock: every writer holds
 * it, so any temp file found then is a dead run's.
 */
export function sweepTemps(dir: string, targets: readonly string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const prefixes = targets.map((t) => `${basename(t)}.tmp-`);
  for (const name of names) if (prefixes.some((p) => name.startsWith(p))) removeQuietly(join(dir, name));
}

/**
 * Reads a file that must be a regular one. It is opened without blocking and
 * checked before any read: a FIFO (or a device, a socket) at state.json would
 * otherwise hang the run while it holds the lock.
 */
export function readRegular(path: string): string {
  return fromUtf8(readRegularBytes(path));
}

/** readRegular's bytes. */
export function readRegularBytes(path: string): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CnmError(`${path} is not a regular file; cnm will not touch it: move it away`);
    const k = K !== undefined ? K : loadSyscalls();
    return k ? readFdBytes(k, fd, st.size) : new Uint8Array(node().readFileSync(fd));
  } finally {
    closeSync(fd);
  }
}

type Mmap = (path: string, opts: { shared: boolean }) => Uint8Array;

/**
 * readRegularBytes, but the bytes of a non-empty regular file are its pages
 * mapped (Bun's mmap, private: a write to them never reaches the file), not
 * a copy: reading 570 KB (a state of 1,000 sandboxes) into a fresh buffer
 * faulted in its ~140 pages (~0.5 ms), a mapping of the page cache takes a
 * few faults. Anything that does not map (under Node, an empty file, a FIFO,
 * a missing file) is read, and fails, as readRegularBytes does. For a file
 * only ever replaced by a rename while it is mapped (state.json): one cut
 * short in place under the mapping would fault (SIGBUS) where read past.
 */
export function mapRegularBytes(path: string): Uint8Array {
  const mmap = (globalThis as { Bun?: { mmap?: Mmap } }).Bun?.mmap;
  if (mmap !== undefined) {
    try {
      return mmap(path, { shared: false });
    } catch {
      /* read instead: its error is the one to report */
    }
  }
  return readRegularBytes(path);
}
