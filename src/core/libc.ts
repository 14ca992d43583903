/**
 * The platform module: the few libc calls cnm makes itself, through bun:ffi.
 * They exist only in the shipped binary (Bun); under Node (vitest, `node`
 * runs) libc() is undefined and callers take their portable way instead: the
 * lock its pid file, the executor `ip -batch`. Loaded on first use, so a
 * command that needs none of it pays nothing. The file calls (./files.ts) go
 * through syscall(2) itself (syscalls()).
 */
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

/** libc's calls for the kernel work (netlink, namespaces, mounts), or undefined where there is no Bun (or no libc.so.6). */
export function libc(): Libc | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function bunFfi(): typeof import('bun:ffi') | undefined {
  if (!('bun' in process.versions)) return undefined;
  // Not node:module's createRequire: importing it costs Bun start-up time.
  return (process.getBuiltinModule as (id: string) => unknown)('bun:ffi') as typeof import('bun:ffi');
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

/** A syscall argument: a number, or memory we own (passed as its address). */
type Arg = number | Uint8Array | Uint32Array;

/** syscall(2) and errno: the file calls of ./files.ts, by number (SYS). */
export interface Syscalls {
  /** The call's result, or -1 with errno() set. */
  call(nr: number, a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg): number;
  errno(): number;
}

/** The numbers of the calls ./files.ts makes, per architecture (x86-64's own table; arm64's is asm-generic). */
const SYS_TABLES = {
  x64: { read: 0, write: 1, close: 3, pwrite64: 18, flock: 73, fsync: 74, ftruncate: 77, getdents64: 217, openat: 257, mkdirat: 258, unlinkat: 263, readlinkat: 267, renameat2: 316, statx: 332, fchmodat: 268, fallocate: 285 },
  arm64: { read: 63, write: 64, close: 57, pwrite64: 68, flock: 32, fsync: 82, ftruncate: 46, getdents64: 61, openat: 56, mkdirat: 34, unlinkat: 35, readlinkat: 78, renameat2: 276, statx: 291, fchmodat: 53, fallocate: 47 },
} as const;
export type SysName = keyof (typeof SYS_TABLES)['x64'];
export const SYS: Readonly<Record<SysName, number>> | undefined = (SYS_TABLES as Record<string, Record<SysName, number>>)[process.arch];

let sysLoaded: Syscalls | null | undefined;

/**
 * syscall(2) itself, or undefined under Node or on an architecture without a
 * table: every file call is one symbol (bun:ffi compiles a trampoline per
 * symbol bound), cheaper for cnm's start-up than loading node:fs.
 */
export function syscalls(): Syscalls | undefined {
  if (sysLoaded === undefined) sysLoaded = SYS ? loadSyscalls() : null;
  return sysLoaded ?? undefined;
}

function loadSyscalls(): Syscalls | null {
  const ffi = bunFfi();
  if (!ffi) return null;
  try {
    const { dlopen, FFIType: T, ptr, read } = ffi;
    const { symbols: s } = dlopen('libc.so.6', {
      syscall: { args: [T.i64, T.i64, T.i64, T.i64, T.i64, T.i64], returns: T.i64_fast },
      __errno_location: { args: [], returns: T.ptr },
    });
    const a = (x: Arg | undefined): number => (x === undefined ? 0 : typeof x === 'number' ? x : ptr(x));
    return {
      call: (nr, x, y, z, u, v) => Number(s.syscall(nr, a(x), a(y), a(z), a(u), a(v))),
      errno: () => read.i32(s.__errno_location()!, 0),
    };
  } catch {
    return null;
  }
}
