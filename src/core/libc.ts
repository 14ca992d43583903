/**
 * The platform module: the few libc calls cnm makes itself, through Bun's
 * FFI (see ffi()). They exist only in the shipped binary (Bun); under Node (vitest, `node`
 * runs) libc() is undefined and callers take their portable way instead: the
 * lock its pid file, the executor `ip -batch`. Loaded on first use, so a
 * command that needs none of it pays nothing. The file calls (./files.ts) go
 * through syscall(2) itself (syscalls()).
 */
import { utf8 } from './utf8.js';

/** A pointer argument: bytes we own (a NUL-terminated string ends in 0: cString), or NULL. */
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

type Arg = number | Uint8Array | Uint32Array;
/** A C type by its bun:ffi name (the same names for bun:ffi and for its native object). */
type CType = 'i32' | 'u32' | 'i64' | 'u64' | 'i64_fast' | 'ptr' | 'cstring';
type Fn = (...args: (Arg | null)[]) => unknown;

/** What cnm uses of Bun's FFI: bun:ffi's own calls, or the native object bun:ffi wraps (see ffi()). */
export interface Ffi {
  dlopen(path: string, symbols: Record<string, { args: CType[]; returns: CType }>): { symbols: Record<string, Fn> } | Error;
  /** The address of a typed array's bytes (valid while the array lives). */
  ptr(view: ArrayBufferView): number;
  read: { i32(address: number, offset: number): number };
}

/**
 * Bun's FFI: the native object bun:ffi itself is built on (`Bun.FFI`) where
 * this Bun has it, else bun:ffi; undefined under Node. Loading bun:ffi
 * evaluates its module and compiles a JavaScript argument wrapper (new
 * Function) per symbol bound: ~0.45 ms of start-up before the state lock,
 * more than the file calls themselves. The native calls take their arguments
 * as they come, so callers pass exactly what each C type wants: numbers
 * (int32 arguments as `x | 0`), typed arrays or null for pointers, every
 * argument every time; the same calls are right through bun:ffi's wrappers.
 */
export function ffi(): Ffi | undefined {
  // Bun's object before process.versions: reading that costs Bun ~0.03 ms of start-up.
  const native = (globalThis as { Bun?: { FFI?: Partial<Ffi> } }).Bun?.FFI;
  if (typeof native?.dlopen === 'function' && typeof native.ptr === 'function' && typeof native.read?.i32 === 'function') return native as Ffi;
  if (!('bun' in process.versions)) return undefined;
  // Not node:module's createRequire: importing it costs Bun start-up time.
  return (process.getBuiltinModule as (id: string) => unknown)('bun:ffi') as Ffi;
}

/** libc.so.6's symbols through ffi(); throws what dlopen refused. */
function openLibc(f: Ffi, symbols: Record<string, { args: CType[]; returns: CType }>): Record<string, Fn> {
  const lib = f.dlopen('libc.so.6', symbols);
  if (lib instanceof Error) throw lib; // the native dlopen returns its error
  return lib.symbols;
}

/** A path (or any string) as a NUL-terminated C string. */
export function cString(text: string): Uint8Array {
  return utf8(`${text}\0`);
}

function load(): Libc | null {
  const f = ffi();
  if (!f) return null;
  try {
    const s = openLibc(f, {
      socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
      bind: { args: ['i32', 'ptr', 'u32'], returns: 'i32' },
      connect: { args: ['i32', 'ptr', 'u32'], returns: 'i32' },
      setsockopt: { args: ['i32', 'i32', 'i32', 'ptr', 'u32'], returns: 'i32' },
      getsockopt: { args: ['i32', 'i32', 'i32', 'ptr', 'ptr'], returns: 'i32' },
      sendto: { args: ['i32', 'ptr', 'u64', 'i32', 'ptr', 'u32'], returns: 'i64_fast' },
      recv: { args: ['i32', 'ptr', 'u64', 'i32'], returns: 'i64_fast' },
      close: { args: ['i32'], returns: 'i32' },
      setns: { args: ['i32', 'i32'], returns: 'i32' },
      unshare: { args: ['i32'], returns: 'i32' },
      mount: { args: ['ptr', 'ptr', 'ptr', 'u64', 'ptr'], returns: 'i32' },
      umount2: { args: ['ptr', 'i32'], returns: 'i32' },
      __errno_location: { args: [], returns: 'ptr' },
      strerror: { args: ['i32'], returns: 'cstring' },
    });
    const { socket, bind, connect, setsockopt, getsockopt, sendto, recv, close, setns, unshare, mount, umount2, __errno_location, strerror } = s;
    // u32 lengths as int32 bits (`| 0`), as bun:ffi's own wrapper passes them; u64 ones as plain numbers.
    return {
      socket: (d, t, p) => socket!(d | 0, t | 0, p | 0) as number,
      bind: (fd, addr, len) => bind!(fd | 0, addr, len | 0) as number,
      connect: (fd, addr, len) => connect!(fd | 0, addr, len | 0) as number,
      setsockopt: (fd, level, name, value, len) => setsockopt!(fd | 0, level | 0, name | 0, value, len | 0) as number,
      getsockopt: (fd, level, name, value, len) => getsockopt!(fd | 0, level | 0, name | 0, value, len) as number,
      sendto: (fd, buf, len, flags, addr, addrLen) => Number(sendto!(fd | 0, buf, len, flags | 0, addr, addrLen | 0)),
      recv: (fd, buf, len, flags) => Number(recv!(fd | 0, buf, len, flags | 0)),
      close: (fd) => close!(fd | 0) as number,
      setns: (fd, type) => setns!(fd | 0, type | 0) as number,
      unshare: (flags) => unshare!(flags | 0) as number,
      mount: (src, target, fstype, flags, data) => mount!(src, target, fstype, flags, data) as number,
      umount2: (target, flags) => umount2!(target, flags | 0) as number,
      errno: () => f.read.i32(__errno_location!() as number, 0),
      strerror: (errno) => String(strerror!(errno | 0)),
    };
  } catch {
    return null;
  }
}

/** syscall(2) and errno: the file calls of ./files.ts, by number (SYS). */
export interface Syscalls {
  /** The call's result, or -1 with errno() set. */
  call(nr: number, a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg): number;
  /**
   * syscall(2) itself, Bun's native function: six numbers (a pointer as ptr(view)), its result
   * a number (a BigInt only past 2^53). For calls made dozens of times a run (./files.ts, the
   * /proc scan): JavaScriptCore compiles a JavaScript function on a JIT thread, started for it,
   * once it has been called a few dozen times, as call() is by then; a native one it never does.
   */
  raw(nr: number, a: number, b: number, c: number, d: number, e: number): number | bigint;
  /** The address of a typed array's bytes (Bun's native ptr()). */
  ptr(view: ArrayBufferView): number;
  errno(): number;
}

/** The numbers of the calls ./files.ts makes (and capget, for the control socket's peer check), per architecture (x86-64's own table; arm64's is asm-generic). */
const SYS_TABLES = {
  x64: { read: 0, write: 1, close: 3, pwrite64: 18, flock: 73, fsync: 74, ftruncate: 77, getdents64: 217, openat: 257, mkdirat: 258, unlinkat: 263, readlinkat: 267, renameat2: 316, statx: 332, fchmodat: 268, fallocate: 285, capget: 125 },
  arm64: { read: 63, write: 64, close: 57, pwrite64: 68, flock: 32, fsync: 82, ftruncate: 46, getdents64: 61, openat: 56, mkdirat: 34, unlinkat: 35, readlinkat: 78, renameat2: 276, statx: 291, fchmodat: 53, fallocate: 47, capget: 90 },
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
  const f = ffi();
  if (!f) return null;
  try {
    const s = openLibc(f, {
      syscall: { args: ['i64', 'i64', 'i64', 'i64', 'i64', 'i64'], returns: 'i64_fast' },
      __errno_location: { args: [], returns: 'ptr' },
    });
    const { syscall, __errno_location } = s;
    // Each argument converted in place, not by a helper called five times a call: JavaScriptCore
    // compiles a function on a JIT thread (started for it) once it has been called a few dozen
    // times, which such a helper was by the state lock.
    return {
      call: (nr, x, y, z, u, v) =>
        Number(
          syscall!(
            nr,
            x === undefined ? 0 : typeof x === 'number' ? x : f.ptr(x),
            y === undefined ? 0 : typeof y === 'number' ? y : f.ptr(y),
            z === undefined ? 0 : typeof z === 'number' ? z : f.ptr(z),
            u === undefined ? 0 : typeof u === 'number' ? u : f.ptr(u),
            v === undefined ? 0 : typeof v === 'number' ? v : f.ptr(v),
          ),
        ),
      raw: syscall as Syscalls['raw'],
      ptr: f.ptr,
      errno: () => f.read.i32(__errno_location!() as number, 0),
    };
  } catch {
    return null;
  }
}
