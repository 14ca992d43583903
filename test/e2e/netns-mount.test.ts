/**
 * The namespace files under /run/netns, as cnm mounts them in-process: the
 * directory is made a shared mount without MS_REC (a recursive make-shared
 * walked every namespace's mount under it on every add, O(sandboxes) in the
 * kernel), and what iproute2's recursion gave still holds: each namespace's
 * mount is shared, and a namespace added later reaches a mount namespace
 * that is a slave of /run/netns (a container runtime's), where `ip netns
 * exec` enters it.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

describe('/run/netns as cnm mounts it', () => {
  let host: Host;
  let slave: ChildProcess;

  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'n', '--subnet', '10.63.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'first', '--network', 'n']);
    // A mount namespace whose mounts are slaves of the host's, made before the next add.
    slave = host.background(['unshare', '--mount', '--propagation', 'slave', 'sleep', '60']);
    const mntOf = (pid: string) => host.exec(['readlink', `/proc/${pid}/ns/mnt`]).stdout.trim();
    expect(await waitFor(() => mntOf(String(slave.pid)) !== '' && mntOf(String(slave.pid)) !== mntOf('self'), 5000, 50)).toBe(true);
  });

  afterAll(() => {
    slave.kill();
  });

  it('an add makes /run/netns shared without MS_REC; the namespace\'s mount is shared', async () => {
    const r = await host.execAsync(['strace', '-f', '-qq', '-e', 'trace=mount', '-e', 'signal=none', CNM, 'sandbox', 'add', 'second', '--network', 'n']);
    expect(r.code).toBe(0);
    const shared = r.stderr.split('\n').filter((l) => l.includes('"/run/netns"') && l.includes('MS_SHARED'));
    expect(shared).toEqual([expect.stringMatching(/mount\("", "\/run\/netns", [^,]+, MS_SHARED, NULL\) = 0$/)]);
    expect(r.stderr).toMatch(/mount\("\/proc\/thread-self\/ns\/net", "\/run\/netns\/second", [^,]+, MS_BIND, NULL\) = 0/);
    expect(host.exec(['findmnt', '-n', '-o', 'PROPAGATION', '/run/netns']).stdout.trim()).toBe('shared');
    expect(host.exec(['findmnt', '-n', '-o', 'PROPAGATION', '/run/netns/second']).stdout.trim()).toBe('shared');
  });

  it('the namespace added after a slave mount namespace was made reaches it: ip netns exec there sees its eth0', () => {
    const pid = String(slave.pid);
    const there = host.exec(['nsenter', '-t', pid, '-m', 'ip', 'netns', 'exec', 'second', 'ip', '-br', 'addr', 'show', 'dev', 'eth0']);
    expect(there.stderr).toBe('');
    expect(there.stdout).toMatch(/^eth0@\S+\s+UP\s+10\.63\.0\.\d+\/24/);
    // And it is the same namespace as the host sees under that name.
    const ino = (args: string[]) => host.exec(args).stdout.trim();
    expect(ino(['nsenter', '-t', pid, '-m', 'stat', '-L', '-c', '%i', '/run/netns/second'])).toBe(ino(['stat', '-L', '-c', '%i', '/run/netns/second']));
  });
});
