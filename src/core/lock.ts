/**
 * One exclusive lock around each read-modify-write of the state.
 * Under Bun (the shipped binary) it is a real flock(2) (core/files.ts): the
 * kernel drops it when its holder dies, so a crashed cnm never blocks anyone.
 * Under Node (unit tests, `node` runs) it is an O_EXCL pid file whose holder is
 * checked for liveness. Both poll with a short backoff and give up after a
 * timeout with a message naming the holder.
 */
import { closeSync, constants, flock, fstatSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from './files.js';
import { CnmError } from './errors.js';

export interface Lock {
  release(): void;
  /** Whether the lock file at the path is still the one held (a run that removed it leaves waiters a stale one). */
  current(): boolean;
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type FlockFn = (fd: number, op: number) => number;

export async function acquire(path: string, timeoutMs = Number(process.env.CNM_LOCK_TIMEOUT_MS ?? 120_000)): Promise<Lock> {
  const lockFn = flock();
  if (!lockFn) return acquirePidFile(path, timeoutMs);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  // Free (the usual case): taken at once, without the wait loop's async machinery.
  return lockFn(fd, LOCK_EX | LOCK_NB) === 0 ? flockHeld(lockFn, fd, path) : waitFlock(lockFn, fd, path, timeoutMs);
}

/** Polls for the flock another run holds, with a short backoff, until the timeout. */
async function waitFlock(flock: FlockFn, fd: number, path: string, timeoutMs: number): Promise<Lock> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; flock(fd, LOCK_EX | LOCK_NB) !== 0; wait = Math.min(wait * 2, 8)) {
    if (Date.now() > deadline) {
      closeSync(fd);
      throw new CnmError(`timed out waiting for the state lock ${path}; another cnm is still running`);
    }
    await sleep(wait);
  }
  return flockHeld(flock, fd, path);
}

function flockHeld(flock: FlockFn, fd: number, path: string): Lock {
  return {
    release() {
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
    current() {
      try {
        return statSync(path).ino === fstatSync(fd).ino;
      } catch {
        return false;
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquirePidFile(path: string, timeoutMs: number): Promise<Lock> {
  const file = `${path}.pid`;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 8)) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => unlinkSync(file), current: () => true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released between our open and read
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      try {
        unlinkSync(file); // the holder died: its lock dies with it
      } catch {
        /* someone else cleared it */
      }
      continue;
    }
    if (Date.now() > deadline) throw new CnmError(`timed out waiting for the state lock ${file} held by pid ${holder}`);
    await sleep(wait);
  }
}
