/** Processes inside network namespaces, found through /proc (no process spawned). */
import { readdirSync, readlinkSync, statSync } from './files.js';

/** PIDs of processes living in the namespace mounted at nsFile (this process excluded). */
export function processesIn(nsFile: string): number[] {
  let ino: number;
  try {
    ino = statSync(nsFile).ino;
  } catch {
    return [];
  }
  const want = `net:[${ino}]`;
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
