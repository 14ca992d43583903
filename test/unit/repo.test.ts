/**
 * The repository works from any folder: no tracked file names the absolute
 * path of a checkout (a test that runs the binary by its checkout's path passes only
 * on the machine that wrote it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const tracked = spawnSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .stdout.split('\0')
  .filter((f) => f && f !== 'package-lock.json');
const text = (f: string): string => {
  try {
    return readFileSync(join(root, f), 'utf8');
  } catch {
    return ''; // deleted in the work tree
  }
};

describe('no absolute checkout paths', () => {
  it('lists the tracked files', () => expect(tracked.length).toBeGreaterThan(50));

  it('no tracked file names this checkout or a built binary by an absolute path', () => {
    // A path ending in dist/cnm that starts at / (quoted or after a space or =), or this checkout's own root.
    const builtByPath = /(?:^|[\s'"`=(])\/[\w.+-]+(?:\/[\w.+-]+)*\/dist\/cnm\b/m;
    const offenders = tracked.filter((f) => {
      const t = text(f);
      return builtByPath.test(t) || t.includes(root);
    });
    expect(offenders).toEqual([]);
  });
});
