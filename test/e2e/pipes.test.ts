/**
 * A reader that went away (`cnm net ls | head -0`, `cnm completion zsh | true`)
 * ends cnm quietly, as Unix tools end: exit 0 (or 141, killed by SIGPIPE) and
 * nothing on stderr, for every command that prints (or its own exit code, as
 * with an open stdout). The reader is gone before cnm writes, so every run
 * really meets a closed pipe.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll } from '../helpers/host.js';

afterAll(destroyAll);

const PRINTING: string[][] = [
  ['completion', 'zsh'], ['completion', 'bash'], ['completion', 'fish'], ['net', 'ls'], ['net', 'ls', '--json'], ['net', 'inspect', 'front'],
  ['sandbox', 'ls'], ['sandbox', 'inspect', 'web'], ['endpoint', 'ls'], ['inspect', 'web'], ['port', 'web'], ['graph'], ['graph', '--dot'],
  ['doctor'], ['dns', 'status'], ['reconcile', '--dry-run'], ['net', 'create', 'x', '--dry-run'], ['--help'], ['net', 'create', '--help'],
  ['--version'],
];

describe('a closed stdout', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create('pipes');
    host.cnmOk(['net', 'create', 'front']);
    host.cnmOk(['sandbox', 'add', 'web', '--network', 'front', '-p', '8080:80']);
  });

  it.each(PRINTING.map((a) => [a.join(' '), a]))('`cnm %s` ends quietly', (_name, args) => {
    // The reader (`true`) has exited before cnm starts; cnm's stderr is kept in a file.
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const r = host.sh(`{ sleep 0.2; "$CNM" ${quoted} 2>/run/pipe.err; echo "exit $?" >/run/pipe.code; } | true; cat /run/pipe.code /run/pipe.err`, {
      env: { CNM },
    });
    const [code, ...stderr] = r.stdout.split('\n');
    // Its own exit code, as with an open stdout (`doctor` exits 1 when a check fails), or SIGPIPE's 141.
    const own = host.sh(`"$CNM" ${quoted} >/dev/null 2>&1; echo "exit $?"`, { env: { CNM } }).stdout.trim();
    expect([own, 'exit 141']).toContain(code);
    expect(stderr.join('\n').trim()).toBe('');
  });

  it('an open pipe still gets the whole output', () => {
    const whole = host.cnmOk(['completion', 'zsh']);
    const r = host.sh('"$CNM" completion zsh | cat', { env: { CNM } });
    expect(r.stdout).toBe(whole);
    expect(r.stdout.length).toBeGreaterThan(1000);
  });

  it('a stdout that cannot be written for another reason is one line and exit 1', () => {
    const r = host.sh('"$CNM" net ls > /dev/full', { env: { CNM } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cnm: cannot write to stdout: no space left on device, write\n');
  });

  // The hot commands (src/commands/hot.ts) write to fds 1 and 2 directly, not through process.stdout.
  it('a hot command with its reader gone does its work to the end and ends quietly', () => {
    for (const args of [['sandbox', 'add', 'hot', '--network', 'front'], ['endpoint', 'disconnect', 'hot', 'front'], ['endpoint', 'connect', 'hot', 'front'], ['sandbox', 'rm', 'hot']]) {
      const quoted = args.map((a) => `'${a}'`).join(' ');
      const r = host.sh(`{ sleep 0.2; "$CNM" ${quoted} 2>/run/pipe.err; echo "exit $?" >/run/pipe.code; } | true; cat /run/pipe.code /run/pipe.err`, { env: { CNM } });
      expect(r.stdout, args.join(' ')).toBe('exit 0\n');
      const there = host.sh('ip netns list').stdout.includes('hot');
      expect(there, args.join(' ')).toBe(args[1] !== 'rm');
    }
  });

  it('a hot command whose stdout cannot be written does its work, then one line and exit 1', () => {
    const r = host.sh('"$CNM" sandbox add full --network front > /dev/full', { env: { CNM } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cnm: cannot write to stdout: no space left on device, write\n');
    expect(host.sh('ip netns exec full ip -o -4 addr show eth0').stdout).toMatch(/inet \d+\.\d+\.\d+\.\d+\//);
  });
});
