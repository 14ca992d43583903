/**
 * Processes inside network namespaces, found through /proc (no process spawned).
 *
 * A namespace's processes are those whose /proc/PID/ns/net links to it: every
 * process in /proc is asked, so the scan grows with the host's process count
 * (each entry is one readlink, the kernel's part of it ~1 µs). In the binary
 * the scan is one loop of syscalls on a /proc descriptor (getdents64, then
 * readlinkat of `PID/ns/net` relative to it) into buffers made once, comparing
 * bytes: no string, regex or path built per process. Under Node it is
 * readdir and readlink; both give the same PIDs (test/unit/processes.test.ts).
 */
import { readdirSync, readlinkSync, statSync } from './files.js';
import { SYS, type Syscalls, syscalls } from './libc.js';
import { utf8 } from './utf8.js';

/** PIDs of processes living in the namespace mounted at nsFile (this process excluded). */
export function processesIn(nsFile: string): number[] {
  let ino: number;
  try {
    ino = statSync(nsFile).ino;
  } catch {
    return [];
  }
  const want = `net:[${ino}]`;
  const k = syscalls();
  return k ? scanProc(k, utf8(want)) : scanProcPortably(want);
}

/** readdir and readlink, one path and string per process (Node, or no syscall table). */
export function scanProcPortably(want: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${entry}/ns/net`) === want) pids.push(Number(entry));
    } catch {
      /* exited or not ours to read */
    }
  }
  return pids;
}

const O_RDONLY_DIRECTORY_CLOEXEC = 0o2000000 | 0o200000;
const AT_FDCWD = -100;
const NS_NET = utf8('/ns/net\0');

/**
 * The same scan as syscalls on one /proc descriptor; want is the link's text
 * (`net:[INO]`) as bytes. A /proc it cannot open or read throws, as readdir does.
 */
function scanProc(k: Syscalls, want: Uint8Array): number[] {
  const sys = SYS!;
  const dir = k.call(sys.openat, AT_FDCWD, utf8('/proc\0'), O_RDONLY_DIRECTORY_CLOEXEC, 0);
  if (dir < 0) throw new Error(`cannot open /proc (errno ${k.errno()})`);
  const pids: number[] = [];
  const ents = new Uint8Array(32768);
  // `PID/ns/net\0`: a PID has at most 10 digits (pid_max is at most 2^22).
  const path = new Uint8Array(10 + NS_NET.length);
  const link = new Uint8Array(want.length + 1); // one byte more: a longer link cannot match
  try {
    for (;;) {
      const n = k.call(sys.getdents64, dir, ents, ents.length);
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
        if (k.call(sys.readlinkat, dir, path, link, link.length) !== want.length) continue; // exited, not ours, or another ns
        let same = true;
        for (let j = 0; j < want.length && same; j++) same = link[j] === want[j];
        if (same) pids.push(pid);
      }
    }
  } finally {
    k.call(sys.close, dir);
  }
  return pids;
}
