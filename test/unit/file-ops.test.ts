/**
 * File ops (exec/file.ts) as the executor runs a group of them: in order, and
 * each directory a removal empties removed once, after the group, as the
 * dry-run script (fileShell) prints it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileShell, writeFileOps } from '../../src/core/exec/file.js';
import type { FileOp } from '../../src/core/plan.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'cnm-file-ops-'));
  dirs.push(d);
  return d;
}
const gone = (path: string): FileOp => ({ kind: 'file', path, content: null });

describe('a group of file ops', () => {
  it("removes a sandbox's files and then their directory", () => {
    const etc = join(scratch(), 's1');
    const files = ['resolv.conf', 'hosts', 'hostname'].map((f) => join(etc, f));
    writeFileOps(files.map((path) => ({ kind: 'file', path, content: `${path}\n` })));
    expect(readdirSync(etc).sort()).toEqual(['hostname', 'hosts', 'resolv.conf']);
    writeFileOps(files.map(gone));
    expect(existsSync(etc)).toBe(false);
    // Already gone is fine, as `rm -f` and `rmdir ... || true` take it.
    writeFileOps(files.map(gone));
    expect(fileShell(files.map(gone)).filter((l) => l.startsWith('rmdir'))).toHaveLength(1);
  });

  it('keeps a directory something else still holds, and one a later op writes into', () => {
    const root = scratch();
    writeFileSync(join(root, 'kept'), 'x');
    writeFileSync(join(root, 'old'), 'x');
    writeFileOps([gone(join(root, 'old')), { kind: 'file', path: join(root, 'sub', 'new'), content: 'n\n' }, gone(join(root, 'sub', 'none'))]);
    expect(readdirSync(root).sort()).toEqual(['kept', 'sub']);
    expect(readFileSync(join(root, 'sub', 'new'), 'utf8')).toBe('n\n');
  });
});
