/**
 * CLI fuzz against the built binary in a throwaway host, where kernel work is
 * real: 300 generated argument lists (plus a few real objects for them to hit),
 * zero crashes, and the state file stays valid throughout.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json } from '../helpers/host.js';

const WORDS: string[][] = [
  ['net', 'create'], ['net', 'rm'], ['net', 'ls'], ['net', 'inspect'], ['net', 'prune'], ['sandbox', 'add'], ['sandbox', 'rm'],
  ['sandbox', 'ls'], ['sandbox', 'inspect'], ['sandbox', 'restore'], ['sandbox', 'publish'], ['endpoint', 'connect'],
  ['endpoint', 'disconnect'], ['endpoint', 'ls'], ['inspect'], ['port'], ['reconcile'], ['bogus'],
];
const JUNK = [
  'f', 'front', 'web', 'bridge', 'host', 'none', '', '-', '--', '--nope', 'x'.repeat(70), '172.30.0.0/16', '10.1.2.3', '::1', '1.2.3.4/33',
  '--subnet', '--gateway', '--ip', '--ip6', '--network', '--alias', '--mac', '02:42:ac:11:00:02', '01:00:00:00:00:00', '-p', '8080:80',
  '1-2:3-4/udp', '99999:1', '--internal', '--ipv6', '--mtu', '0', '9000', '--driver', 'macvlan', 'overlay', '--parent', 'eth0.10',
  '--force', '--dry-run', '--json', '--restore', '-q', '--pid', '1', '--netns', '/nonexistent', '💥', '../x', 'a b', 'K=V', '--label',
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

describe('CLI fuzz against the binary (300 lists, real kernel in a throwaway host)', () => {
  afterAll(destroyAll);

  it('never crashes and keeps a valid state', async () => {
    const h = await Host.create('fuzz');
    h.cnmOk(['net', 'create', 'front']);
    h.cnmOk(['sandbox', 'add', 'web', '--network', 'front']);
    const r = rng(42);
    const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
    const crashes: string[] = [];
    for (let i = 0; i < 300; i++) {
      const argv = [...pick(WORDS)];
      const n = Math.floor(r() * 6);
      for (let j = 0; j < n; j++) argv.push(pick(JUNK));
      const res = await h.cnmAsync(argv, { timeoutMs: 20_000 }); // async: 300 runs must not block the worker for minutes
      const ok = [0, 1, 2, 3, 4].includes(res.code ?? -1) && !/internal error|\n\s+at \S+/.test(res.stderr) && (res.code === 0 || /^cnm: /m.test(res.stderr) || res.stdout.trim() !== '');
      if (!ok) crashes.push(`cnm ${JSON.stringify(argv)} -> ${res.code}: ${res.stderr.slice(0, 300)}`);
    }
    expect(crashes).toEqual([]);
    // Whatever the fuzzer did, the state still loads and the kernel matches it.
    h.cnmOk(['net', 'ls']);
    const rec = json<{ findings: { status: string }[] }>(h.cnmOk(['reconcile', '--json']));
    expect(rec.findings.filter((f) => f.status === 'failed')).toEqual([]);
    expect(json<{ findings: { status: string }[] }>(h.cnmOk(['reconcile', '--json'])).findings.filter((f) => f.status !== 'pending')).toEqual([]);
  }, 400_000); // a bound for a loaded machine (about 2 minutes at load 30 on 2 cores), not a timing assertion

  it('a state file edited into an invalid shape is refused with path and field, and left untouched', async () => {
    const h = await Host.create('bad-state');
    h.cnmOk(['net', 'create', 'front']);
    const text = h.exec(['cat', '/var/lib/cnm/state.json']).stdout;
    const doc = json<{ networks: { subnets: { gateway?: unknown }[] }[] }>(text);
    doc.networks[doc.networks.length - 1]!.subnets[0]!.gateway = 42;
    const bad = JSON.stringify(doc);
    h.exec(['sh', '-c', 'cat > /var/lib/cnm/state.json'], { input: bad });
    for (const args of [['net', 'ls'], ['sandbox', 'add', 'x', '--network', 'front'], ['reconcile']]) {
      const r = h.cnm(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^cnm: state file \/var\/lib\/cnm\/state\.json is invalid: networks\[\d\]\.subnets\[0\]\.gateway must be a string, found number/);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
    expect(h.exec(['cat', '/var/lib/cnm/state.json']).stdout).toBe(bad);
  });
});
