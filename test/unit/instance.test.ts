import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { networkRules } from '../../src/core/firewall/ruleset.js';
import { TABLE, defaultBridge, fileMark, instance, linkMark, ownsLink, serveStateDir, storeInstance, useStateDir } from '../../src/core/instance.js';
import type { Network } from '../../src/core/model.js';
import { RUN_DIR } from '../../src/core/paths.js';

const net = { id: 'a'.repeat(64), bridge: 'cnm-aaaaaaaaaaa', internal: false } as Network;

describe('the instance of a state dir', () => {
  afterEach(() => useStateDir('/var/lib/cnm'));

  it('the default state dir keeps the plain names, and owns only unmarked links', () => {
    useStateDir('/var/lib/cnm/');
    expect(instance().plain).toBe(true);
    expect(TABLE).toBe('inet cnm');
    expect(linkMark()).toEqual({});
    expect(fileMark()).toBe('# written by cnm');
    expect(defaultBridge('cnm-0123456789a')).toBe('cnm0');
    expect(ownsLink(undefined)).toBe(true);
    expect(ownsLink('cnm:0123456789ab')).toBe(false);
  });

  it('another state dir gets an ID once (stored, kept), and its own table, marks, bridge and run dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnm-instance-'));
    useStateDir(dir);
    const throwaway = instance().id;
    expect(existsSync(join(dir, 'instance'))).toBe(false);
    useStateDir(dir);
    storeInstance(dir);
    const id = instance().id;
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(id).not.toBe(throwaway);
    expect(readFileSync(join(dir, 'instance'), 'utf8')).toBe(`${id}\n`);
    useStateDir(dir);
    storeInstance(dir);
    expect(instance().id).toBe(id);
    expect(TABLE).toBe(`inet cnm-${id}`);
    expect(networkRules(net)[0]).toBe(`add table inet cnm-${id}`);
    expect(linkMark()).toEqual({ alias: `cnm:${id}` });
    expect(fileMark()).toBe(`# written by cnm ${id}`);
    expect(defaultBridge('cnm-0123456789a')).toBe('cnm-0123456789a');
    expect(RUN_DIR.endsWith(`/${id}`)).toBe(true);
    expect(ownsLink(`cnm:${id}`)).toBe(true);
    expect(ownsLink(undefined)).toBe(false);
    expect(ownsLink('cnm:ffffffffffff')).toBe(false);
  });
  it('a store made for the dir a run serves with its ID stored reads no ID again; one not stored yet is read again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnm-instance-'));
    useStateDir(dir);
    const unstored = instance().id;
    writeFileSync(join(dir, 'instance'), 'aaaaaaaaaaaa\n'); // another run stored one meanwhile
    serveStateDir(dir);
    expect(instance()).toMatchObject({ id: 'aaaaaaaaaaaa', stored: true });
    expect(unstored).not.toBe('aaaaaaaaaaaa');
    writeFileSync(join(dir, 'instance'), 'bbbbbbbbbbbb\n');
    serveStateDir(dir);
    expect(instance().id).toBe('aaaaaaaaaaaa'); // served: the lock's own read (useStateDir) is the one that counts
    useStateDir(dir);
    expect(instance().id).toBe('bbbbbbbbbbbb');
    serveStateDir('/var/lib/cnm');
    expect(instance().plain).toBe(true);
  });
});
