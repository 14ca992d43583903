/**
 * src/core/files.ts: in the binary its calls are syscalls through libc, under
 * Node they are node:fs. The same script (test/helpers/files-exercise.ts) runs
 * both ways, and what each call returned or threw (node:fs's messages, codes,
 * errno and syscall included) must be the same.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exercise } from '../helpers/files-exercise.js';

const ROOT = join(__dirname, '../..');

describe('the file calls', () => {
  it('behave the same through libc (Bun) and through node:fs (Node)', () => {
    const viaNode = exercise();
    const r = spawnSync(join(ROOT, 'node_modules/.bin/bun'), [join(ROOT, 'test/helpers/files-exercise.ts')], { encoding: 'utf8', cwd: ROOT });
    expect(r.stderr).toBe('');
    const viaLibc = JSON.parse(r.stdout) as Record<string, unknown>;
    // Both ran every step, and each step shows what it is meant to (the errors are errors).
    expect(Object.keys(viaLibc)).toEqual(Object.keys(viaNode));
    expect(viaNode['read missing']).toMatchObject({ code: 'ENOENT', error: "ENOENT: no such file or directory, open 'DIR/none'" });
    expect(viaNode['write to a full disk']).toMatchObject({ error: 'ENOSPC: no space left on device, write' });
    for (const step of Object.keys(viaNode)) expect(viaLibc[step], step).toEqual(viaNode[step]);
  });
});
