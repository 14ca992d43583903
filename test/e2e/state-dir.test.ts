/**
 * A command that fails, and every read-only command, leaves no state
 * directory behind: on a host where cnm never ran (or with a mistyped
 * --state-dir) nothing appears on disk until a command changes something.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll } from '../helpers/host.js';

afterAll(destroyAll);

const READ_ONLY: string[][] = [
  ['net', 'ls'], ['net', 'ls', '--json'], ['net', 'ls', '-q'], ['net', 'inspect', 'bridge'], ['sandbox', 'ls'], ['endpoint', 'ls'],
  ['inspect', 'bridge'], ['graph'], ['graph', '--dot'], ['doctor'], ['dns', 'status'], ['dns', 'stop'], ['reconcile', '--dry-run'],
  ['net', 'create', 'n', '--dry-run'], ['sandbox', 'add', 's', '--dry-run'], ['net', 'prune', '--dry-run'], ['completion', 'bash'],
  ['net', 'ls', '--help'], ['--version'],
];
const FAILING: string[][] = [
  ['net', 'rm', 'nope'], ['sandbox', 'rm', 'nope'], ['sandbox', 'inspect', 'nope'], ['port', 'nope'], ['net', 'create', 'b', '--subnet', '1.2.3.4/33'],
  ['net', 'create', 'bridge'], ['sandbox', 'add', 's', '--network', 'nope'], ['endpoint', 'connect', 'a', 'b'], ['sandbox', 'add', 's', '--pid', '999999'],
  ['net', 'create', 'm', '--driver', 'macvlan', '--parent', 'nonexistent0'], ['net', 'create', 'x', '--bogus'],
  // Past planning: the kernel refuses (the namespace file does not exist), the run rolls back.
  ['sandbox', 'add', 's', '--netns', '/run/no-such-netns'],
];

describe('the state directory', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create('state-dir');
  });

  it.each(READ_ONLY.map((a, i) => [a.join(' '), a, i]))('is not made by the read-only `cnm %s`', (_name, args, i) => {
    const r = host.cnm([...args, '--state-dir', `/run/ro-${i}/a/b`]);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(host.exec(['ls', '/run']).stdout.split('\n')).not.toContain(`ro-${i}`);
  });

  it.each(FAILING.map((a, i) => [a.join(' '), a, i]))('is not made by the failing `cnm %s`', (_name, args, i) => {
    const r = host.cnm([...args, '--state-dir', `/run/failed-${i}/a/b`]);
    expect(r.code).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/^cnm: /);
    expect(host.exec(['ls', '/run']).stdout.split('\n')).not.toContain(`failed-${i}`);
  });

  it('a failing command in an existing state directory leaves it as it was', () => {
    host.cnmOk(['net', 'create', 'kept', '--state-dir', '/run/kept']);
    const before = host.exec(['ls', '-A', '/run/kept']).stdout;
    expect(before).toContain('state.json');
    expect(host.cnm(['net', 'rm', 'nope', '--state-dir', '/run/kept']).code).toBe(3);
    expect(host.exec(['ls', '-A', '/run/kept']).stdout).toBe(before);
  });

  it('is made by the first command that changes something, even while failing commands race it', async () => {
    // Each round in a fresh host: one create and three failures at once on a fresh directory; the create always lands.
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      const h = await Host.create(`race-${round}`);
      const r = h.sh(
        `"$CNM" net create r --state-dir /run/race/s >/dev/null 2>/run/create.err & c=$!
        for j in 1 2 3; do "$CNM" net rm nope --state-dir /run/race/s 2>/dev/null & done
        wait $c; echo "create $?"; wait
        "$CNM" net ls -q --state-dir /run/race/s | wc -l`,
        { env: { CNM } },
      );
      seen.push(...r.stdout.trim().split('\n'), ...h.exec(['cat', '/run/create.err']).stdout.split('\n').filter(Boolean));
      await h.destroy();
    }
    expect(seen).toEqual(Array(4).fill(['create 0', '4']).flat());
  });
});
