/**
 * Processes inside network namespaces, found through /proc (no process spawned).
 *
 * A namespace's processes are those whose /proc/PID/ns/net links to it
 * (`net:[INO]`, INO the namespace file's inode): every process in /proc is
 * asked, so the scan grows with the host's process count (each entry is one
 * readlink, the kernel's part of it a few µs), and one scan answers for any
 * number of namespaces. In the binary it is one loop of syscalls on a /proc
 * descriptor (getdents64, then readlinkat of `PID/ns/net` relative to it) into
 * buffers made once, reading the inode from the link's bytes: no string,
 * regex or path built per process. Under Node it is readdir and readlink;
 * both give the same PIDs (test/e2e/processes.test.ts).
 */
import { readdirSync, readlinkSync, statSync } from './files.js';
import { SYS, type Syscalls, syscalls } from './libc.js';
import { utf8 } from './utf8.js';

/**
 * PIDs of the processes living in the namespace mounted at each of nsFiles
 * (this process excluded), in their order, from one scan of /proc (none when
 * no file is a namespace).
 */
export function processesInEach(nsFiles: readonly string[]): number[][] {
  const found = nsFiles.map((): number[] => []);
  const byIno = new Map<number, number[][]>(); // a namespace's inode -> the lists of the files that are it
  for (const [i, file] of nsFiles.entries()) {
    let ino: number;
    try {
      ino = statSync(file).ino;
    } catch {
      continue;
    }
    byIno.set(ino, [...(byIno.get(ino) ?? []), found[i]!]);
  }
  if (byIno.size === 0) return found;
  const add = (pid: number, ino: number) => {
    for (const pids of byIno.get(ino) ?? []) pids.push(pid);
  };
  const k = syscalls();
  if (k) scanProc(k, add);
  else scanProcPortably(add);
  return found;
}

/** readdir and readlink, one path and string per process (Node, or no syscall table). */
function scanProcPortably(add: (pid: number, ino: number) => void): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const link = /^net:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/ns/net`));
      if (link) add(Number(entry), Number(link[1]));
    } catch {
      /* exited or not ours to read */
    }
  }
}

const O_RDONLY_DIRECTORY_CLOEXEC = 0o2000000 | 0o200000;
const AT_FDCWD = -100;
const NS_NET = utf8('/ns/net\0');
const NET = utf8('net:[');

/**
 * The same scan as syscalls on one /proc descriptor. A namespace's inode is
 * 32 bits (the kernel's ns_common.inum), so its digits read as a number are
 * exact. A /proc it cannot open or read throws, as readdir does.
 */
function scanProc(k: Syscalls, add: (pid: number, ino: number) => void): void {
  const sys = SYS!;
  // Bun's native syscall(2) (k.raw), not the call() wrapper: one call a process would have the
  // engine compile the wrapper on a JIT thread (libc.ts).
  const dir = Number(k.raw(sys.openat, AT_FDCWD, k.ptr(utf8('/proc\0')), O_RDONLY_DIRECTORY_CLOEXEC, 0, 0));
  if (dir < 0) throw new Error(`cannot open /proc (errno ${k.errno()})`);
  const ents = new Uint8Array(32768);
  // `PID/ns/net\0`: a PID has at most 10 digits (pid_max is at most 2^22).
  const path = new Uint8Array(10 + NS_NET.length);
  const link = new Uint8Array(32); // `net:[` + at most 20 digits + `]`
  const [entsAt, pathAt, linkAt] = [k.ptr(ents), k.ptr(path), k.ptr(link)];
  try {
    for (;;) {
      const n = Number(k.raw(sys.getdents64, dir, entsAt, ents.length, 0, 0));
      if (n === 0) break;
      if (n < 0) throw new Error(`cannot read /proc (errno ${k.errno()})`);
      // struct linux_dirent64: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), d_name (NUL-terminated)
      for (let off = 0; off < n; off += ents[off + 16]! | (ents[off + 17]! << 8)) {
        let pid = 0;
        let i = off + 19;
        for (; ents[i]! >= 0x30 && ents[i]! <= 0x39 && i - off - 19 < 10; i++) pid = pid * 10 + ents[i]! - 0x30;
        const len = i - off - 19;
        if (len === 0 || ents[i] !== 0 || pid === process.pid) continue; // not a PID: self, net, sys, ...
        path.set(ents.subarray(off + 19, i));
        path.set(NS_NET, len);
        const size = Number(k.raw(sys.readlinkat, dir, pathAt, linkAt, link.length, 0));
        if (size < NET.length + 2 || link[size - 1] !== 0x5d) continue; // exited, not ours to read, or not `net:[...]`
        let ino = 0;
        let j = 0;
        for (; j < NET.length && link[j] === NET[j]; j++);
        if (j < NET.length) continue;
        for (; j < size - 1 && link[j]! >= 0x30 && link[j]! <= 0x39; j++) ino = ino * 10 + link[j]! - 0x30;
        if (j === size - 1) add(pid, ino);
      }
    }
  } finally {
    k.raw(sys.close, dir, 0, 0, 0, 0);
  }
}
