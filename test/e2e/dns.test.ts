import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';
import { digIn } from '../helpers/dig.js';

// The embedded DNS, asked by real clients (dig, glibc's getent) inside sandboxes.
// The host's "upstream" is a dnsmasq in a simulated internet; CNM_HOST_RESOLV_CONF
// points cnm (and the server it starts) at a resolv.conf naming it.
const env = { CNM_HOST_RESOLV_CONF: '/run/upstream-resolv.conf' };

/** Pids of `cnm dns serve` processes in the host's network namespace. */
function servers(host: Host): string[] {
  const script = `me=$(readlink /proc/self/ns/net); for p in /proc/[0-9]*; do [ "$(readlink $p/ns/net 2>/dev/null)" = "$me" ] || continue; tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q '^[^ ]*/cnm dns serve ' && echo \${p#/proc/}; done; true`;
  return host.sh(script).stdout.split('\n').filter(Boolean);
}

describe('embedded DNS on the three-tier example', () => {
  let host: Host;
  const cnm = (args: string[]) => host.cnmOk(args, { env });
  const addr: Record<string, string> = {};

  beforeAll(async () => {
    host = await Host.create();
    const { internet } = await withInternet(host);
    const up = internet.background(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=53', '--listen-address=203.0.113.254', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', '--pid-file=', '--address=/example.test/203.0.113.77']);
    expect(up.pid).toBeGreaterThan(0);
    host.exec(['sh', '-c', `echo 'nameserver 203.0.113.254' > ${env.CNM_HOST_RESOLV_CONF}`]);
    cnm(['net', 'create', 'frontend']);
    cnm(['net', 'create', 'backend', '--ipv6']);
    cnm(['net', 'create', 'quiet', '--no-dns']);
    cnm(['sandbox', 'add', 'web', '--network', 'frontend', '--alias', 'www']);
    cnm(['sandbox', 'add', 'web2', '--network', 'frontend', '--alias', 'www']);
    cnm(['sandbox', 'add', 'api', '--network', 'frontend', '--network', 'backend']);
    cnm(['sandbox', 'add', 'db', '--network', 'backend']);
    cnm(['sandbox', 'add', 'hermit', '--network', 'quiet']);
    for (const n of ['frontend', 'backend']) {
      const [view] = json<{ Containers: Record<string, { Name: string; IPv4Address: string }> }[]>(cnm(['net', 'inspect', n]));
      for (const c of Object.values(view!.Containers)) addr[`${c.Name}@${n}`] = c.IPv4Address.split('/')[0]!;
    }
    // dnsmasq is up once it answers from the host itself.
    expect(await waitFor(() => /203\.0\.113\.77/.test(host.exec(['dig', '+short', '+time=1', '+tries=1', '@203.0.113.254', 'a.example.test']).stdout), 20_000)).toBe(true);
  });
  afterAll(destroyAll);

  it('sandboxes name the gateways of their DNS networks in resolv.conf; a sandbox on no DNS network keeps the host resolvers', () => {
    const rc = host.exec(['cat', '/etc/netns/api/resolv.conf']).stdout;
    expect(rc).toMatch(/^nameserver 172\.\d+\.0\.1$/m);
    expect(rc.match(/^nameserver /gm)!.length).toBeGreaterThanOrEqual(2);
    expect(host.exec(['cat', '/etc/netns/hermit/resolv.conf']).stdout).toContain('nameserver 203.0.113.254');
  });

  it('scope: api resolves web and db; web resolves api but not db', () => {
    expect(digIn(host, 'api', 'web').answers).toEqual([addr['web@frontend']]);
    expect(digIn(host, 'api', 'db').answers).toEqual([addr['db@backend']]);
    expect(digIn(host, 'web', 'api').answers).toEqual([addr['api@frontend']]);
    const db = digIn(host, 'web', 'db');
    expect(db.status).toBe('NXDOMAIN');
    expect(db.answers).toEqual([]);
  });

  it('NAME.NETWORK resolves on a shared network', () => {
    expect(digIn(host, 'web', 'api.frontend').answers).toEqual([addr['api@frontend']]);
    expect(digIn(host, 'db', 'api.backend').answers).toEqual([addr['api@backend']]);
  });

  it('an alias held by two sandboxes answers with both addresses', () => {
    expect(digIn(host, 'api', 'www').answers.sort()).toEqual([addr['web@frontend'], addr['web2@frontend']].sort());
  });

  it('PTR of an endpoint address names the sandbox', () => {
    expect(digIn(host, 'api', `-x ${addr['db@backend']}`).answers).toEqual(['db.backend.']);
  });

  it('AAAA of an IPv4-only name is NODATA (NOERROR, no answers); AAAA of an IPv6 endpoint answers', () => {
    const r = digIn(host, 'api', 'AAAA web');
    expect(r.status).toBe('NOERROR');
    expect(r.answers).toEqual([]);
    expect(digIn(host, 'api', 'AAAA db').answers[0]).toMatch(/^fd[0-9a-f:]+$/);
  });

  it('an unknown single label is NXDOMAIN at once (one try, no timeout), under 100 ms as dig measures it', () => {
    const r = digIn(host, 'web', 'nosuchthing');
    expect(r.status).toBe('NXDOMAIN');
    expect(r.code).toBe(0);
    // The figure, as dig measures the server's answer (not process start-up). The answer is
    // local (the host's upstream is unreachable from here, so forwarding would end in SERVFAIL after
    // 2 s); it takes about 1 ms, so the bound only fails if the name were sent upstream.
    const ms = Number(/Query time: (\d+) msec/.exec(r.out)?.[1]);
    expect(ms).toBeLessThan(100);
  });

  it("glibc's getent hosts resolves a sandbox by name inside another", () => {
    const r = host.exec(['ip', 'netns', 'exec', 'web', 'getent', 'hosts', 'api']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(addr['api@frontend']);
    expect(host.exec(['ip', 'netns', 'exec', 'web', 'getent', 'hosts', 'db']).code).not.toBe(0);
  });

  it('connect makes a name resolvable at once; disconnect makes it gone, with no restart', () => {
    const pid = host.cnmOk(['dns', 'status']).trim();
    cnm(['sandbox', 'add', 'late', '--network', 'backend']);
    cnm(['endpoint', 'connect', 'late', 'frontend', '--alias', 'newcomer']);
    expect(digIn(host, 'web', 'late').answers).toHaveLength(1);
    expect(digIn(host, 'web', 'newcomer').answers).toHaveLength(1);
    cnm(['endpoint', 'disconnect', 'late', 'frontend']);
    expect(digIn(host, 'web', 'late').status).toBe('NXDOMAIN');
    expect(digIn(host, 'db', 'late').answers).toHaveLength(1);
    cnm(['sandbox', 'rm', 'late']);
    expect(digIn(host, 'db', 'late').status).toBe('NXDOMAIN');
    expect(host.cnmOk(['dns', 'status']).trim()).toBe(pid);
  });

  it('a DNS network removed and made again on its subnet answers at once, on the first try, with no restart', () => {
    const pid = host.cnmOk(['dns', 'status']).trim();
    cnm(['net', 'create', 'again', '--subnet', '10.66.0.0/24']);
    cnm(['sandbox', 'add', 'a1', '--network', 'again']);
    cnm(['sandbox', 'add', 'a2', '--network', 'again']);
    expect(digIn(host, 'a1', 'a2').answers).toEqual(['10.66.0.3']);
    // Within the server's settle time: its socket on 10.66.0.1 is still the old network's.
    host.sh(`"$CNM" sandbox rm a1 a2 >/dev/null && "$CNM" net rm again >/dev/null && "$CNM" net create again --subnet 10.66.0.0/24 >/dev/null && "$CNM" sandbox add b1 --network again >/dev/null && "$CNM" sandbox add b2 --network again >/dev/null`, { env: { ...env, CNM } });
    expect(digIn(host, 'b1', 'b2').answers).toEqual(['10.66.0.3']);
    expect(digIn(host, 'b2', 'b1').answers).toEqual(['10.66.0.2']);
    expect(host.cnmOk(['dns', 'status']).trim()).toBe(pid);
    cnm(['sandbox', 'rm', 'b1', 'b2']);
    cnm(['net', 'rm', 'again']);
  });

  it('other names are forwarded to the upstream (dnsmasq) over UDP and TCP', () => {
    expect(digIn(host, 'web', 'a.example.test').answers).toEqual(['203.0.113.77']);
    const tcp = digIn(host, 'web', '+tcp b.example.test');
    expect(tcp.answers).toEqual(['203.0.113.77']);
    expect(tcp.out).toContain('(TCP)');
    expect(host.exec(['ip', 'netns', 'exec', 'api', 'getent', 'hosts', 'c.example.test']).stdout).toContain('203.0.113.77');
  });

  it('answers only sandboxes: a query from the host itself gets no answer', () => {
    const r = host.exec(['dig', '+time=1', '+tries=1', `@${host.exec(['sh', '-c', "grep -m1 nameserver /etc/netns/web/resolv.conf | cut -d' ' -f2"]).stdout.trim()}`, 'web']);
    expect(r.stdout).not.toMatch(/status: NOERROR/);
    expect(r.code).not.toBe(0);
  });

  it('a --no-dns network gets no server on its gateway', () => {
    const listen = json<{ running: boolean; listen: string[] }>(host.cnmOk(['dns', 'status', '--json']));
    expect(listen.running).toBe(true);
    const [quiet] = json<{ IPAM: { Config: { Gateway: string }[] } }[]>(cnm(['net', 'inspect', 'quiet']));
    expect(listen.listen).not.toContain(quiet!.IPAM.Config[0]!.Gateway);
    expect(listen.listen.length).toBeGreaterThanOrEqual(3); // frontend, backend v4 and v6
  });
});

describe('embedded DNS lifecycle', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create('lifecycle');
    host.cnmOk(['net', 'create', 'n1'], { env });
    host.exec(['sh', '-c', `: > ${env.CNM_HOST_RESOLV_CONF}`]);
  });
  afterAll(destroyAll);

  it('is not running before any DNS endpoint; the default bridge does not start it', () => {
    expect(host.cnmOk(['dns', 'status']).trim()).toBe('not running');
    host.cnmOk(['sandbox', 'add', 'plain'], { env });
    expect(host.cnmOk(['dns', 'status']).trim()).toBe('not running');
    expect(json<{ running: boolean; pid: number | null }>(host.cnmOk(['dns', 'status', '--json']))).toMatchObject({ running: false, pid: null });
  });

  it('starts by itself exactly once under parallel connects, and exits when idle', async () => {
    for (let i = 0; i < 6; i++) host.cnmOk(['sandbox', 'add', `s${i}`, '--network', 'none'], { env });
    // Six connects at once, each the possible "first DNS endpoint".
    for (let i = 0; i < 6; i++) host.cnmOk(['endpoint', 'disconnect', `s${i}`, 'none'], { env });
    // Each background connect's own exit code, one line each: a bare `wait` would exit 0 even if all failed.
    const r = host.sh('pids=; for i in 0 1 2 3 4 5; do "$CNM" endpoint connect s$i n1 >/dev/null & pids="$pids $!"; done; for p in $pids; do wait $p; echo "exit $?"; done', {
      env: { ...env, CNM },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(Array(6).fill('exit 0'));
    const status = host.cnmOk(['dns', 'status']).trim();
    expect(status).toMatch(/^running \(pid \d+\)$/);
    expect(await waitFor(() => servers(host).length === 1, 20_000)).toBe(true);
    expect(servers(host)).toEqual([/\d+/.exec(status)![0]]);
    expect(digIn(host, 's0', 's5').answers).toHaveLength(1);

    host.cnmOk(['sandbox', 'rm', 's0', 's1', 's2', 's3', 's4', 's5']);
    expect(await waitFor(() => host.cnmOk(['dns', 'status']).trim() === 'not running', 10_000, 100)).toBe(true);
    expect(servers(host)).toEqual([]);
  });

  it('dns stop stops it; the next DNS endpoint starts it again', () => {
    host.cnmOk(['sandbox', 'add', 'again', '--network', 'n1'], { env });
    expect(host.cnmOk(['dns', 'status'])).toMatch(/^running/);
    expect(host.cnmOk(['dns', 'stop'])).toMatch(/^stopped \(pid \d+\)/);
    expect(host.cnmOk(['dns', 'status']).trim()).toBe('not running');
    expect(host.cnmOk(['dns', 'stop']).trim()).toBe('not running');
    host.cnmOk(['sandbox', 'add', 'again2', '--network', 'n1'], { env });
    expect(host.cnmOk(['dns', 'status'])).toMatch(/^running/);
    expect(digIn(host, 'again2', 'again').answers).toHaveLength(1);
  });

  it('a second foreground server refuses to start (exit 4, one line)', () => {
    const r = host.cnm(['dns', 'serve'], { timeoutMs: 10_000 });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^cnm: the DNS server is already running \(pid \d+\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
