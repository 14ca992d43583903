/**
 * The repository works from any folder: no tracked file names the absolute
 * path of a checkout (a test that runs the binary by its checkout's path passes only
 * on the machine that wrote it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
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

describe('documentation links stay inside the repository', () => {
  const docs = tracked.filter((f) => f.endsWith('.md'));
  // [text](target) links, and paths in backticks that climb out of their folder (`../x/Y.md`).
  const links = (f: string): string[] => [
    ...[...text(f).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text(f).matchAll(/`(\.\.\/[^`\s]+)`/g)].map((m) => m[1]!),
  ];

  it('lists the docs', () => expect(docs).toEqual(expect.arrayContaining(['README.md', 'docs/ARCHITECTURE.md', 'docs/contract.md'])));

  it('every relative link resolves to a file or folder of the repository', () => {
    const bad: string[] = [];
    for (const f of docs) {
      for (const link of links(f)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('#')) continue; // a URL or an anchor in the same file
        const target = resolve(root, dirname(f), decodeURI(link.split('#')[0]!));
        if (relative(root, target).startsWith('..') || isAbsolute(link)) bad.push(`${f}: ${link} points outside the repository`);
        else if (!existsSync(target)) bad.push(`${f}: ${link} does not exist`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the check finds what it looks for', () => {
    const probe = (md: string) => [...md.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
    expect(probe('see [SPEC](../shared/SPEC.md "t") and [a](docs/a.md#x)')).toEqual(['../shared/SPEC.md', 'docs/a.md#x']);
  });
});
