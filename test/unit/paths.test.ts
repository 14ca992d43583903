/**
 * core/paths.ts's join, resolve, dirname and basename stand in for node:path's
 * on the hot path: on random paths (empty, `.`, `..`, repeated and trailing
 * slashes, absolute and relative) they give what node:path gives.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { basename, dirname, join, resolve } from '../../src/core/paths.js';

const PIECES = ['', 'a', 'bc', '.', '..', '...', '.x', '/', '//', 'x y', 'é'];

/** A deterministic stream of random paths (a small LCG, so a failure is the same on every run). */
function paths(seed: number, count: number): string[] {
  let s = seed;
  const next = (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
  return Array.from({ length: count }, () => Array.from({ length: next(7) }, () => PIECES[next(PIECES.length)]!).join(next(3) === 0 ? '' : '/'));
}

describe('the path helpers', () => {
  const many = paths(7, 20_000);

  it('dirname and basename are node:path\'s', () => {
    for (const p of many) {
      expect(dirname(p), JSON.stringify(p)).toBe(path.posix.dirname(p));
      expect(basename(p), JSON.stringify(p)).toBe(path.posix.basename(p));
    }
  });

  it('join and resolve are node:path\'s, for one to three parts', () => {
    for (let i = 0; i + 3 <= many.length; i += 3) {
      for (const parts of [[many[i]!], [many[i]!, many[i + 1]!], [many[i]!, many[i + 1]!, many[i + 2]!]]) {
        expect(join(...parts), JSON.stringify(parts)).toBe(path.posix.join(...parts));
        expect(resolve(...parts), JSON.stringify(parts)).toBe(path.posix.resolve(...parts));
      }
    }
    expect([join(), resolve()]).toEqual([path.posix.join(), path.posix.resolve()]);
  });
});
