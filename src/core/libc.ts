/**
 * The platform module: the few libc calls cnm makes itself, through bun:ffi.
 * They exist only in the shipped binary (Bun); under Node (vitest, `node`
 * runs) libc() is undefined and callers take their portable way instead: the
 * lock its pid file, the executor `ip -batch`. Loaded on first use, so a
 * command that needs none of it pays nothing.
 */
import { createRequire } from 'node:module';

/** A pointer argument: bytes we own (a NUL-terminated string is a Buffer ending in 0), or NULL. */
type Ptr = Uint8Array | null;

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Ptr, len: number): number;
  connect(fd: number, addr: Ptr, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Ptr, len: number): number;
  /** len: the value's size as a 4-byte socklen_t, updated in place. */
  getsockopt(fd: number, level: number, name: number, value: Ptr, len: Ptr): number;
  sendto(fd: number, buf: Ptr, len: number, flags: number, addr: Ptr, addrLen: number): number;
  recv(fd: number, buf: Ptr, len: number, flags: number): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
  mount(source: Ptr, target: Ptr, fstype: Ptr, flags: number, data: Ptr): number;
  umount2(target: Ptr, flags: number): number;
  /** The calling thread's errno (valid right after a call that returned -1). */
  errno(): number;
  strerror(errno: number): string;
}

let loaded: Libc | null | undefined;
let flockLoaded: ((fd: number, op: number) => number) | null | undefined;

/** libc's calls for the kernel work (netlink, namespaces, mounts), or undefined where there is no Bun (or no libc.so.6). */
export function libc(): Libc | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

/**
 * flock(2) alone, for the state lock that every command takes: bun:ffi compiles a
 * trampoline per symbol when it opens a library (about 0.07 ms each), so the
 * lock does not pay for the others.
 */
export function flock(): ((fd: number, op: number) => number) | undefined {
  if (flockLoaded === undefined) {
    const ffi = bunFfi();
    try {
      const s = ffi?.dlopen('libc.so.6', { flock: { args: [ffi.FFIType.i32, ffi.FFIType.i32], returns: ffi.FFIType.i32 } }).symbols;
      flockLoaded = s ? (fd, op) => s.flock(fd, op) : null;
    } catch {
      flockLoaded = null;
    }
  }
  return flockLoaded ?? undefined;
}

function bunFfi(): typeof import('bun:ffi') | undefined {
  if (!('bun' in process.versions)) return undefined;
  return createRequire(import.meta.url)('bun:ffi') as typeof import('bun:ffi');
}

/** A path (or any string) as a NUL-terminated C string. */
export function cString(text: string): Uint8Array {
  return Buffer.from(`${text}\0`);
}

function load(): Libc | null {
  const ffi = bunFfi();
  if (!ffi) return null;
  try {
    const { dlopen, FFIType: T, read } = ffi;
    const { symbols: s } = dlopen('libc.so.6', {
      socket: { args: [T.i32, T.i32, T.i32], returns: T.i32 },
      bind: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
      connect: { args: [T.i32, T.ptr, T.u32], returns: T.i32 },
      setsockopt: { args: [T.i32, T.i32, T.i32, T.ptr, T.u32], returns: T.i32 },
      getsockopt: { args: [T.i32, T.i32, T.i32, T.ptr, T.ptr], returns: T.i32 },
      sendto: { args: [T.i32, T.ptr, T.u64, T.i32, T.ptr, T.u32], returns: T.i64_fast },
      recv: { args: [T.i32, T.ptr, T.u64, T.i32], returns: T.i64_fast },
      close: { args: [T.i32], returns: T.i32 },
      setns: { args: [T.i32, T.i32], returns: T.i32 },
      unshare: { args: [T.i32], returns: T.i32 },
      mount: { args: [T.ptr, T.ptr, T.ptr, T.u64, T.ptr], returns: T.i32 },
      umount2: { args: [T.ptr, T.i32], returns: T.i32 },
      __errno_location: { args: [], returns: T.ptr },
      strerror: { args: [T.i32], returns: T.cstring },
    });
    return {
      socket: (d, t, p) => s.socket(d, t, p),
      bind: (fd, addr, len) => s.bind(fd, addr, len),
      connect: (fd, addr, len) => s.connect(fd, addr, len),
      setsockopt: (fd, level, name, value, len) => s.setsockopt(fd, level, name, value, len),
      getsockopt: (fd, level, name, value, len) => s.getsockopt(fd, level, name, value, len),
      sendto: (fd, buf, len, flags, addr, addrLen) => Number(s.sendto(fd, buf, len, flags, addr, addrLen)),
      recv: (fd, buf, len, flags) => Number(s.recv(fd, buf, len, flags)),
      close: (fd) => s.close(fd),
      setns: (fd, type) => s.setns(fd, type),
      unshare: (flags) => s.unshare(flags),
      mount: (src, target, fstype, flags, data) => s.mount(src, target, fstype, flags, data),
      umount2: (target, flags) => s.umount2(target, flags),
      errno: () => read.i32(s.__errno_location(), 0),
      strerror: (errno) => String(s.strerror(errno)),
    };
  } catch {
    return null;
  }
}
