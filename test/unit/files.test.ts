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
  const viaNode = exercise();
  const viaBun = (...args: string[]) => {
    const r = spawnSync(join(ROOT, 'node_modules/.bin/bun'), [join(ROOT, 'test/helpers/files-exercise.ts'), ...args], { encoding: 'utf8', cwd: ROOT });
    expect(r.stderr).toBe('');
    const { ['bun:ffi loaded']: loaded, mapped, ...steps } = JSON.parse(r.stdout) as Record<string, unknown>;
    // mapRegularBytes maps where Bun can (the steps show it gives what Node's read gives).
    expect(mapped).toEqual([3, true]);
    return { loaded, steps };
  };
  const same = (viaLibc: Record<string, unknown>) => {
    // Both ran every step, and each step shows what it is meant to (the errors are errors).
    expect(Object.keys(viaLibc)).toEqual(Object.keys(viaNode));
    expect(viaNode['read missing']).toMatchObject({ code: 'ENOENT', error: "ENOENT: no such file or directory, open 'DIR/none'" });
    expect(viaNode['write to a full disk']).toMatchObject({ error: 'ENOSPC: no space left on device, write' });
    for (const step of Object.keys(viaNode)) expect(viaLibc[step], step).toEqual(viaNode[step]);
  };

  it('behave the same through libc (Bun) and through node:fs (Node), without loading bun:ffi', () => {
    const { loaded, steps } = viaBun();
    same(steps);
    expect(loaded).toBe(false); // Bun's native FFI object, not the module (its load is start-up time)
  });

  it('behave the same through bun:ffi, on a Bun without its native FFI object', () => {
    const { loaded, steps } = viaBun('--bun-ffi');
    same(steps);
    expect(loaded).toBe(true);
  });
});
