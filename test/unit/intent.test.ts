import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intentFile, newIntent, readIntent, removeIntent, restoreOf, stateSerial, undoOf, writeIntent } from '../../src/core/intent.js';
import { emptyState } from '../../src/core/model.js';
import { isGone } from '../../src/core/exec/lines.js';
import { type Op, addrAdd, isLineOp, linkDel, nft, toolOf } from '../../src/core/plan.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cnm-intent-'));

describe('the intent record', () => {
  it('holds the inverse of every op that has one, in plan order', () => {
    const plan: Op[] = [
      { kind: 'netns.add', name: 'sb' },
      addrAdd('10.0.0.2/24', 'eth0', 'sb'),
      nft(['add chain inet cnm c'], ['delete chain inet cnm c']),
      { kind: 'mount.bind', source: '/a', target: '/b' },
    ];
    const undo = undoOf(plan);
    expect(undo.map((o) => o.kind)).toEqual(['netns.del', 'nft', 'umount']);
    expect(undo[0]).toEqual({ kind: 'netns.del', name: 'sb' });
    expect(undo[2]).toEqual({ kind: 'umount', target: '/b' });
  });

  it('keeps the tool of bridge fdb lines (an `ip fdb` does not exist)', () => {
    const [u] = undoOf([{ kind: 'fdb.append', mac: '00:00:00:00:00:00', dev: 'vx', dst: '198.51.100.2' }]);
    expect(u).toEqual({ kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'vx', dst: '198.51.100.2' });
    expect(u && isLineOp(u) && toolOf(u)).toBe('bridge');
  });

  it('records the previous content of files it will write, to put them back', () => {
    const d = dir();
    const path = join(d, 'hosts');
    writeFileSync(path, 'old\n');
    const undo = undoOf([{ kind: 'file', path, content: 'new\n' }, { kind: 'file', path: join(d, 'none'), content: 'x' }]);
    expect(undo).toEqual([
      { kind: 'file', path, content: 'old\n' },
      { kind: 'file', path: join(d, 'none'), content: null },
    ]);
  });

  it('names the namespaces a teardown deletes, to restore them', () => {
    expect(restoreOf([{ kind: 'netns.del', name: 'web' }, linkDel('x'), linkDel('inner', 'other')])).toEqual(['web']);
  });

  it('round-trips through the file, with "already gone" tolerance restored', () => {
    const d = dir();
    const rec = newIntent({ ...emptyState(), serial: 7 });
    rec.undo.push(linkDel('veth1'));
    writeIntent(d, rec);
    expect(readdirSync(d)).toEqual(['intent.json']);
    const back = readIntent(d);
    expect(back).not.toBe('unreadable');
    const r = back as Exclude<typeof back, 'unreadable' | undefined>;
    expect(r.before).toBe('7');
    expect(r.pid).toBe(process.pid);
    const op = r.undo[0]!;
    expect(isLineOp(op) && isGone(op, 'Cannot find device "veth1"')).toBe(true);
    removeIntent(d);
    expect(readIntent(d)).toBeUndefined();
    removeIntent(d); // already gone is fine
  });

  it('reports a garbled record as unreadable', () => {
    const d = dir();
    writeFileSync(intentFile(d), '{"version": 1, "undo": ');
    expect(readIntent(d)).toBe('unreadable');
    writeFileSync(intentFile(d), JSON.stringify({ version: 2, undo: [], restore: [], before: '1' }));
    expect(readIntent(d)).toBe('unreadable');
  });

  it('tells states apart by their write serial', () => {
    expect(stateSerial(emptyState())).toBe('0');
    expect(stateSerial({ ...emptyState(), serial: 12 })).toBe('12');
  });
});
