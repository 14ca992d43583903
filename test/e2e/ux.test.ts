/**
 * The shell-native side: completions (bash for real, zsh and fish parse, fish
 * for real), the man page, cnm graph (text and DOT), --json / -q / --format, colour only on a
 * TTY without NO_COLOR, --debug, errors that say what to do, cnm doctor.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json, threeTier, waitFor } from '../helpers/host.js';
import { kernelShape, snapshot } from '../helpers/shape.js';

const ROOT = join(__dirname, '../..');
const PATHS = `PATH=${dirname(CNM)}:/usr/sbin:/usr/bin:/sbin:/bin`;
const ESC = '\u001b[';

afterAll(destroyAll);

/** Runs a bash completion of `line` (the last word is completed) inside the host. */
function bashComplete(host: Host, words: string[]): string[] {
  const arr = words.map((w) => `'${w}'`).join(' ');
  const r = host.sh(`export ${PATHS}; source ${ROOT}/completions/cnm.bash; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _cnm; printf '%s\\n' "\${COMPREPLY[@]}"`);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * Runs zsh's completion function for each line (its words; the last is completed) inside the host,
 * with _describe and compadd stubbed to print what they are handed: one "describe: ..." or
 * "compadd: ..." line each.
 */
function zshComplete(host: Host, lines: string[]): string[] {
  const r = host.exec(['zsh', '-f', '-c', [
    `export ${PATHS}`,
    'compdef() { :; }',
    '_describe() { print -r -- "describe: ${(P)${@[-1]}}"; }',
    'compadd() { print -r -- "compadd: ${(P)${@[-1]}}"; }',
    `source ${ROOT}/completions/_cnm`,
    't() { words=("$@"); CURRENT=$#; _cnm; }',
    ...lines.map((l) => `t ${l}`),
  ].join('\n')]);
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

/** What fish's `complete -C LINE` offers inside the host, sorted. */
function fishComplete(host: Host, line: string): string[] {
  return host.exec(['fish', '-c', `set -x PATH ${dirname(CNM)} $PATH; source ${ROOT}/completions/cnm.fish; complete -C '${line}'`]).stdout.split('\n').filter(Boolean).sort();
}

describe('completions', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'frontend']);
    host.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend']);
  });

  it('bash completes subcommands, options, and live network and sandbox names', () => {
    expect(bashComplete(host, ['cnm', 'net', 'cr'])).toEqual(['create']);
    expect(bashComplete(host, ['cnm', 'network', 'ls', '--js'])).toEqual(['--json']);
    expect(bashComplete(host, ['cnm', 'net', 'rm', ''])).toContain('frontend');
    expect(bashComplete(host, ['cnm', 'net', 'rm', 'fr'])).toEqual(['frontend']);
    expect(bashComplete(host, ['cnm', 'sandbox', 'add', 'x', '--network', 'f'])).toEqual(['frontend']);
    expect(bashComplete(host, ['cnm', 'endpoint', 'connect', 'w'])).toEqual(['web']);
    expect(bashComplete(host, ['cnm', 'endpoint', 'connect', 'web', 'fr'])).toEqual(['frontend']);
    expect(bashComplete(host, ['cnm', 'net', 'create', 'x', '--driver', 'mac'])).toEqual(['macvlan']);
    expect(bashComplete(host, ['cnm', ''])).toEqual(expect.arrayContaining(['net', 'sandbox', 'endpoint', 'graph', 'doctor', 'completion']));
  });

  it('bash offers what the command can take: a sandbox\'s own networks to disconnect, no built-in to remove', () => {
    host.cnmOk(['net', 'create', 'backend']);
    expect(bashComplete(host, ['cnm', 'endpoint', 'disconnect', 'web', ''])).toEqual(['frontend']);
    host.cnmOk(['endpoint', 'connect', 'web', 'backend']);
    expect(bashComplete(host, ['cnm', 'endpoint', 'disconnect', 'web', '']).sort()).toEqual(['backend', 'frontend']);
    expect(bashComplete(host, ['cnm', 'endpoint', 'disconnect', 'nosuch', ''])).toEqual([]);
    // Every network is still offered where built-ins make sense.
    expect(bashComplete(host, ['cnm', 'endpoint', 'connect', 'web', '']).sort()).toEqual(['backend', 'bridge', 'frontend', 'host', 'none']);
    expect(bashComplete(host, ['cnm', 'net', 'rm', '']).sort()).toEqual(['backend', 'frontend']);
    expect(bashComplete(host, ['cnm', 'network', 'rm', 'frontend', '']).sort()).toEqual(['backend', 'frontend']);
    host.cnmOk(['endpoint', 'disconnect', 'web', 'backend']);
    host.cnmOk(['net', 'rm', 'backend']);
  });

  it('zsh and fish offer what the command can take too: a sandbox\'s own networks to disconnect, no built-in to remove', () => {
    host.cnmOk(['net', 'create', 'backend']);
    host.cnmOk(['net', 'create', 'spare']);
    host.cnmOk(['endpoint', 'connect', 'web', 'backend']);
    // One compadd per line (a sandbox that does not exist gets an empty one), its words sorted.
    const offered = zshComplete(host, ["cnm endpoint disconnect web ''", "cnm endpoint disconnect nosuch ''", "cnm net rm ''", "cnm endpoint connect web ''"]);
    expect(offered.map((l) => l.replace(/^compadd: ?/, '').split(' ').sort().join(' '))).toEqual(['backend frontend', '', 'backend frontend spare', 'backend bridge frontend host none spare']);
    expect(fishComplete(host, 'cnm endpoint disconnect web ')).toEqual(['backend', 'frontend']);
    expect(fishComplete(host, 'cnm endpoint disconnect nosuch ')).toEqual([]);
    expect(fishComplete(host, 'cnm net rm ')).toEqual(['backend', 'frontend', 'spare']);
    expect(fishComplete(host, 'cnm network rm frontend ')).toEqual(['backend', 'frontend', 'spare']);
    expect(fishComplete(host, 'cnm endpoint connect web ')).toEqual(['backend', 'bridge', 'frontend', 'host', 'none', 'spare']);
    host.cnmOk(['endpoint', 'disconnect', 'web', 'backend']);
    host.cnmOk(['net', 'rm', 'backend', 'spare']);
  });

  it('zsh and fish scripts parse', () => {
    for (const [sh, file] of [['zsh', '_cnm'], ['fish', 'cnm.fish']]) {
      const r = spawnSync(sh!, ['-n', join(ROOT, 'completions', file!)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('zsh completes through its completion functions (stubbed) with live names', () => {
    const lines = zshComplete(host, ['cnm net cr', "cnm net rm ''", "cnm endpoint connect ''"]);
    expect(lines[0]).toMatch(/^describe: create:Create a network /);
    expect(lines[1]).toMatch(/^compadd: .*\bfrontend\b/);
    expect(lines[2]).toBe('compadd: web');
  });

  it('fish completes commands with descriptions and live names', () => {
    const r = host.exec(['fish', '-c', `set -x PATH ${dirname(CNM)} $PATH; source ${ROOT}/completions/cnm.fish; complete -C 'cnm net cr'; complete -C 'cnm sandbox rm '`]);
    expect(r.stdout).toContain('create\tCreate a network');
    expect(r.stdout.split('\n')).toContain('web');
  });

  it('cnm completion SHELL prints the committed scripts', () => {
    for (const [shell, file] of [['bash', 'cnm.bash'], ['zsh', '_cnm'], ['fish', 'cnm.fish']]) {
      expect(host.cnmOk(['completion', shell!])).toBe(readFileSync(join(ROOT, 'completions', file!), 'utf8'));
    }
    const bad = host.cnm(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^cnm: .*\n$/);
  });
});

describe('man page', () => {
  it('renders without warnings and documents every command', () => {
    const r = spawnSync('man', ['--warnings', '-l', join(ROOT, 'man/cnm.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const s of ['cnm net create', 'cnm sandbox add', 'cnm endpoint connect', 'cnm graph', 'cnm doctor', 'EXIT STATUS', 'FILES', 'CONCEPTS', 'EXAMPLES']) expect(r.stdout).toContain(s);
  });
});

describe('graph, --json, -q, --format on the three-tier example', () => {
  let host: Host;
  const addrs: string[] = [];
  beforeAll(async () => {
    host = await Host.create();
    threeTier(host);
    addrs.push(...host.cnmOk(['endpoint', 'ls', '--format', '{{.IPv4Address}}']).trim().split('\n'));
  });

  it('cnm graph draws each network, bridge, veth, sandbox and address', () => {
    const g = host.cnmOk(['graph']);
    for (const n of ['network frontend', 'network backend', 'sandbox web', 'sandbox api', 'sandbox db']) expect(g).toContain(n);
    expect(addrs.length).toBe(4);
    for (const a of addrs) expect(g).toContain(a);
    for (const v of json<{ HostInterface: string }[]>(host.cnmOk(['endpoint', 'ls', '--json']))) expect(g).toContain(v.HostInterface);
    for (const b of host.cnmOk(['net', 'ls', '--format', '{{index .Options "com.docker.network.bridge.name"}}']).trim().split('\n')) {
      if (b.startsWith('cnm-')) expect(g).toContain(`bridge ${b}`);
    }
  });

  it('--network limits the picture', () => {
    const g = host.cnmOk(['graph', '--network', 'backend']);
    expect(g).toContain('sandbox db');
    expect(g).not.toContain('sandbox web');
    const r = host.cnm(['graph', '--network', 'nope']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`cnm: network "nope" not found; see 'cnm net ls'\n`);
  });

  it('--dot is accepted by dot -Tsvg', () => {
    const dot = host.cnmOk(['graph', '--dot']);
    const svg = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
    expect(svg.stderr).toBe('');
    expect(svg.status).toBe(0);
    expect(svg.stdout).toContain('<svg');
    for (const s of ['web', 'api', 'db', 'frontend', 'backend']) expect(svg.stdout).toContain(s);
  });

  it('ls --json is one JSON document; -q prints IDs only; --format picks fields', () => {
    for (const noun of ['net', 'sandbox', 'endpoint']) {
      expect(Array.isArray(json(host.cnmOk([noun, 'ls', '--json'])))).toBe(true);
      for (const l of host.cnmOk([noun, 'ls', '-q']).trim().split('\n')) expect(l).toMatch(/^[0-9a-f]{12}$/);
    }
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}'])).toBe('web\napi\ndb\n');
    expect(host.cnmOk(['endpoint', 'ls', 'backend', '--format', '{{.Sandbox}} {{.IPv4Address}}'])).toMatch(/^api 172\.\d+\.0\.\d+\/16\ndb 172\.\d+\.0\.\d+\/16\n$/);
    expect(host.cnmOk(['net', 'inspect', 'frontend', 'backend', '--format', '{{.Name}} {{len .Containers}}'])).toBe('frontend 2\nbackend 2\n');
    expect(host.cnmOk(['sandbox', 'inspect', 'api', '--format', '{{join .HostConfig.Dns ","}}{{.Name}}'])).toBe('api\n');
    expect(host.cnmOk(['inspect', 'db', '--format', '{{.Type}}'])).toBe('sandbox\n');
  });

  it('a bad --format template is bad usage: exit 2, one line', () => {
    const r = host.cnm(['net', 'ls', '--format', '{{.Name']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^cnm: invalid --format "\{\{\.Name": unclosed "\{\{"\n$/);
  });

  it('no ANSI escape when stdout is not a TTY, or with NO_COLOR on a TTY; colour on a TTY without it', () => {
    const cmds = [['net', 'ls'], ['sandbox', 'ls'], ['endpoint', 'ls'], ['graph'], ['doctor'], ['net', 'inspect', 'frontend'], ['--help'], ['net', 'create', '--help']];
    for (const c of cmds) {
      const r = host.cnm(c, { env: { NO_COLOR: '' } }); // piped, NO_COLOR empty (unset for our check)
      expect(r.stdout + r.stderr, c.join(' ')).not.toContain(ESC);
    }
    const tty = (cmd: string, noColor: boolean) =>
      host.sh(`${noColor ? 'export NO_COLOR=1' : 'unset NO_COLOR'}; export TERM=xterm-256color; script -qec ${JSON.stringify(`${CNM} ${cmd}`)} /dev/null`).stdout;
    for (const c of ['net ls', 'graph', 'doctor', 'sandbox ls']) {
      expect(tty(c, true), c).not.toContain(ESC);
      expect(tty(c, false), c).toContain(ESC);
    }
  });

  it('--debug logs each kernel command with its duration on stderr', () => {
    const r = host.cnm(['net', 'create', 'dbg', '--debug']);
    expect(r.code).toBe(0);
    // Line ops: rtnetlink in-process in the binary (ip -batch with CNM_NETLINK=0), with the same lines under it.
    expect(r.stderr).toMatch(/^\+ netlink ip +\(\d+\.\d ms, done\)\n {2}\| link add /m);
    expect(host.cnm(['net', 'create', 'dbg2', '--debug'], { env: { CNM_NETLINK: '0' } }).stderr).toMatch(/^\+ ip .*-batch - +\(\d+\.\d ms, exit 0\)$/m);
    host.cnmOk(['net', 'rm', 'dbg2']);
    expect(r.stderr).toMatch(/^\+ nft -f - +\(\d+\.\d ms, exit 0\)$/m);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    host.cnmOk(['net', 'rm', 'dbg']);
  });

  it('errors say what to do next', () => {
    const r = host.cnm(['sandbox', 'rm', 'ghost']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`cnm: sandbox "ghost" not found; see 'cnm sandbox ls'\n`);
  });
});

describe('cnm --version', () => {
  // main.ts answers it without loading the CLI; the words are clipanion's builtin's (version.ts).
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  it('prints the version and nothing else, spelled --version or -v; with more words it is the CLI\'s to refuse', () => {
    for (const flag of ['--version', '-v']) {
      const r = spawnSync(CNM, [flag], { encoding: 'utf8' });
      expect([r.status, r.stdout, r.stderr], flag).toEqual([0, `${version}\n`, '']);
    }
    const r = spawnSync(CNM, ['--version', 'x'], { encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', `cnm: unknown command "x"; see 'cnm --help'\n`]);
  });

  it('a stdout it cannot write is one line and exit 1', () => {
    const r = spawnSync('sh', ['-c', `"${CNM}" --version > /dev/full`], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([1, 'cnm: cannot write to stdout: no space left on device, write\n']);
  });
});

describe('cnm doctor', () => {
  it('passes all that bridge networks need on this kernel; ipvlan and 8021q (optional) are warnings with a fix; exits 0; probes leave the host untouched', async () => {
    const host = await Host.create();
    const before = snapshot(host);
    const r = host.cnm(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const warns = r.stdout.split('\n').filter((l) => l.startsWith('WARN'));
    expect(warns).toEqual([expect.stringMatching(/^WARN {2}kernel: ipvlan +.*Unknown device type/), expect.stringMatching(/^WARN {2}kernel: 8021q +.*Unknown device type/)]);
    expect(r.stdout).toContain('fix: load the module (modprobe ipvlan)');
    expect(r.stdout).toContain('fix: load the module (modprobe 8021q)');
    expect(r.stdout).toMatch(/all \d+ required checks passed; 2 optional features missing \(warnings\)\n$/);
    for (const f of ['bridge', 'veth', 'vxlan', 'macvlan', 'nf_tables']) expect(r.stdout).toMatch(new RegExp(`^PASS {2}kernel: ${f} `, 'm'));
    expect(r.stdout).toMatch(/^PASS {2}tool: ip .*iproute2 \d/m);
    expect(r.stdout).toMatch(/^PASS {2}tool: nft .*nftables \d/m);
    expect(snapshot(host)).toBe(before);
    const checks = json<{ name: string; ok: boolean; fix: string; optional?: boolean }[]>(host.cnm(['doctor', '--json']).stdout);
    expect(checks.filter((c) => !c.ok).map((c) => [c.name, c.optional])).toEqual([['kernel: ipvlan', true], ['kernel: 8021q', true]]);

    host.exec(['sh', '-c', 'echo "{not json" > /var/lib/cnm/state.json']);
    const bad = host.cnm(['doctor']);
    expect(bad.stdout).toMatch(/^FAIL {2}state: readable/m);
    expect(bad.code).toBe(1);
  });
});

describe('a tool missing from PATH', () => {
  it('is named with the package that has it; nothing is left half-made', async () => {
    const host = await Host.create();
    const r = host.exec(['env', 'PATH=/nonexistent', CNM, 'net', 'create', 'n1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cnm: nft -f - failed (exit 127): nft: command not found (install it: apt-get install nftables)\n');
    expect(host.exec(['ip', '-o', 'link']).stdout.trim().split('\n')).toHaveLength(1); // lo only
    host.cnmOk(['net', 'create', 'n1']);
    // A plain sandbox add needs no tool in the binary (netlink); a published port still runs nft.
    const s = host.exec(['env', 'PATH=/nonexistent', CNM, 'sandbox', 'add', 's1', '--network', 'n1', '-p', '8080:80']);
    expect(s.stderr).toMatch(/^cnm: .*(ip|nft): command not found \(install it: apt-get install (iproute2|nftables)\)\n$/);
    expect(host.exec(['ip', 'netns', 'list']).stdout).toBe('');
  });
});

describe('a kernel without IPv6 (booted with ipv6.disable=1)', () => {
  it('bridge networks skip their IPv6 settings and carry IPv4; an IPv6 network is refused in one line', async () => {
    const host = await Host.create();
    // What cnm sees of such a kernel: no net.ipv6 settings (only this host's mount namespace sees the tmpfs).
    host.sh('mount -t tmpfs -o ro,mode=555 none /proc/sys/net/ipv6');
    expect(host.cnmOk(['doctor'])).toMatch(/PASS +IPv6 +this kernel has none .*IPv4 networks only/);
    const dry = host.cnmOk(['--dry-run', 'net', 'create', 'n4', '--subnet', '10.77.0.0/24']);
    expect(dry).toContain('ip link add');
    expect(dry).not.toMatch(/net\.ipv6|addrgenmode/);
    host.cnmOk(['net', 'create', 'n4', '--subnet', '10.77.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'n4']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'n4']);
    // b by name: the embedded DNS answers too.
    expect(await waitFor(() => host.cnm(['sandbox', 'exec', 'a', '--', 'ping', '-c1', '-W2', 'b']).code === 0, 20_000, 200)).toBe(true);
    // The kernel and the state (not /run/cnm, where the DNS server may still be settling).
    const shape = () => `${kernelShape(host)}\n${host.exec(['cat', '/var/lib/cnm/state.json']).stdout}`;
    const before = shape();
    for (const argv of [['net', 'create', 'n6', '--ipv6'], ['net', 'create', 'n6', '--subnet', 'fd00:77::/64']]) {
      const r = host.cnm(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('cnm: this kernel has no IPv6 (no /proc/sys/net/ipv6: booted with ipv6.disable=1?), which an IPv6 network needs\n');
    }
    expect(shape()).toBe(before);
    host.cnmOk(['sandbox', 'rm', 'a', 'b']);
    host.cnmOk(['net', 'rm', 'n4']);
    // lo and the default bridge's cnm0 only (a sandbox's veth goes with its namespace, which the kernel frees a little later).
    expect(await waitFor(() => !/veth|cnm-/.test(host.exec(['ip', '-o', 'link']).stdout))).toBe(true);
  });
});
