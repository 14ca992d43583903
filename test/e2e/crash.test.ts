/**
 * Crash safety: every mutating command is killed (SIGKILL) at each of its
 * steps through the CNM_PAUSE_AT hook; the next command (one that fails:
 * `sandbox rm` of an unknown name) must bring the machine back to the state
 * before or the state after the command, never in between, with no leaked
 * link, netns, nftables chain, file or address.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json } from '../helpers/host.js';
import { digIn } from '../helpers/dig.js';

interface StateDoc {
  networks: { id: string; name: string; bridge?: string }[];
  sandboxes: { id: string; name: string; netns: string }[];
  endpoints: { networkId: string; sandboxId: string; hostIfname: string; ifname: string; ipv4?: string }[];
}

const state = (h: Host): StateDoc => {
  const r = h.exec(['cat', '/var/lib/cnm/state.json']);
  return r.code === 0 ? json<StateDoc>(r.stdout) : { networks: [], sandboxes: [], endpoints: [] };
};

/** What users see: names, memberships and addresses (IDs differ between runs). */
function summary(s: StateDoc): string[] {
  const net = (id: string) => s.networks.find((n) => n.id === id)?.name;
  const sb = (id: string) => s.sandboxes.find((x) => x.id === id)?.name;
  return [
    ...s.networks.map((n) => `net ${n.name}`),
    ...s.sandboxes.map((x) => `sandbox ${x.name}`),
    ...s.endpoints.map((e) => `ep ${sb(e.sandboxId)}/${net(e.networkId)} ${e.ifname} ${e.ipv4 ?? ''}`),
  ].sort();
}

/** Everything in the kernel and on disk that must match the state exactly. */
function leaks(h: Host): string[] {
  const s = state(h);
  const problems: string[] = [];
  const links = json<{ ifname: string }[]>(h.exec(['ip', '-j', 'link']).stdout)
    .map((l) => l.ifname)
    .filter((n) => /^(cnm|veth)/.test(n))
    .sort();
  const wantLinks = [...s.networks.flatMap((n) => (n.bridge ? [n.bridge] : [])), ...s.endpoints.map((e) => e.hostIfname).filter(Boolean)].sort();
  if (links.join() !== wantLinks.join()) problems.push(`links ${links} != ${wantLinks}`);
  const netns = h.exec(['ls', '/run/netns']).stdout.split('\n').filter(Boolean).sort();
  const wantNs = s.sandboxes.map((x) => x.netns).sort();
  if (netns.join() !== wantNs.join()) problems.push(`netns ${netns} != ${wantNs}`);
  const etc = h.exec(['ls', '/etc/netns']).stdout.split('\n').filter(Boolean).sort();
  if (etc.join() !== wantNs.join()) problems.push(`/etc/netns ${etc} != ${wantNs}`);
  const chains = (h.exec(['nft', 'list', 'table', 'inet', 'cnm']).stdout.match(/chain n-[0-9a-f]{12}-(out|in|nat)/g) ?? []).sort();
  const wantChains = s.networks.filter((n) => n.bridge).flatMap((n) => ['in', 'nat', 'out'].map((r) => `chain n-${n.id.slice(0, 12)}-${r}`)).sort();
  if (chains.join() !== wantChains.join()) problems.push(`chains ${chains} != ${wantChains}`);
  for (const e of s.endpoints) {
    if (!e.ipv4) continue;
    const ns = s.sandboxes.find((x) => x.id === e.sandboxId)!.netns;
    const addrs = h.exec(['ip', '-n', ns, '-br', 'addr', 'show', e.ifname]).stdout;
    if (!addrs.includes(e.ipv4)) problems.push(`address ${e.ipv4} missing on ${ns}/${e.ifname}`);
  }
  if (h.exec(['test', '-e', '/var/lib/cnm/intent.json']).code === 0) problems.push('intent.json left behind');
  return problems;
}

/** Runs cnm paused before step n (or the step so labelled); resolves 'paused' (then SIGKILLs it) or 'finished'. */
function killAt(h: Host, args: string[], n: number | string): Promise<{ outcome: 'killed' | 'finished'; label: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(h.pid), '-n', '-m', '--', CNM, ...args], {
      env: { ...process.env, CNM_PAUSE_AT: String(n), CNM_PAUSE_MS: '20000', NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    let label = '';
    const timer = setTimeout(() => reject(new Error(`cnm ${args.join(' ')} neither paused nor finished: ${err}`)), 15_000);
    child.stderr!.on('data', (d) => {
      err += String(d);
      const m = /cnm: pause [^:]+: (.*)/.exec(err);
      if (m && !label) {
        label = m[1]!;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ outcome: 'killed', label });
      else if (code === 0) resolve({ outcome: 'finished', label: '' });
      else reject(new Error(`cnm ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

const BASE = [
  ['net', 'create', 'front'],
  ['sandbox', 'add', 'a', '--network', 'front'],
];

const scenarios: { name: string; setup: string[][]; cmd: string[] }[] = [
  { name: 'net create', setup: [], cmd: ['net', 'create', 'back'] },
  { name: 'net rm', setup: [['net', 'create', 'back']], cmd: ['net', 'rm', 'back'] },
  { name: 'sandbox add', setup: [], cmd: ['sandbox', 'add', 'b', '--network', 'front'] },
  { name: 'sandbox rm', setup: [['sandbox', 'add', 'b', '--network', 'front']], cmd: ['sandbox', 'rm', 'b'] },
  { name: 'endpoint connect', setup: [['net', 'create', 'back']], cmd: ['endpoint', 'connect', 'a', 'back'] },
  { name: 'endpoint disconnect', setup: [['net', 'create', 'back'], ['endpoint', 'connect', 'a', 'back']], cmd: ['endpoint', 'disconnect', 'a', 'back'] },
];

async function prepared(setup: string[][]): Promise<Host> {
  const h = await Host.create('crash');
  for (const args of [...BASE, ...setup]) h.cnmOk(args);
  return h;
}

describe('SIGKILL at every step of every mutating command', () => {
  afterAll(destroyAll);

  for (const sc of scenarios) {
    it(`${sc.name}: killed at each step, the next command restores before or after`, async () => {
      const ref = await prepared(sc.setup);
      const before = summary(state(ref));
      ref.cnmOk(sc.cmd);
      const after = summary(state(ref));
      expect(after).not.toEqual(before);
      await ref.destroy();

      const seen = { before: 0, after: 0 };
      let steps = 0;
      for (let n = 1; n <= 40; n++) {
        const h = await prepared(sc.setup);
        const run = await killAt(h, sc.cmd, n);
        if (run.outcome === 'finished') {
          await h.destroy();
          break;
        }
        steps = n;
        const next = h.cnm(['sandbox', 'rm', 'no-such-sandbox']);
        expect(next.code, `step ${n} (${run.label}): ${next.stderr}`).toBe(3);
        expect(next.stderr, `step ${n} (${run.label})`).toMatch(/cnm: note: recovered from an interrupted cnm run/);
        const now = summary(state(h));
        const which = JSON.stringify(now) === JSON.stringify(before) ? 'before' : JSON.stringify(now) === JSON.stringify(after) ? 'after' : 'between';
        expect(which, `step ${n} (${run.label}): ${now.join('; ')}`).not.toBe('between');
        seen[which as 'before' | 'after']++;
        expect(leaks(h), `step ${n} (${run.label})`).toEqual([]);
        const rec = json<{ findings: unknown[] }>(h.cnmOk(['reconcile', '--dry-run', '--json']));
        expect(rec.findings, `step ${n} (${run.label})`).toEqual([]);
        await h.destroy();
      }
      // Every plan has several kernel steps plus the state write; a kill before the write rolls back.
      expect(steps).toBeGreaterThanOrEqual(3);
      expect(seen.before).toBeGreaterThan(0);
      expect(seen.after).toBeGreaterThan(0);
    }, 170_000);
  }

  it('a connect killed right after its state write: the next command makes the DNS server listen on the new gateway', async () => {
    const h = await prepared([['net', 'create', 'back']]);
    const run = await killAt(h, ['endpoint', 'connect', 'a', 'back'], 'state written');
    expect(run.outcome).toBe('killed');
    const gw = json<{ IPAM: { Config: { Gateway: string }[] } }[]>(h.cnmOk(['net', 'inspect', 'back']))[0]!.IPAM.Config[0]!.Gateway;
    expect(h.cnm(['sandbox', 'rm', 'no-such-sandbox']).stderr).toMatch(/recovered from an interrupted cnm run/);
    // At once: not when the server's watcher gets to it.
    expect(json<{ listen: string[] }>(h.cnmOk(['dns', 'status', '--json'])).listen).toContain(gw);
    expect(digIn(h, 'a', `@${gw} a.back`).answers).toHaveLength(1);
    await h.destroy();
  });

  it('a crashed holder never blocks the lock: the next command runs at once', async () => {
    const h = await prepared([]);
    const run = await killAt(h, ['sandbox', 'add', 'b', '--network', 'front'], 2);
    expect(run.outcome).toBe('killed');
    const r = h.cnm(['net', 'create', 'other'], { env: { CNM_LOCK_TIMEOUT_MS: '2000' } });
    expect(r.code, r.stderr).toBe(0);
    expect(leaks(h)).toEqual([]);
    await h.destroy();
  });
});

describe('the test hooks stay with the command under test', () => {
  it('a DNS server started by a command with CNM_PAUSE_AT / CNM_FAULT_AT set does not inherit them', async () => {
    const h = await Host.create();
    h.cnmOk(['net', 'create', 'front']);
    // Steps far beyond this command's own: the command runs through; only its environment matters.
    h.cnmOk(['sandbox', 'add', 'a', '--network', 'front'], { env: { CNM_PAUSE_AT: '900', CNM_PAUSE_MS: '1', CNM_FAULT_AT: '900' } });
    const pid = h.exec(['cat', '/run/cnm/dns.pid']).stdout.trim();
    expect(pid).toMatch(/^[0-9]+$/);
    const environ = h.exec(['cat', `/proc/${pid}/environ`]).stdout.split('\0');
    expect(environ.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(environ.filter((e) => /^CNM_(PAUSE|FAULT)_/.test(e))).toEqual([]);
    await h.destroy();
  });
});
