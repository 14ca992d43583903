/**
 * Issue 10, the state side: a state file that is not a regular file, --pid of
 * a host process, inputs the kernel would refuse half-way, a full disk at each
 * write of a run, and several state dirs on one host. Every case runs in a
 * throwaway host and checks that what failed changed nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CNM, Host, type Result, destroyAll, json } from '../helpers/host.js';

afterAll(destroyAll);

/** What a failed command must leave as it was: links, addresses, routes, namespaces, rules, cnm's files. */
function snapshot(host: Host, stateDir = '/var/lib/cnm'): string {
  const script = [
    "ip -o link | sed -E 's/state [A-Z]+//; s/(NO-CARRIER|LOWER_UP),?//g'",
    "ip -o addr | awk '{print $2, $3, $4}'",
    "ip route | sed 's/ linkdown//'",
    'ip netns list',
    'nft list ruleset',
    `ls -R /etc/netns ${stateDir}`,
    `[ -f ${stateDir}/state.json ] && cat ${stateDir}/state.json`,
  ].join('; echo --; ');
  return host.sh(script).stdout;
}

/** One line on stderr, "cnm: ...", and no stack. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cnm: /);
  expect(stderr).not.toMatch(/internal error|    at /);
  return lines[0]!;
}

describe('a state file that is not a regular file', () => {
  it('a FIFO at state.json or intent.json is refused at once, and nothing is created', async () => {
    const host = await Host.create();
    host.sh('mkfifo /var/lib/cnm/state.json && touch /var/lib/cnm/state.lock');
    const before = snapshot(host);
    for (const args of [['net', 'ls'], ['net', 'create', 'a'], ['sandbox', 'add', 's1']]) {
      const r = host.cnm(args, { timeoutMs: 10_000 });
      expect(r.code, `cnm ${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(oneLine(r.stderr)).toMatch(/state\.json is not a regular file/);
    }
    expect(snapshot(host)).toBe(before);

    // The same for a FIFO where the intent record of an interrupted run would be.
    host.sh('rm /var/lib/cnm/state.json && mkfifo /var/lib/cnm/intent.json');
    const r = host.cnm(['net', 'create', 'b'], { timeoutMs: 10_000 });
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/intent\.json is not a regular file/);
    expect(host.exec(['ip', '-o', 'link']).stdout).not.toMatch(/cnm/);
  });
});

describe('--pid or --netns of cnm\'s own namespace', () => {
  it('refuses an ordinary host process (exit 2): the host keeps its uplink and default route', async () => {
    const host = await Host.create();
    host.sh('ip link add eth0 type veth peer name peer0 && ip addr add 198.51.100.2/24 dev eth0 && ip link set eth0 up && ip link set peer0 up && ip route add default via 198.51.100.1');
    host.cnmOk(['net', 'create', 'base', '--subnet', '10.88.0.0/24']);
    // An ordinary process of the host (destroy() ends it with the host).
    const pid = host.sh('sleep 300 >/dev/null 2>&1 & echo $!').stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    expect(host.sh(`readlink /proc/${pid}/ns/net`).stdout).toBe(host.sh('readlink /proc/self/ns/net').stdout);
    host.sh(`touch /run/hostns && mount --bind /proc/${pid}/ns/net /run/hostns`);
    const before = snapshot(host);
    for (const args of [
      ['sandbox', 'add', 'oops', '--network', 'base', '--pid', pid],
      ['sandbox', 'add', 'oops', '--network', 'base', '--netns', `/proc/${pid}/ns/net`],
      ['sandbox', 'add', 'oops', '--network', 'base', '--netns', '/run/hostns'],
    ]) {
      const r = host.cnm(args);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr)).toMatch(/cnm's own network namespace/);
    }
    expect(snapshot(host)).toBe(before);
    expect(host.exec(['ip', 'route', 'show', 'default']).stdout).toMatch(/via 198\.51\.100\.1 dev eth0/);
    expect(host.exec(['ping', '-c1', '-W2', '198.51.100.2']).code).toBe(0);
  });
});

describe('inputs the kernel would refuse half-way are refused up front', () => {
  const shared = (async () => {
    const host = await Host.create();
    host.sh('ip link add up0 type veth peer name up1 && ip link set up0 up');
    host.cnmOk(['net', 'create', 'base', '--subnet', '10.0.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'first', '--network', 'base', '--mac', '02:42:0a:00:00:99']);
    return host;
  })();
  it.each([
    [['net', 'create', 'm1', '--mtu', '68', '--ipv6'], 2, /--mtu 68: an IPv6 network needs 1280/],
    [['net', 'create', 'm2', '--mtu', '1279', '--ipv6'], 2, /--mtu 1279: an IPv6 network needs 1280/],
    [['net', 'create', 'm3', '--ipv6', '--mtu', '1000'], 2, /needs 1280/],
    [['net', 'create', 'm4', '--mtu', '68'], 2, /a bridge network .* needs 1280/],
    [['net', 'create', 'm5', '--mtu', '67', '--driver', 'macvlan', '--parent', 'up0'], 2, /IPv4 needs 68/],
    [['net', 'create', 's1', '--subnet', '::/0', '--ipv6'], 2, /subnet ::\/0 .*overlaps/],
    [['net', 'create', 's2', '--subnet', '127.0.0.0/8'], 2, /loopback/],
    [['net', 'create', 's3', '--subnet', '224.1.0.0/16'], 2, /multicast/],
    [['net', 'create', 's4', '--subnet', '169.254.0.0/16'], 2, /link-local/],
    [['net', 'create', 's5', '--subnet', 'fe80::/64', '--ipv6'], 2, /link-local/],
    [['net', 'create', 's6', '--subnet', 'ff05::/64', '--ipv6'], 2, /multicast/],
    [['net', 'create', 's7', '--subnet', '0.0.0.0/0'], 2, /overlaps/],
    [['sandbox', 'add', 'dup', '--network', 'base', '--mac', '02:42:0a:00:00:99'], 4, /MAC address 02:42:0a:00:00:99 is already used on network "base" by sandbox "first"/],
    [['sandbox', 'add', 'pub', '--network', 'base', '-p', '203.0.113.99:8082:80'], 2, /203\.0\.113\.99 is not an address of this host/],
  ])('cnm %j exits %i with one line and changes nothing', async (args, code, msg) => {
    const host = await shared;
    const before = snapshot(host);
    const r = host.cnm(args);
    expect(r.code, r.stderr).toBe(code);
    expect(oneLine(r.stderr)).toMatch(msg);
    expect(snapshot(host)).toBe(before);
  });

  it('what the checks still allow works: an IPv6 network at --mtu 1280, a port on a host address, a MAC that an address would have derived', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'v6', '--ipv6', '--mtu', '1280', '--subnet', '10.1.0.0/24', '--subnet', 'fd00:1::/64']);
    // 02:42:0a:01:00:03 is what 10.1.0.3 would derive: the endpoint that gets .3 takes another MAC.
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'v6', '--mac', '02:42:0a:01:00:03', '-p', '127.0.0.1:8083:80']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'v6']);
    const st = json<{ endpoints: { mac: string; ipv4: string }[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout);
    expect(new Set(st.endpoints.map((e) => e.mac)).size).toBe(2);
    expect(host.exec(['ip', 'netns', 'exec', 'a', 'ip', 'link', 'show', 'eth0']).stdout).toMatch(/mtu 1280/);
    expect(host.exec(['ip', 'netns', 'exec', 'a', 'ping', '-c1', '-W2', '-s', '1232', 'fd00:1::3']).code).toBe(0);
    expect(host.exec(['ip', 'netns', 'exec', 'b', 'ping', '-c1', '-W2', '10.1.0.2']).code).toBe(0);
  });
});

/**
 * Runs cnm in the host paused before its state write (CNM_PAUSE_AT by label),
 * calls `meanwhile` there, and resolves with how the run ended. The pause
 * lasts until `meanwhile` is done (CNM_PAUSE_UNTIL: a file created after it),
 * not a fixed time: under load, filling the disk can take longer than any
 * fixed pause, and the run would then write its state before the disk is full.
 */
function pausedAtStateWrite(host: Host, args: string[], meanwhile: () => void): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'cnm-pause-'));
  const go = join(dir, 'go');
  return new Promise<Result>((ok, fail) => {
    const child = spawn('nsenter', ['-t', String(host.pid), '-n', '-m', '--', CNM, ...args], {
      env: { ...process.env, CNM_PAUSE_AT: 'write state', CNM_PAUSE_UNTIL: go, CNM_PAUSE_MS: '40000', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let paused = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`cnm ${args.join(' ')} did not finish: ${stderr}`));
    }, 50_000);
    child.stdout!.on('data', (d) => (stdout += String(d)));
    child.stderr!.on('data', (d) => {
      stderr += String(d);
      if (!paused && /cnm: pause write state: write state\n/.test(stderr)) {
        paused = true;
        try {
          meanwhile();
        } finally {
          writeFileSync(go, '');
        }
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!paused) fail(new Error(`cnm ${args.join(' ')} never reached its state write: ${stderr}`));
      // The pause notice is the hook's, not the command's.
      else ok({ code, stdout, stderr: stderr.replace(/^cnm: pause .*\n/m, '') });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe('a full disk under the state dir', () => {
  /** A host whose /var/lib/cnm is a 512 KiB tmpfs with a network and a sandbox, and an empty filler file. */
  async function smallDisk(): Promise<Host> {
    const host = await Host.create();
    host.sh('mount -o remount,size=512k /var/lib/cnm && touch /var/lib/cnm/fill');
    host.cnmOk(['net', 'create', 'n1', '--subnet', '10.9.0.0/24']);
    host.cnmOk(['sandbox', 'add', 's1', '--network', 'n1']);
    return host;
  }
  /** Fills the state dir's disk to the last page (dd stops at ENOSPC). */
  const fill = (host: Host) => host.sh('dd if=/dev/zero of=/var/lib/cnm/fill bs=4k oflag=append conv=notrunc 2>/dev/null; sync');
  const free = (host: Host) => host.sh(': > /var/lib/cnm/fill');
  const temps = (host: Host) => host.sh('ls -a /var/lib/cnm | grep -c tmp- || true').stdout.trim();

  it.each([
    ['sandbox add', ['sandbox', 'add', 's2', '--network', 'n1']],
    ['net create', ['net', 'create', 'n2']],
  ])('%s with the disk full before it starts: one line, nothing changed, and the retry works', async (_what, args) => {
    const host = await smallDisk();
    const before = snapshot(host);
    fill(host);
    const r = host.cnm(args);
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/no space left on device/);
    expect(snapshot(host)).toBe(before);
    expect(temps(host)).toBe('0');
    free(host);
    host.cnmOk(args);
    if (args[0] === 'sandbox') expect(host.exec(['ip', 'netns', 'exec', 's2', 'ping', '-c1', '-W2', '10.9.0.2']).code).toBe(0);
    await host.destroy();
  });

  it.each([
    ['sandbox add', ['sandbox', 'add', 's2', '--network', 'n1', '-p', '8080:80']],
    ['net create', ['net', 'create', 'n2']],
  ])('%s with the disk filling up before its state write: its kernel work is rolled back, and the retry works', async (_what, args) => {
    const host = await smallDisk();
    const before = snapshot(host);
    // Should the run have reserved its state write's space, take that away too.
    const r = await pausedAtStateWrite(host, args, () => {
      fill(host);
      host.sh('for f in /var/lib/cnm/state.json.tmp-*; do [ -f "$f" ] && : > "$f"; done; true');
      fill(host);
    });
    expect(r.code, r.stderr).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/cannot write \/var\/lib\/cnm\/state\.json: no space left on device.*nothing was saved/);
    expect(snapshot(host)).toBe(before);
    expect(temps(host)).toBe('0');
    expect(host.exec(['ls', '/var/lib/cnm']).stdout).not.toMatch(/intent/);
    free(host);
    host.cnmOk(args);
    if (args[0] === 'sandbox') expect(host.exec(['ip', 'netns', 'exec', 's2', 'ping', '-c1', '-W2', '10.9.0.2']).code).toBe(0);
    await host.destroy();
  }, 120_000); // a bound for a loaded machine (it took 52 s at load 30), not a timing

  it('a teardown whose disk fills up before its state write still completes: its space was reserved first', async () => {
    const host = await smallDisk();
    const r = await pausedAtStateWrite(host, ['sandbox', 'rm', 's1'], () => fill(host));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(host.exec(['ip', 'netns', 'list']).stdout.trim()).toBe('');
    expect(json<{ sandboxes: unknown[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).sandboxes).toEqual([]);
    expect(temps(host)).toBe('0');
    await host.destroy();
  }, 120_000);

  it('with zero free pages every command says one line, never a stack; temp files a killed run left are swept', async () => {
    const host = await smallDisk();
    fill(host);
    // What killed runs leave (empty here: the disk is full).
    host.sh('touch /var/lib/cnm/state.json.tmp-999999 /var/lib/cnm/intent.json.tmp-999998');
    for (const args of [
      ['net', 'ls'],
      ['sandbox', 'ls'],
      ['net', 'create', 'n3'],
      ['sandbox', 'add', 's3'],
      ['sandbox', 'rm', 's1'],
      ['endpoint', 'connect', 's1', 'bridge'],
      ['endpoint', 'disconnect', 's1', 'n1'],
      ['net', 'rm', 'n1', '--force'],
      ['net', 'prune'],
      ['reconcile'],
    ]) {
      const r = host.cnm(args);
      expect(r.stderr, `cnm ${args.join(' ')}`).not.toMatch(/internal error|    at /);
      if (r.code !== 0) oneLine(r.stderr);
    }
    // The sandbox is whole: its namespace, its address, its state.
    expect(host.exec(['ip', 'netns', 'exec', 's1', 'ping', '-c1', '-W2', '10.9.0.1']).code).toBe(0);
    expect(host.cnmOk(['sandbox', 'ls', '-q']).trim().split('\n')).toHaveLength(1);
    // The first locked run with room to write swept what the killed runs left.
    free(host);
    host.cnmOk(['net', 'create', 'n3']);
    expect(temps(host)).toBe('0');
  });
});

describe('several state dirs on one host', () => {
  const B = ['--state-dir', '/run/cnm-b'];
  /** The seeds' three-tier example under a state dir, its sandboxes' names ending in `sfx`. */
  function threeTierIn(host: Host, sfx: string, dir: string[]): void {
    host.cnmOk(['net', 'create', 'frontend', ...dir]);
    host.cnmOk(['net', 'create', 'backend', ...dir]);
    host.cnmOk(['sandbox', 'add', `web${sfx}`, '--network', 'frontend', ...dir]);
    host.cnmOk(['sandbox', 'add', `api${sfx}`, '--network', 'frontend', '--network', 'backend', ...dir]);
    host.cnmOk(['sandbox', 'add', `db${sfx}`, '--network', 'backend', ...dir]);
    host.cnmOk(['sandbox', 'add', `plain${sfx}`, ...dir]);
  }
  const pings = (host: Host, from: string, to: string) => host.exec(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W2', to]).code === 0;
  type Nets = Record<string, { IPAddress: string }>;
  /** A sandbox's addresses per network, from `sandbox inspect` (Networks, or docker's NetworkSettings.Networks). */
  const addrOf = (host: Host, sb: string, dir: string[] = []): Nets => {
    const [doc] = json<{ Networks?: Nets; NetworkSettings?: { Networks: Nets } }[]>(host.cnmOk(['sandbox', 'inspect', sb, ...dir]));
    return doc!.NetworkSettings?.Networks ?? doc!.Networks!;
  };
  /** Both three-tier apps work: names resolve, tiers talk, isolation holds, the default bridges reach their gateways. */
  function bothWork(host: Host): void {
    for (const sfx of ['', '-b']) {
      expect(pings(host, `web${sfx}`, `api${sfx}`), `web${sfx} -> api${sfx}`).toBe(true);
      expect(pings(host, `db${sfx}`, `api${sfx}`), `db${sfx} -> api${sfx}`).toBe(true);
    }
    const dbA = addrOf(host, 'db').backend!.IPAddress;
    const webB = addrOf(host, 'web-b', B).frontend!.IPAddress;
    expect(pings(host, 'web', dbA), 'web -> db (other network)').toBe(false);
    expect(pings(host, 'web', webB), 'web -> web-b (other state dir)').toBe(false);
    expect(pings(host, 'web-b', dbA), 'web-b -> db (other state dir)').toBe(false);
  }

  it('two state dirs run the three-tier example side by side; a third, empty one reconciles nothing of theirs', async () => {
    const host = await Host.create();
    threeTierIn(host, '', []);
    threeTierIn(host, '-b', B);
    // Distinct names for the same network names, and each default bridge its own name and subnet.
    const nets = (dir: string[]) => json<{ Name: string; Id: string; IPAM: { Config: { Subnet: string }[] }; Options: Record<string, string> }[]>(host.cnmOk(['net', 'inspect', 'bridge', 'frontend', 'backend', ...dir]));
    const a = nets([]);
    const b = nets(B);
    expect(a[0]!.Options['com.docker.network.bridge.name']).toBe('cnm0');
    expect(b[0]!.Options['com.docker.network.bridge.name']).toMatch(/^cnm-[0-9a-f]{11}$/);
    const subnets = [...a, ...b].map((n) => n.IPAM.Config[0]!.Subnet);
    expect(new Set(subnets).size).toBe(6);
    expect(pings(host, 'plain', addrOf(host, 'plain').bridge!.IPAddress.replace(/\.\d+$/, '.1'))).toBe(true);
    expect(pings(host, 'plain-b', addrOf(host, 'plain-b', B).bridge!.IPAddress.replace(/\.\d+$/, '.1'))).toBe(true);
    expect(host.exec(['ip', 'netns', 'exec', 'web-b', 'getent', 'hosts', 'api-b']).stdout).toContain(addrOf(host, 'api-b', B).frontend!.IPAddress);
    expect(host.exec(['ip', 'netns', 'exec', 'web', 'getent', 'hosts', 'api']).stdout).toContain(addrOf(host, 'api').frontend!.IPAddress);
    bothWork(host);

    // A mistyped state dir, and each state dir's own reconcile: nothing of the others' is touched.
    const before = host.sh("ip -o link | awk '{print $2}'; ip netns list; nft list ruleset").stdout;
    for (const dir of [['--state-dir', '/run/cmn'], [], B]) {
      const r = host.cnm(['reconcile', ...dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/nothing to do/);
    }
    expect(host.sh("ip -o link | awk '{print $2}'; ip netns list; nft list ruleset").stdout).toBe(before);
    bothWork(host);
  });

  it('reconcile of a state dir that lost its state removes its own objects only, and never a namespace with processes in it', async () => {
    const host = await Host.create();
    threeTierIn(host, '', []);
    threeTierIn(host, '-b', B);
    host.sh('ip netns exec db-b sleep 300 >/dev/null 2>&1 &');
    host.sh('mv /run/cnm-b/state.json /run/cnm-b/state.json.away');
    const r = host.cnm(['reconcile', ...B]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/namespace db-b: .*processes run in it/);
    const left = host.exec(['ip', 'netns', 'list']).stdout;
    expect(left).toMatch(/^db-b/m);
    for (const sb of ['web-b', 'api-b', 'plain-b']) expect(left).not.toMatch(new RegExp(`^${sb}\\b`, 'm'));
    for (const sb of ['web', 'api', 'db', 'plain']) expect(left).toMatch(new RegExp(`^${sb}\\b`, 'm'));
    // The default state dir's app is whole and its reconcile finds nothing to do.
    expect(pings(host, 'web', 'api')).toBe(true);
    expect(pings(host, 'db', 'api')).toBe(true);
    expect(host.cnmOk(['reconcile'])).toMatch(/nothing to do/);
  });
});

describe('the working directory cnm runs in', () => {
  it('a bunfig.toml or .env there changes nothing: no preloaded code runs, no variable is read from it', async () => {
    const host = await Host.create('cwd');
    // The Bun runtime inside the binary would read both from the working directory (its defaults for
    // --compile): a preload runs code as root, a .env would move the state dir.
    host.sh(
      [
        'mkdir -p /run/cwd && cd /run/cwd',
        `echo 'require("fs").writeFileSync("/run/preloaded", "x")' > evil.js`,
        `echo 'preload = ["./evil.js"]' > bunfig.toml`,
        'echo CNM_STATE_DIR=/run/elsewhere > .env',
      ].join('\n'),
    );
    const r = host.sh(`cd /run/cwd && ${CNM} net create n1 && ${CNM} sandbox add s1 --network n1 && ${CNM} --version`);
    expect(r.code, r.stderr).toBe(0);
    expect(host.sh('ls /run').stdout.split('\n')).not.toContain('preloaded');
    expect(host.sh('ls /run').stdout.split('\n')).not.toContain('elsewhere');
    expect(json<{ sandboxes: { name: string }[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).sandboxes.map((s) => s.name)).toEqual(['s1']);
  });
});
