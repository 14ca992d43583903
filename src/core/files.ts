/**
 * Atomic file replacement for the state dir (state.json, intent.json): write a
 * temp file completely, fsync it (state.json), rename it over the target. A
 * failed write (ENOSPC, EDQUOT, EIO) removes its temp file and leaves the
 * target as it was; temp files a killed run left are swept by the next run
 * that holds the lock (sweepTemps). A Reservation takes the disk space of a
 * write before the work that leads to it, so the write cannot later fail for
 * want of space.
 */
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CnmError } from './errors.js';

/** The temp file a process writes `path` through. */
function tempOf(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

/** writeSync may write less than asked (a disk filling up): loop until all is written or it throws. */
function writeAll(fd: number, buf: Buffer, position?: number): void {
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
      writeAll(this.fd, Buffer.alloc(bytes, 0x20), 0);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  write(text: string): void {
    const fd = this.fd;
    if (fd === undefined) throw new Error(`reservation for ${this.path} already used`);
    try {
      const buf = Buffer.from(text, 'utf8');
      writeAll(fd, buf, 0);
      ftruncateSync(fd, buf.length);
      fsyncSync(fd);
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
      writeAll(fd, Buffer.from(text, 'utf8'));
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
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new CnmError(`${path} is not a regular file; cnm will not touch it: move it away`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
