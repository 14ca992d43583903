import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

/**
 * Everything of the kernel that a failed command must leave exactly as it was: objects, addresses,
 * routes, rules. Carrier and operstate are left out: the kernel derives them from ports, with a lag.
 */
function kernel(host: Host): string {
  return [
    host.exec(['sh', '-c', "ip -o link | sed -E 's/state [A-Z]+//; s/(NO-CARRIER|LOWER_UP),?//g'"]).stdout,
    host.exec(['sh', '-c', "ip -o addr | awk '{print $2, $3, $4}'"]).stdout,
    host.exec(['sh', '-c', "ip route | sed 's/ linkdown//'"]).stdout,
    host.exec(['ip', 'netns', 'list']).stdout,
    host.exec(['nft', 'list', 'ruleset']).stdout,
    host.exec(['sh', '-c', 'ls -R /etc/netns; cat /proc/sys/net/ipv4/ip_forward']).stdout,
  ].join('\n--\n');
}

function stateBytes(host: Host): string {
  return host.exec(['cat', '/var/lib/cnm/state.json']).stdout;
}

/** Runs n cnm commands at once inside the host; resolves with their exit codes. */
function parallel(host: Host, argvs: string[][]): Promise<{ code: number | null; stderr: string }[]> {
  return Promise.all(
    argvs.map(
      (args) =>
        new Promise<{ code: number | null; stderr: string }>((ok) => {
          const p = spawn('nsenter', ['-t', String(host.pid), '-n', '-m', '--', CNM, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          p.stderr.on('data', (d) => (stderr += String(d)));
          p.on('close', (code) => ok({ code, stderr }));
        }),
    ),
  );
}

describe('parallel invocations serialize and none is lost', () => {
  it('24 parallel sandbox add -> 24 distinct addresses, all in state; 24 parallel rm -> nothing left', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'busy', '--subnet', '10.77.0.0/24']);
    const names = Array.from({ length: 24 }, (_, i) => `s${i}`);
    const adds = await parallel(host, names.map((n) => ['sandbox', 'add', n, '--network', 'busy']));
    expect(adds.filter((r) => r.code !== 0)).toEqual([]);
    const state = json<{ sandboxes: { name: string }[]; endpoints: { ipv4: string }[] }>(stateBytes(host));
    expect(state.sandboxes.map((s) => s.name).sort()).toEqual([...names].sort());
    const addrs = state.endpoints.map((e) => e.ipv4);
    expect(new Set(addrs).size).toBe(24);
    // Each address really is on its sandbox's eth0.
    for (const n of names.slice(0, 24)) {
      const [sb] = json<{ NetworkSettings: { Networks: { busy: { IPAddress: string } } } }[]>(host.cnmOk(['sandbox', 'inspect', n]));
      expect(host.exec(['ip', '-n', n, '-br', 'addr', 'show', 'eth0']).stdout).toContain(`${sb!.NetworkSettings.Networks.busy.IPAddress}/24`);
    }
    const rms = await parallel(host, names.map((n) => ['sandbox', 'rm', n]));
    expect(rms.filter((r) => r.code !== 0)).toEqual([]);
    expect(json<{ sandboxes: unknown[]; endpoints: unknown[] }>(stateBytes(host))).toMatchObject({ sandboxes: [], endpoints: [] });
    expect(host.exec(['ip', 'netns', 'list']).stdout.trim()).toBe('');
    expect(await waitFor(() => !/veth/.test(host.exec(['ip', '-br', 'link']).stdout), 10_000)).toBe(true);
  });
});

describe('a failure in the middle leaves nothing behind', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'base']);
    host.cnmOk(['sandbox', 'add', 'sb', '--network', 'base']);
  });

  // Every step of the plan in turn: step N fails for real in the kernel, the steps before it are undone.
  it.each([1, 2, 3, 4, 5, 6, 7])('net create, failing at step %i', (step) => {
    const before = kernel(host);
    const state = stateBytes(host);
    const r = host.cnm(['net', 'create', 'doomed', '--ipv6'], { env: { CNM_FAULT_AT: String(step) } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cnm: .+\n$/);
    expect(kernel(host)).toBe(before);
    expect(stateBytes(host)).toBe(state);
  });

  it.each([1, 2, 3, 4, 5, 6, 7])('endpoint connect, failing at step %i', (step) => {
    host.cnmOk(['net', 'create', `second${step}`]);
    const before = kernel(host);
    const state = stateBytes(host);
    const r = host.cnm(['endpoint', 'connect', 'sb', `second${step}`], { env: { CNM_FAULT_AT: String(step) } });
    expect(r.code).toBe(1);
    expect(kernel(host)).toBe(before);
    expect(stateBytes(host)).toBe(state);
  });

  it.each([1, 2, 3, 4, 5, 6])('sandbox add, failing at step %i', (step) => {
    const before = kernel(host);
    const state = stateBytes(host);
    const r = host.cnm(['sandbox', 'add', 'late', '--network', 'base'], { env: { CNM_FAULT_AT: String(step) } });
    expect(r.code).toBe(1);
    expect(kernel(host)).toBe(before);
    expect(stateBytes(host)).toBe(state);
  });

  it('the first run on a fresh host (built-in networks) rolls back too', async () => {
    const fresh = await Host.create();
    const before = kernel(fresh);
    const r = fresh.cnm(['net', 'create', 'first'], { env: { CNM_FAULT_AT: '5' } });
    expect(r.code).toBe(1);
    expect(kernel(fresh)).toBe(before);
    expect(fresh.exec(['test', '-e', '/var/lib/cnm/state.json']).code).not.toBe(0);
  });

  it('and without a fault the same commands succeed', () => {
    host.cnmOk(['endpoint', 'connect', 'sb', 'second1']);
    expect(host.exec(['ip', '-n', 'sb', '-br', 'link', 'show', 'eth1']).code).toBe(0);
  });
});

describe('bad input: exit code, one line, nothing changed', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'taken', '--subnet', '10.50.0.0/16']);
    host.cnmOk(['sandbox', 'add', 'busy', '--network', 'taken']);
    host.cnmOk(['sandbox', 'add', 'pinned', '--network', 'taken', '--ip', '10.50.0.100']);
  });

  const cases: [string, string[], number][] = [
    ['unknown command', ['frobnicate'], 2],
    ['unknown option', ['net', 'ls', '--bogus'], 2],
    ['missing argument', ['net', 'create'], 2],
    ['bad network name', ['net', 'create', '-bad!'], 2],
    ['name too long', ['net', 'create', 'x'.repeat(65)], 2],
    ['unknown driver', ['net', 'create', 'n1', '--driver', 'token-ring'], 2],
    ['malformed subnet', ['net', 'create', 'n1', '--subnet', '10.0.0.0/33'], 2],
    ['subnet with host bits', ['net', 'create', 'n1', '--subnet', '10.60.0.1/16'], 2],
    ['not an address', ['net', 'create', 'n1', '--subnet', 'banana'], 2],
    ['gateway outside subnet', ['net', 'create', 'n1', '--subnet', '10.61.0.0/24', '--gateway', '10.62.0.1'], 2],
    ['gateway without subnet', ['net', 'create', 'n1', '--gateway', '10.62.0.1'], 2],
    ['ip-range outside subnet', ['net', 'create', 'n1', '--subnet', '10.63.0.0/24', '--ip-range', '10.64.0.0/25'], 2],
    ['mtu not a number', ['net', 'create', 'n1', '--mtu', 'big'], 2],
    ['mtu out of range', ['net', 'create', 'n1', '--mtu', '20'], 2],
    ['bad label', ['net', 'create', 'n1', '--label', 'novalue'], 2],
    ['two IPv4 subnets', ['net', 'create', 'n1', '--subnet', '10.65.0.0/24', '--subnet', '10.66.0.0/24'], 2],
    ['parent on a bridge', ['net', 'create', 'n1', '--parent', 'eth0'], 2],
    ['creating host', ['net', 'create', 'n1', '--driver', 'host'], 2],
    ['existing network', ['net', 'create', 'taken'], 4],
    ['overlapping subnet', ['net', 'create', 'n1', '--subnet', '10.50.128.0/24'], 4],
    ['builtin removal', ['net', 'rm', 'bridge'], 2],
    ['no such network', ['net', 'rm', 'ghost'], 3],
    ['network in use', ['net', 'rm', 'taken'], 4],
    ['no such ID', ['net', 'inspect', 'abcz'], 3],
    ['existing sandbox', ['sandbox', 'add', 'busy'], 4],
    ['sandbox on no such network', ['sandbox', 'add', 's1', '--network', 'ghost'], 3],
    ['bad sandbox name', ['sandbox', 'add', '../etc'], 2],
    ['ip outside subnet', ['sandbox', 'add', 's1', '--network', 'taken', '--ip', '10.99.0.5'], 2],
    ['ip is the gateway', ['sandbox', 'add', 's1', '--network', 'taken', '--ip', '10.50.0.1'], 4],
    ['ip already used', ['sandbox', 'add', 's1', '--network', 'taken', '--ip', '10.50.0.100'], 4],
    ['malformed ip', ['sandbox', 'add', 's1', '--network', 'taken', '--ip', '10.50.0.256'], 2],
    ['ip6 without IPv6', ['sandbox', 'add', 's1', '--network', 'taken', '--ip6', 'fd00::5'], 2],
    ['bad mac', ['sandbox', 'add', 's1', '--network', 'taken', '--mac', '01:00:5e:00:00:01'], 2],
    ['bad alias', ['sandbox', 'add', 's1', '--alias', 'a b'], 2],
    ['pid and netns', ['sandbox', 'add', 's1', '--pid', '1', '--netns', '/proc/1/ns/net'], 2],
    ['no such pid', ['sandbox', 'add', 's1', '--pid', '999999999'], 2],
    ['no such netns file', ['sandbox', 'add', 's1', '--netns', '/nonexistent'], 2],
    ['same network twice', ['sandbox', 'add', 's1', '--network', 'taken', '--network', 'taken'], 2],
    ['no such sandbox', ['sandbox', 'rm', 'ghost'], 3],
    ['connect twice', ['endpoint', 'connect', 'busy', 'taken'], 4],
    ['disconnect unconnected', ['endpoint', 'disconnect', 'busy', 'bridge'], 3],
    ['exec nothing', ['sandbox', 'exec', 'busy'], 2],
    ['inspect nothing found', ['inspect', 'ghost'], 3],
  ];

  it.each(cases)('%s', (_what, args, code) => {
    const before = kernel(host);
    const state = stateBytes(host);
    const r = host.cnm(args);
    expect({ code: r.code, lines: r.stderr.trimEnd().split('\n').length }).toEqual({ code, lines: 1 });
    expect(r.stderr).toMatch(/^cnm: \S/);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/); // no stack trace
    expect(kernel(host)).toBe(before);
    expect(stateBytes(host)).toBe(state);
  });
});

describe('the default state dir\'s instance file', () => {
  it('a hot command reads it under the state lock, not before; a corrupt one is refused by every command, locked or not', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']); // stores the ID
    // Its ID names nothing of the default dir, so no open, read and close for it before the lock.
    const r = host.exec(['strace', '-f', '-qq', '-e', 'trace=openat', '-e', 'signal=none', CNM, 'sandbox', 'rm', 'NOSUCH']);
    const opens = r.stderr.split('\n').filter((l) => l.includes('"/var/lib/cnm/'));
    const lock = opens.findIndex((l) => l.includes('/var/lib/cnm/state.lock'));
    expect(lock).toBeGreaterThanOrEqual(0);
    expect(opens.flatMap((l, i) => (l.includes('/var/lib/cnm/instance') ? [i] : []))).toEqual([expect.any(Number)]);
    expect(opens.findIndex((l) => l.includes('/var/lib/cnm/instance'))).toBeGreaterThan(lock);
    host.exec(['sh', '-c', 'echo not-an-id > /var/lib/cnm/instance']);
    for (const args of [['sandbox', 'rm', 'NOSUCH'], ['sandbox', 'add', 's', '--network', 'n1'], ['sandbox', 'add', 's', '--network', 'n1', '--dry-run'], ['net', 'ls']]) {
      const c = host.cnm(args);
      expect(c.code).toBe(1);
      expect(c.stderr).toMatch(/^cnm: \/var\/lib\/cnm\/instance is corrupt/);
    }
    expect(host.exec(['ip', 'netns', 'list']).stdout).toBe('');
  });
});

describe('start-up', () => {
  // JavaScriptCore compiles a function on a JIT thread, which it starts for the first one, once the function
  // has run a few dozen times or looped a few hundred: a cost on the way to the state lock (the thread's
  // creation on the main thread, and the compile beside it on 2 cores) for work done once. The file calls
  // and path joins of a plain rm must stay under that (libc.ts' syscall, paths.ts' join).
  it('a plain sandbox rm compiles nothing on a JIT thread', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']);
    host.cnmOk(['sandbox', 'add', 'w0', '--network', 'n1']); // DNS server up, as the bench's warm network
    for (let i = 0; i < 3; i++) {
      const r = host.cnm(['sandbox', 'rm', 'NOSUCH'], { env: { BUN_JSC_reportBaselineCompileTimes: '1', BUN_JSC_reportDFGCompileTimes: '1' } });
      expect(r.stdout + r.stderr).not.toContain('Optimized');
      expect([r.code, r.stderr]).toEqual([3, expect.stringMatching(/^cnm: sandbox "NOSUCH" not found/)]);
    }
    // The switch is the engine's own: a run that does compile reports it.
    const busy = host.exec(['/bin/sh', '-c', `BUN_JSC_reportBaselineCompileTimes=1 BUN_BE_BUN=1 ${CNM} -e 'let s = 0; for (let i = 0; i < 100000; i++) s += i; console.log(s)'`]);
    expect(busy.stdout + busy.stderr).toContain('Optimized');
  });

  it('a free state lock is taken at once; a held one is waited for, and given up on after the timeout', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']);
    // Another holder (flock(1) on the same file): the run waits until it lets go, then goes on.
    const waited = host.sh('(flock -x /var/lib/cnm/state.lock sleep 0.5 >/dev/null 2>&1 &) ; sleep 0.1; CNM_LOCK_TIMEOUT_MS=20000 ' + CNM + ' sandbox rm NOSUCH; echo "rc=$?"');
    expect([waited.stdout, waited.stderr]).toEqual(['rc=3\n', expect.stringMatching(/^cnm: sandbox "NOSUCH" not found[^\n]*\n$/)]);
    const timedOut = host.sh('(flock -x /var/lib/cnm/state.lock sleep 2 >/dev/null 2>&1 &) ; sleep 0.1; CNM_LOCK_TIMEOUT_MS=200 ' + CNM + ' sandbox rm NOSUCH; echo "rc=$?"');
    expect([timedOut.stdout, timedOut.stderr]).toEqual(['rc=1\n', 'cnm: timed out waiting for the state lock /var/lib/cnm/state.lock; another cnm is still running\n']);
    host.exec(['sh', '-c', 'while ! flock -n /var/lib/cnm/state.lock true; do sleep 0.05; done']);
    expect(host.cnm(['sandbox', 'rm', 'NOSUCH']).code).toBe(3);
  });

  it('a state dir that is there is locked without a mkdir; one that is not is made, one that cannot be says why', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']);
    // The lock file is opened in it without a mkdir (and a stat of the dir) first.
    const traced = host.exec(['strace', '-f', '-qq', '-e', 'trace=mkdirat,mkdir,openat', '-e', 'signal=none', CNM, 'sandbox', 'rm', 'NOSUCH']);
    expect(traced.stderr).toContain('"/var/lib/cnm/state.lock", O_RDWR|O_CREAT');
    expect(traced.stderr).not.toMatch(/mkdir/);
    // A dir that is not there is made (and, nothing written, removed again); one that cannot be says why, as before.
    host.exec(['sh', '-c', 'mkdir /run/sd && touch /run/sd/afile']); // the host's own /run (a tmpfs)
    const made = host.exec(['strace', '-f', '-qq', '-e', 'trace=mkdirat,mkdir', '-e', 'signal=none', CNM, 'sandbox', 'rm', 'NOSUCH', '--state-dir', '/run/sd/new/dir']);
    expect(made.stderr.split('\n').filter((l) => l.includes('mkdir') && l.endsWith(' = 0'))).toEqual([expect.stringContaining('"/run/sd/new"'), expect.stringContaining('"/run/sd/new/dir"')]);
    expect(host.exec(['ls', '/run/sd']).stdout).toBe('afile\n');
    for (const [dir, why] of [['/run/sd/afile', "EEXIST: file already exists, mkdir '/run/sd/afile'"], ['/run/sd/afile/sub', "ENOTDIR: not a directory, mkdir '/run/sd/afile/sub'"]] as const) {
      const r = host.cnm(['sandbox', 'rm', 'NOSUCH', '--state-dir', dir]);
      expect([r.code, r.stderr]).toEqual([1, `cnm: cannot create state directory ${dir}: ${why}\n`]);
    }
  });

  // After the lock too: an rm makes some sixty file calls, and a JIT thread then competes for the
  // second core with the DNS server that sends the rm's nft batch (files.ts, the /proc scan, guard.ts).
  // Run in a PID namespace of its own, as the bench's host: rm asks every process in /proc whether it
  // is in the sandbox, and with the hundreds of a whole machine that loop is hot enough to compile.
  it('a plain sandbox rm of a sandbox compiles nothing either, start to end', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']);
    host.cnmOk(['sandbox', 'add', 'w0', '--network', 'n1']);
    for (let i = 0; i < 3; i++) {
      host.cnmOk(['sandbox', 'add', `s${i}`, '--network', 'n1']);
      const env = ['env', 'BUN_JSC_reportBaselineCompileTimes=1', 'BUN_JSC_reportDFGCompileTimes=1'];
      const r = host.exec([...env, 'unshare', '--pid', '--fork', '--mount-proc', CNM, 'sandbox', 'rm', `s${i}`]);
      expect(r.stdout + r.stderr).not.toContain('Optimized');
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `s${i}\n`, '']);
    }
    expect(host.exec(['ip', 'netns', 'list']).stdout).toContain('w0');
    expect(host.exec(['ip', 'netns', 'list']).stdout).not.toContain('s2');
  });

  // And a plain add: its netlink requests (some 35 attributes), its path calls (some 35), its
  // addresses formatted (four octets each) were each one helper called often enough to compile,
  // and Array map (a builtin, whose name survives the minifier) was called ~40 times, half of them
  // to render the guard's nft script text, which only the nft -f fallback, --debug and --dry-run read.
  it('a plain sandbox add compiles nothing', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1']);
    host.cnmOk(['sandbox', 'add', 'w0', '--network', 'n1']);
    for (let i = 0; i < 3; i++) {
      const env = ['env', 'BUN_JSC_reportBaselineCompileTimes=1', 'BUN_JSC_reportDFGCompileTimes=1'];
      const r = host.exec([...env, CNM, 'sandbox', 'add', `s${i}`, '--network', 'n1']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    }
    const s0 = /UP +([0-9.]+)\//.exec(host.exec(['ip', '-n', 's0', '-br', 'addr', 'show', 'eth0']).stdout)?.[1];
    expect(s0).toBeDefined();
    expect(host.exec(['ip', 'netns', 'exec', 's2', 'ping', '-c1', '-W2', s0!]).code).toBe(0);
  });
});

describe('state file', () => {
  it('a corrupt state file is refused and left byte-identical', async () => {
    const host = await Host.create();
    const garbage = '{"schema": 1, "networks": [ {"id": "x"';
    host.exec(['sh', '-c', `printf '%s' '${garbage}' > /var/lib/cnm/state.json`]);
    for (const args of [['net', 'ls'], ['net', 'create', 'x'], ['sandbox', 'add', 's']]) {
      const r = host.cnm(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^cnm: state file \/var\/lib\/cnm\/state.json is corrupt/);
    }
    expect(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).toBe(garbage);
    expect(host.exec(['ip', '-br', 'link']).stdout).not.toContain('cnm');
  });

  it('a newer schema is refused and left byte-identical', async () => {
    const host = await Host.create();
    const doc = JSON.stringify({ schema: 99, networks: [], sandboxes: [], endpoints: [] });
    host.exec(['sh', '-c', `printf '%s' '${doc}' > /var/lib/cnm/state.json`]);
    const r = host.cnm(['sandbox', 'add', 's']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/schema 99, newer than this cnm understands/);
    expect(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).toBe(doc);
  });

  it('a hand-edited state with a wrong field type names the field', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n']);
    host.exec(['sed', '-i', 's/"mtu":1500/"mtu":"big"/', '/var/lib/cnm/state.json']);
    const r = host.cnm(['net', 'ls']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/networks\[\d\]\.mtu must be a number, found string/);
  });

  it('holds a sandbox or endpoint a line; sandbox add and rm parse only the records they touch, and the state stays whole', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'lines', '--subnet', '10.78.0.0/24']);
    host.cnmOk(['net', 'create', 'more', '--subnet', '10.79.0.0/24']);
    for (const n of ['a', 'b', 'c']) host.cnmOk(['sandbox', 'add', n, '--network', 'lines']);
    const lines = stateBytes(host).split('\n');
    expect(lines.filter((l) => l.startsWith('{"id":'))).toHaveLength(6);
    // add and rm: no whole parse; a command that reads every endpoint (connect) says so.
    const add = host.cnm(['sandbox', 'add', 'd', '--network', 'lines', '--debug']);
    const rm = host.cnm(['sandbox', 'rm', 'b', '--debug']);
    const connect = host.cnm(['net', 'connect', 'more', 'a', '--debug']);
    expect([add.code, rm.code, connect.code]).toEqual([0, 0, 0]);
    expect([add.stderr, rm.stderr].map((e) => [e.includes('· state read'), e.includes('all records parsed')])).toEqual([[true, false], [true, false]]);
    expect(connect.stderr).toContain('all records parsed');
    // Every reader sees the edits: the file parses whole, names resolve, traffic flows.
    const doc = json<{ sandboxes: { name: string }[]; endpoints: { ipv4: string }[] }>(stateBytes(host));
    expect(doc.sandboxes.map((s) => s.name)).toEqual(['a', 'c', 'd']);
    expect(doc.endpoints.map((e) => e.ipv4).sort()).toEqual(['10.78.0.2/24', '10.78.0.4/24', '10.78.0.5/24', '10.79.0.2/24']);
    expect(host.sh('ip netns exec c ping -c1 -W2 d.lines >/dev/null && ip netns exec d ping -c1 -W2 10.78.0.2 >/dev/null').code).toBe(0);
    expect(host.cnm(['sandbox', 'add', 'd', '--network', 'lines']).stderr).toMatch(/^cnm: sandbox "d" already exists/);
  });

  it('--state-dir and CNM_STATE_DIR choose where state lives', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'elsewhere', '--state-dir', '/run/cnm-alt']);
    expect(host.exec(['test', '-s', '/run/cnm-alt/state.json']).code).toBe(0);
    expect(host.cnmOk(['net', 'ls', '-q'], { env: { CNM_STATE_DIR: '/run/cnm-alt' } }).trim().split('\n')).toHaveLength(4);
  });
});
