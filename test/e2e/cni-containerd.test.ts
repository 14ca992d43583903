import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

/**
 * A real CNI runtime puts a real container on a cnm network: Debian's
 * containerd, started inside a throwaway host with its own root, state and
 * socket (tmpfs over /etc/cni, /opt/cni, /var/lib/containerd, /var/lib/cni),
 * runs `ctr run --rm --cni` on a rootfs made of Debian's busybox-static. The
 * network configuration and the plugin link are what `cnm cni install`
 * writes; containerd finds the plugin as /opt/cni/bin/cnm.
 */
const SOCK = '/run/containerd/containerd.sock';
const CGI = ['#!/bin/sh', 'echo "Content-Type: text/plain"', 'echo', 'echo "client=$REMOTE_ADDR"', ''].join('\n');

describe('containerd runs a container on a cnm network (ctr run --cni)', () => {
  let host: Host;
  let internet: Host;

  const ctr = (args: string[]) => host.exec(['ctr', '--address', SOCK, ...args], { timeoutMs: 30_000 });
  let execs = 0;
  const inCtr = ([cmd, ...args]: string[]) => ctr(['task', 'exec', '--exec-id', `e${++execs}`, 'c1', `/bin/${cmd}`, ...args]);
  const sandboxes = () => host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']).trim().split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    host = await Host.create('ctrd');
    ({ internet } = await withInternet(host));
    const setup = host.sh(
      [
        'set -e',
        'for d in /etc/cni /opt/cni /var/lib/containerd /var/lib/cni; do mkdir -p $d; mount -t tmpfs tmpfs $d; done',
        'mkdir -p /run/rootfs/bin /run/rootfs/etc /run/rootfs/proc /run/rootfs/sys /run/rootfs/dev /run/rootfs/tmp /run/rootfs/www/cgi-bin',
        'cp /bin/busybox /run/rootfs/bin/busybox',
        'for c in sh ip ping nslookup httpd cat sleep; do ln -s busybox /run/rootfs/bin/$c; done',
        // The runtime leaves resolv.conf to the image; the embedded DNS answers on the network's gateway.
        'echo "nameserver 10.89.0.1" > /run/rootfs/etc/resolv.conf',
        `printf '%s' '${CGI}' > /run/rootfs/www/cgi-bin/ip && chmod +x /run/rootfs/www/cgi-bin/ip`,
        'printf \'version = 2\\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\\n\' > /run/containerd.toml',
      ].join('\n'),
    );
    expect(setup.code, setup.stderr).toBe(0);
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.89.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'db', '--network', 'front', '--dns', '127.0.0.1']);
    host.cnmOk(['cni', 'install', 'front']);
    expect(host.sh('ln -s /usr/lib/cni/loopback /opt/cni/bin/loopback').code).toBe(0); // ctr adds a loopback network
    host.background(['sh', '-c', `exec containerd --config /run/containerd.toml --root /var/lib/containerd --state /run/containerd --address ${SOCK} >/run/containerd.log 2>&1`]);
    expect(await waitFor(() => ctr(['version']).code === 0, 20_000, 100)).toBe(true);
  }, 60_000);
  afterAll(destroyAll);

  it('the container gets its address from cnm, reaches and resolves a sandbox by name, serves a published port to the internet with the client address kept, and leaves nothing when stopped', async () => {
    const run: ChildProcess = host.background(['ctr', '--address', SOCK, 'run', '--rm', '--cni', '--rootfs', '/run/rootfs', 'c1', '/bin/httpd', '-f', '-p', '80', '-h', '/www']);
    const exited = new Promise<void>((ok) => run.once('exit', () => ok()));
    // ctr names the attachment by namespace and ID: default-c1.
    expect(await waitFor(() => sandboxes().includes('default-c1'), 20_000, 100)).toBe(true);
    const members = () => json<{ Containers: Record<string, { Name: string; IPv4Address: string }> }[]>(host.cnmOk(['net', 'inspect', 'front']))[0]!.Containers;
    expect(Object.values(members()).map((c) => `${c.Name} ${c.IPv4Address}`).sort()).toEqual(['db 10.89.0.2/24', 'default-c1 10.89.0.3/24']);
    expect(await waitFor(() => inCtr(['ip', '-4', '-o', 'addr', 'show', 'eth0']).stdout.includes('10.89.0.3/24'), 10_000, 100)).toBe(true);
    expect(inCtr(['ip', 'route']).stdout).toContain('default via 10.89.0.1 dev eth0');
    // By name, through the embedded DNS: the container finds db, db finds the container.
    const ping = inCtr(['ping', '-c1', '-W2', 'db']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toContain('10.89.0.2');
    expect(inCtr(['nslookup', 'db.front']).stdout).toContain('10.89.0.2');
    expect(host.cnm(['sandbox', 'exec', 'db', '--', 'dig', '+short', '+time=1', '@10.89.0.1', 'default-c1']).stdout.trim()).toBe('10.89.0.3');
    // A port published on the live container answers the internet, which the server sees as itself.
    host.cnmOk(['sandbox', 'publish', 'default-c1', '8080:80']);
    const curl = () => internet.exec(['curl', '-s', '-m', '3', 'http://203.0.113.1:8080/cgi-bin/ip']).stdout.trim();
    // busybox httpd listens on IPv6 too, so it sees IPv4 clients as IPv4-mapped addresses.
    const kept = /^client=(\[::ffff:)?203\.0\.113\.254\]?$/;
    expect(await waitFor(() => kept.test(curl()), 5000, 100)).toBe(true);
    // Stopping the container: ctr runs the DEL, and cnm removes the endpoint, the port and its own name for the namespace.
    expect(ctr(['task', 'kill', '-s', 'KILL', 'c1']).code).toBe(0);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    expect(run.exitCode ?? run.signalCode).not.toBeNull();
    expect(sandboxes()).toEqual(['db']);
    expect(Object.values(members()).map((c) => c.Name)).toEqual(['db']);
    expect(host.sh('ls /run/netns').stdout.trim().split('\n').filter((n) => n && !n.startsWith('cni-'))).toEqual(['db']);
    expect(host.sh('ip -br link | grep -c ^veth').stdout.trim()).toBe('1'); // db's only
    expect(host.exec(['nft', 'list', 'ruleset']).stdout).not.toContain('8080');
    expect(curl()).toBe('');
    expect(ctr(['containers', 'ls', '-q']).stdout.trim()).toBe('');
  }, 90_000);
});
