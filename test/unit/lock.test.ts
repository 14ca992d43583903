import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquire } from '../../src/core/lock.js';

// Under Node (vitest) the lock is the O_EXCL pid-file fallback; the binary's flock is proven end to end (crash e2e).
const lockPath = () => join(mkdtempSync(join(tmpdir(), 'cnm-lock-')), 'state.lock');

describe('the state lock (Node fallback)', () => {
  it('is exclusive: a second taker waits until the first releases', async () => {
    const path = lockPath();
    const first = await acquire(path, 5000);
    let second = false;
    const waiting = acquire(path, 5000).then((l) => {
      second = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    first.release();
    (await waiting).release();
    expect(second).toBe(true);
    expect(existsSync(`${path}.pid`)).toBe(false);
  });

  it('a lock held by a dead process never blocks anyone', async () => {
    const path = lockPath();
    const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim(); // a pid that has exited
    writeFileSync(`${path}.pid`, dead);
    const t0 = Date.now();
    const lock = await acquire(path, 5000);
    expect(Date.now() - t0).toBeLessThan(2000);
    lock.release();
  });

  it('gives up after its timeout with the live holder named', async () => {
    const path = lockPath();
    writeFileSync(`${path}.pid`, String(process.pid)); // alive: this very process
    await expect(acquire(path, 100)).rejects.toThrow(`held by pid ${process.pid}`);
  });
});
