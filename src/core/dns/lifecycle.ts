/**
 * The DNS server's life with no daemon manager: a pid file in the run dir
 * (written only under the start lock, so concurrent starts leave exactly one
 * server), an addresses file saying where it listens, a detached start from
 * the command that made the first DNS endpoint, and stop. Light on purpose:
 * `sandbox add` loads this module, and when the server already runs it costs
 * two small file reads and a kill(pid, 0).
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, unlinkSync, writeFileSync } from '../files.js';
import { shellWord } from '../exec/sh.js';
import { withoutTestHooks } from '../faults.js';
import { acquire } from '../lock.js';
import { RUN_DIR, dnsRunFile } from '../paths.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Whether pid is alive and is a cnm DNS server (not a recycled pid). */
function isServer(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return readOr(`/proc/${pid}/cmdline`).includes('\0dns\0serve');
}

/** The running server's pid, if any. */
export function serverPid(): number | undefined {
  const pid = Number(readOr(dnsRunFile('pid')).trim());
  return isServer(pid) ? pid : undefined;
}

/** The addresses the running server listens on. */
export function servedAddrs(): string[] {
  return readOr(dnsRunFile('addrs')).split('\n').filter(Boolean);
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, path);
}

export function writeAddrs(addrs: readonly string[]): void {
  writeAtomic(dnsRunFile('addrs'), addrs.map((a) => `${a}\n`).join(''));
}

/** Makes this process the server, unless another is running (then its pid). */
export async function claim(): Promise<{ ok: true } | { ok: false; pid: number }> {
  mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
  const lock = await acquire(dnsRunFile('lock'), 10_000);
  try {
    const other = serverPid();
    if (other !== undefined && other !== process.pid) return { ok: false, pid: other };
    // A server that died without unclaiming (SIGKILL) left the addresses it listened on: gone before
    // our pid is there, or ensureServer would take this server for listening before it binds.
    if (other === undefined) removeQuietly(dnsRunFile('addrs'));
    writeAtomic(dnsRunFile('pid'), `${process.pid}\n`);
    return { ok: true };
  } finally {
    lock.release();
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Gives up the pid file (when it is ours) and the addresses file. */
export async function unclaim(): Promise<void> {
  const lock = await acquire(dnsRunFile('lock'), 10_000);
  try {
    if (Number(readOr(dnsRunFile('pid')).trim()) !== process.pid) return;
    for (const f of [dnsRunFile('pid'), dnsRunFile('addrs')]) removeQuietly(f);
  } finally {
    lock.release();
  }
}

/** Whether this process can start the server: only the compiled binary can run itself (not node, not `bun src/main.ts`). */
function canSpawnSelf(): boolean {
  if (process.env.CNM_DNS_AUTOSTART === '0') return false;
  // Bun's global rather than process.versions, which costs Bun ~0.03 ms to build.
  return 'Bun' in globalThis && !/\/(bun|node)$/.test(process.execPath);
}

/** The server as ensureServer starts it (detached, its reports to dns.log). */
const serverArgv = (stateDir: string) => [process.execPath, 'dns', 'serve', '--idle-exit', '--state-dir', stateDir];

/** Whether the running server (pid) listens on all these gateways. */
function covers(gateways: readonly string[]): boolean {
  const have = new Set(servedAddrs());
  return gateways.every((g) => have.has(g));
}

/**
 * What ensureServer would do, as shell (for --dry-run): start the server when
 * none runs, wake the running one when it does not listen on these gateways
 * yet, nothing when it does.
 */
export function ensureServerShell(stateDir: string, gateways: readonly string[]): string[] {
  if (gateways.length === 0 || !canSpawnSelf()) return [];
  const pid = serverPid();
  if (pid !== undefined) return covers(gateways) ? [] : [`kill -HUP ${pid}`];
  const argv = serverArgv(stateDir).map(shellWord).join(' ');
  return [`mkdir -p ${shellWord(RUN_DIR)}`, `(cd / && setsid -f ${argv} </dev/null >/dev/null 2>${shellWord(dnsRunFile('log'))})`];
}

/**
 * After a sandbox joined DNS networks: makes sure a server runs and listens
 * on their gateways, starting one detached when none runs. Returns a warning
 * when it could not (the join itself stands: DNS is a service on top).
 */
export async function ensureServer(stateDir: string, gateways: readonly string[]): Promise<string | undefined> {
  if (gateways.length === 0 || !canSpawnSelf()) return undefined;
  const covered = () => covers(gateways);
  let pid = serverPid();
  if (pid !== undefined && covered()) return undefined; // the common case: nothing to do
  if (pid === undefined) {
    // Its reports (socket errors, refused connections: rate-limited) go to dns.log, new for each server.
    mkdirSync(RUN_DIR, { recursive: true, mode: 0o755 });
    const log = openSync(dnsRunFile('log'), 'w', 0o644);
    try {
      // Loaded here, not at the top: node:child_process costs every `sandbox add` ~1 ms of Bun's start-up.
      const { spawn } = await import('node:child_process');
      const [exe, ...args] = serverArgv(stateDir);
      const child = spawn(exe!, args, { detached: true, stdio: ['ignore', 'ignore', log], cwd: '/', env: withoutTestHooks(process.env) });
      child.on('error', () => {});
      child.unref();
    } finally {
      closeSync(log);
    }
  } else {
    try {
      process.kill(pid, 'SIGHUP'); // a new network: re-read the state now rather than at the next tick
    } catch {
      /* it just exited: the next loop sees that */
    }
  }
  for (let i = 0; i < 300; i++) {
    await sleep(i < 20 ? 2 : 10);
    pid = serverPid();
    if (pid !== undefined && covered()) return undefined;
  }
  return `the DNS server did not come up on ${gateways.join(', ')}; run 'cnm dns status' or 'cnm dns serve' to see why`;
}

/** Stops the running server; its pid, or undefined when none ran. */
export async function stopServer(): Promise<number | undefined> {
  const pid = serverPid();
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return pid;
  }
  for (let i = 0; i < 300 && isServer(pid); i++) await sleep(10);
  if (isServer(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone at last */
    }
  }
  return pid;
}

function nsOf(pid: number | 'self', kind: 'mnt'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/**
 * Whether this server is the last process of a mount namespace that is not
 * the machine's: the throwaway world it was started in (an `unshare` script, a
 * test host) has ended, and nobody can reach its state any more. Free on a
 * normal host (pid 1 shares our mount namespace); a /proc scan otherwise.
 */
export function orphaned(): boolean {
  const mine = nsOf('self', 'mnt');
  if (!mine || nsOf(1, 'mnt') === mine) return false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (nsOf(Number(entry), 'mnt') === mine) return false;
  }
  return true;
}
