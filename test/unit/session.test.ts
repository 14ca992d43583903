/**
 * A session's dry run (src/core/session.ts) prints its plans through the
 * dry-run shell, whose module its update loads (a real run never loads it);
 * a plan printed before that fails loudly instead of printing nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Op } from '../../src/core/plan.js';
import { Session } from '../../src/core/session.js';
import { Store } from '../../src/core/store.js';

const plan: Op[] = [{ kind: 'netns.add', name: 'sb1' }];

describe('a dry run', () => {
  it('prints its plans once its update has loaded the shell, and fails loudly before', async () => {
    const out: string[] = [];
    const s = new Session(new Store(mkdtempSync(join(tmpdir(), 'cnm-session-'))), async () => {}, true, (t) => out.push(t));
    expect(() => s.apply(plan)).toThrow('a dry run printed a plan before its shell was loaded (Session.update)');
    expect(() => s.teardown(plan)).toThrow(/before its shell was loaded/);
    await s.update(() => {
      s.apply(plan);
      s.teardown([{ kind: 'netns.del', name: 'sb1' }]);
    });
    expect(out.join('')).toBe('ip netns add sb1\nip netns del sb1\n');
  });
});
