/**
 * Parallel first uses of a cluster network on one host, repeated: every run
 * claims an address before the state lock, and the local part (with the
 * host's gateway claim) is made by whichever run takes the lock first. After
 * each round the store, the state and the kernel must agree: one gateway claim
 * that is the local bridge's address, one claim per sandbox at its address.
 * After the round's removals, the host holds nothing: no claim, no link.
 * The interleavings that lost the gateway claim are also forced, with a run
 * paused right after its store claim while another one goes first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, type Host, type Result, destroyAll, json } from '../helpers/host.js';
import { EtcdStore, STORE_IP } from '../helpers/etcd.js';
import { answerOrder } from '../helpers/answer-order.js';

let store: EtcdStore;
let h: Host;

beforeAll(async () => {
  store = await EtcdStore.create();
  h = (await store.joinHosts(['h1'])).hosts[0]!;
  for (const n of ['kept', 'failed', 'regrown', 'guess', 'sent', 'kept-view', 'race', 'unread', 'own', 'late', 'appended', 'oldview']) h.cnmOk(['net', 'create', n, '--driver', 'overlay']); // one per test: a failure stays in its test
}, 60_000);

afterAll(async () => {
  await store?.destroy();
  await destroyAll();
});

interface NetView {
  Id: string;
  IPAM: { Config: { Gateway?: string }[] };
  Containers: Record<string, { Name: string; IPv4Address: string }>;
}

// Everything below runs its commands without blocking the test worker (a loaded machine makes many
// blocking calls in a row add up to vitest's RPC timeout).
const ok = async (args: string[]) => {
  const r = await h.cnmAsync(args);
  if (r.code !== 0) throw new Error(`cnm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const out = async (argv: string[]) => (await h.execAsync(argv)).stdout;

/** This host's claims on the network: address -> sandbox ('' for the host's gateway). */
async function claims(net: string): Promise<Map<string, string>> {
  const mine = new Map<string, string>();
  const lines = (await store.host.execAsync(['etcdctl', `--endpoints=http://${STORE_IP}:2379`, 'get', '--prefix', `/cnm/v1/ipam/${net}/`], { env: { ETCDCTL_API: '3' } })).stdout.split('\n');
  const kvs = new Map<string, string>();
  for (let i = 0; i + 1 < lines.length; i += 2) kvs.set(lines[i]!, lines[i + 1]!);
  for (const [k, v] of kvs) {
    const c = JSON.parse(v) as { host: string; sandbox: string };
    if (c.host === 'h1') mine.set(k.split('/').pop()!, c.sandbox);
  }
  return mine;
}

/** The local part as state, store and kernel see it; fails the test where they disagree. */
async function agreed(net: string, label: string): Promise<{ bridge: string; held: Map<string, string> }> {
  const view = json<NetView[]>(await ok(['net', 'inspect', net]))[0]!;
  const gateway = view.IPAM.Config[0]!.Gateway!;
  const held = new Map<string, string>([[gateway, '']]);
  for (const c of Object.values(view.Containers)) held.set(c.IPv4Address.split('/')[0]!, c.Name);
  expect(held.size).toBe(Object.keys(view.Containers).length + 1);
  // Store == state.
  expect({ label, claims: Object.fromEntries([...(await claims(net))].sort()) }).toEqual({ label, claims: Object.fromEntries([...held].sort()) });
  // Kernel == state: the bridge holds the gateway, each sandbox its address.
  const bridge = `cnm-${view.Id.slice(0, 11)}`;
  expect(await out(['ip', '-br', '-4', 'addr', 'show', 'dev', bridge])).toContain(`${gateway}/`);
  for (const [addr, sb] of held) {
    if (sb !== '') expect(await ok(['sandbox', 'exec', sb, '--', 'ip', '-br', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`${addr}/`);
  }
  return { bridge, held };
}

/** Removes the sandboxes; then the host holds no claim and no local part. */
async function removed(net: string, names: string[], bridge: string): Promise<void> {
  await ok(['sandbox', 'rm', ...names]);
  expect((await claims(net)).size).toBe(0);
  expect(await out(['ip', '-br', 'link'])).not.toContain(bridge);
}

/** Whether this host's claim for the sandbox shows up in the store (bounded: 20 s). */
async function claimed(net: string, sandbox: string): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if ([...(await claims(net)).values()].includes(sandbox)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** A cnm run that stops at a step (by default right after its claim in the store) until go() is called; paused resolves then. */
function pausedAfterClaim(args: string[], at = 'claimed in the cluster store'): { paused: Promise<void>; go: () => void; kill: () => void; done: Promise<Result> } {
  const dir = mkdtempSync(join(tmpdir(), 'cnm-race-'));
  const flag = join(dir, 'go');
  const child = spawn('nsenter', ['-t', String(h.pid), '-n', '-m', '--', CNM, ...args], {
    env: { ...process.env, NO_COLOR: '1', CNM_PAUSE_AT: at, CNM_PAUSE_MS: '60000', CNM_PAUSE_UNTIL: flag },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onPause = () => {};
  const paused = new Promise<void>((ok) => (onPause = ok));
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => {
    stderr += String(d);
    if (stderr.includes('cnm: pause')) onPause();
  });
  const done = new Promise<Result>((ok) =>
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      onPause();
      ok({ code, stdout, stderr: stderr.replace(/^cnm: pause .*\n/m, '') });
    }),
  );
  return { paused, go: () => writeFileSync(flag, ''), kill: () => child.kill('SIGKILL'), done };
}

describe('a run that claimed the gateway while another one makes the local part with it', () => {
  it('keeps it when the other took the lock first', async () => {
    const a = pausedAfterClaim(['sandbox', 'add', 'a1', '--network', 'kept']);
    await a.paused;
    await ok(['sandbox', 'add', 'b1', '--network', 'kept']); // reads a1's gateway claim, pending: makes the local part with it
    a.go();
    expect(await a.done).toMatchObject({ code: 0, stderr: '' });
    await removed('kept', ['a1', 'b1'], (await agreed('kept', 'a1 second under the lock')).bridge);
  }, 120_000);

  it('does not release it when it fails after the other made the local part with it', async () => {
    const a = pausedAfterClaim(['sandbox', 'add', 'dup', '--network', 'failed']);
    await a.paused;
    await ok(['sandbox', 'add', 'dup', '--network', 'failed']);
    a.go();
    expect(await a.done).toMatchObject({ code: 4, stderr: 'cnm: sandbox "dup" already exists\n' });
    await removed('failed', ['dup'], (await agreed('failed', 'the paused dup failed')).bridge);
  }, 120_000);

  it('keeps the gateway of a local part it found, when the last endpoint goes meanwhile', async () => {
    await ok(['sandbox', 'add', 'z', '--network', 'regrown']);
    // It finds the local part made, so it only sends its claim before the lock (and reads the answer under it).
    const a = pausedAfterClaim(['sandbox', 'add', 'a2', '--network', 'regrown'], 'claim sent to the cluster store');
    await a.paused;
    expect(await claimed('regrown', 'a2')).toBe(true); // the claim landed while the run waits
    await ok(['sandbox', 'rm', 'z']); // the last endpoint: the local part goes
    a.go();
    expect(await a.done).toMatchObject({ code: 0, stderr: '' }); // and comes back, with the gateway it held
    await removed('regrown', ['a2'], (await agreed('regrown', 'a2 after z went')).bridge);
  }, 120_000);
});

describe("an add builds on this host's last view of the network, and the store checks the guess", () => {
  const trips = async (args: string[]) => (await h.cnmAsync([...args, '--debug'])).stderr.split('\n').filter((l) => l.includes('· store /v3/')).length;
  const etcdctl = (args: string[]) => store.host.execAsync(['etcdctl', `--endpoints=http://${STORE_IP}:2379`, ...args], { env: { ETCDCTL_API: '3' } });

  it('one round trip while nothing moved; a claim made meanwhile elsewhere costs the read again, and is not taken twice', async () => {
    await ok(['sandbox', 'add', 'g1', '--network', 'guess']);
    expect(await trips(['sandbox', 'add', 'g2', '--network', 'guess'])).toBe(1);
    // Another host claims the very address this host would pick next, without moving the cursor.
    const next = (await etcdctl(['get', '--print-value-only', '/cnm/v1/cursor/guess'])).stdout.trim();
    expect(next).toMatch(/^10\.210\.\d+\.\d+$/);
    const planted = JSON.stringify({ host: 'hx', sandbox: 'x', mac: '02:42:00:00:00:01', address: `${next}/24`, aliases: [] });
    expect((await etcdctl(['put', `/cnm/v1/ipam/guess/${next}`, planted])).code).toBe(0);
    // The guess lost: the namespace made while the store answered is undone, and made again for the address won.
    const lost = (await h.cnmAsync(['sandbox', 'add', 'g3', '--network', 'guess', '--debug'])).stderr.split('\n');
    expect(lost.filter((l) => l.includes('· store /v3/')).length).toBe(2);
    expect(lost.filter((l) => /^ +\| netns (add|del) g3 /.test(`${l} `)).map((l) => l.trim().split(' ').slice(1, 3).join(' '))).toEqual(['netns add', 'netns del', 'netns add']);
    expect((await out(['ip', 'netns', 'list'])).split('\n').filter((l) => l.split(' ')[0] === 'g3').length).toBe(1);
    // So was its veth pair, made with it before the answer: the namespace's deletion took it (the
    // kernel's cleanup, in the background), the run did not wait for a deletion of its own.
    const veths = lost.flatMap((l) => /^ +\| link add (veth\w+) .* type veth peer name eth0 .* netns g3\b/.exec(l)?.[1] ?? []);
    expect(veths.length).toBe(2);
    expect(lost.filter((l) => /^ +\| link del /.test(l))).toEqual([]);
    const gone = async () => {
      for (let i = 0; i < 100; i++) {
        if (!(await out(['ip', '-br', 'link'])).includes(veths[0]!)) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    expect(await gone()).toBe(true);
    expect(await out(['ip', '-br', 'link'])).toContain(veths[1]!);
    const { bridge, held } = await agreed('guess', 'after the planted claim');
    expect(held.get(next)).toBeUndefined();
    expect([...held.values()].sort()).toEqual(['', 'g1', 'g2', 'g3']);
    // The view written from that read keeps the other host's claim as an address taken (a number
    // on its 'o' line, not a claim line): the next add builds on it in one round trip, elsewhere.
    const view = (await out(['cat', '/var/lib/cnm/cluster-cache/guess.view'])).split('\n');
    const number = next.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    expect(view.filter((l) => l.startsWith('o ')).map((l) => l.slice(2).split(',').map(Number))).toEqual([[number]]);
    expect(view.filter((l) => l.startsWith(`+ ${next} `))).toEqual([]);
    expect(await trips(['sandbox', 'add', 'g4', '--network', 'guess'])).toBe(1);
    const g4 = (await agreed('guess', 'after g4')).held;
    expect(g4.get(next)).toBeUndefined();
    expect([...g4.values()].sort()).toEqual(['', 'g1', 'g2', 'g3', 'g4']);
    expect((await etcdctl(['del', `/cnm/v1/ipam/guess/${next}`])).code).toBe(0);
    await removed('guess', ['g1', 'g2', 'g3', 'g4'], bridge);
  }, 120_000);

  it("a warm add adds its claim at the view file's end: what the add before left stays as it was, and the next add still takes one round trip", async () => {
    const file = '/var/lib/cnm/cluster-cache/appended.view';
    const cursors = (text: string) => text.split('\n').filter((l) => l.startsWith('c ')).length;
    await ok(['sandbox', 'add', 'p1', '--network', 'appended']); // the first: the view written whole
    const whole = await out(['cat', file]);
    expect(whole.startsWith('cnm-view 2 ')).toBe(true);
    expect(cursors(whole)).toBe(1);
    await ok(['sandbox', 'add', 'p2', '--network', 'appended']);
    const after = await out(['cat', file]);
    expect(after.startsWith(whole)).toBe(true);
    const delta = after.slice(whole.length).split('\n');
    const p2 = json<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }[]>(await ok(['sandbox', 'inspect', 'p2']))[0]!.NetworkSettings.Networks.appended!.IPAddress;
    expect(delta[0]).toMatch(/^c \d+ 10\.210\.\d+\.\d+$/);
    expect(delta.filter((l) => new RegExp(`^\\+ ${p2.replaceAll('.', '\\.')} \\d+ \\d+ h1 p2$`).test(l)).length).toBe(1);
    expect(await trips(['sandbox', 'add', 'p3', '--network', 'appended'])).toBe(1);
    expect(cursors(await out(['cat', file]))).toBe(3);
    const { bridge, held } = await agreed('appended', 'after the appended views');
    expect([...held.values()].sort()).toEqual(['', 'p1', 'p2', 'p3']);
    await removed('appended', ['p1', 'p2', 'p3'], bridge);
  }, 120_000);

  it('a view file of another format (the JSON an older cnm wrote) or torn is no view: the add reads the store and writes the view whole', async () => {
    const file = '/var/lib/cnm/cluster-cache/oldview.view';
    await ok(['sandbox', 'add', 'o1', '--network', 'oldview']);
    const whole = await out(['cat', file]);
    expect(whole.endsWith('\n')).toBe(true);
    const uid = whole.split('\n')[0]!.split(' ')[2]!;
    // The previous format (one JSON line per view or delta), as an older cnm wrote it, under the file's name.
    const v1 = JSON.stringify({ uid, view: { net: { key: '/cnm/v1/networks/oldview', value: '{}', createRevision: 1, modRevision: 1, version: 1 }, claims: [] } });
    expect((await h.execAsync(['sh', '-c', `printf '%s' '${v1}' > ${file}`])).code).toBe(0);
    expect(await trips(['sandbox', 'add', 'o2', '--network', 'oldview'])).toBe(2);
    const after = await out(['cat', file]);
    expect(after.startsWith(`cnm-view 2 ${uid}\n`)).toBe(true);
    expect(await trips(['sandbox', 'add', 'o3', '--network', 'oldview'])).toBe(1);
    // A torn last line: read from the store again.
    expect((await h.execAsync(['truncate', '-s', `${Buffer.byteLength(await out(['cat', file])) - 1}`, file])).code).toBe(0);
    expect(await trips(['sandbox', 'add', 'o4', '--network', 'oldview'])).toBe(2);
    const { bridge, held } = await agreed('oldview', 'after the old view file');
    expect([...held.values()].sort()).toEqual(['', 'o1', 'o2', 'o3', 'o4']);
    await removed('oldview', ['o1', 'o2', 'o3', 'o4'], bridge);
  }, 120_000);

  it('a removal keeps the view, less the claims it released: the add after it still takes one round trip', async () => {
    await ok(['sandbox', 'add', 'v1', '--network', 'kept-view']);
    await ok(['sandbox', 'add', 'v2', '--network', 'kept-view']);
    await ok(['sandbox', 'rm', 'v1']);
    expect(await trips(['sandbox', 'add', 'v3', '--network', 'kept-view'])).toBe(1);
    const { bridge, held } = await agreed('kept-view', 'after the removal and the add');
    expect([...held.values()].sort()).toEqual(['', 'v2', 'v3']);
    // The last endpoint goes with the local part and the gateway claim: the next add is a first one again.
    await removed('kept-view', ['v2', 'v3'], bridge);
    await ok(['sandbox', 'add', 'v4', '--network', 'kept-view']);
    expect([...(await agreed('kept-view', 'after the local part came back')).held.values()].sort()).toEqual(['', 'v4']);
    await ok(['sandbox', 'rm', 'v4']);
  }, 120_000);
});

describe('an add on a network already local here sends its claim before the lock and reads the answer under it', () => {
  it('releases the claim it sent when it fails before reading the answer', async () => {
    await ok(['sandbox', 'add', 'd1', '--network', 'sent']);
    const r = await h.cnmAsync(['sandbox', 'add', 'd1', '--network', 'sent']);
    expect(r).toMatchObject({ code: 4, stderr: 'cnm: sandbox "d1" already exists\n' });
    const { bridge, held } = await agreed('sent', 'after the failed add');
    expect([...held.values()].sort()).toEqual(['', 'd1']);
    // The next add still takes one round trip and the address after the released one.
    await ok(['sandbox', 'add', 'd2', '--network', 'sent']);
    expect([...(await agreed('sent', 'after d2')).held.values()].sort()).toEqual(['', 'd1', 'd2']);
    await removed('sent', ['d1', 'd2'], bridge);
  }, 120_000);
});

describe('a warm add sends its claim, built on its last view, before it reads the state', () => {
  it('opens state.json only under the lock; a leftover claim of this host in that view is still released by the next add', async () => {
    await ok(['sandbox', 'add', 'u1', '--network', 'unread']);
    const traced = await h.execAsync(['strace', '-f', '-qq', '-e', 'trace=openat', '-e', 'signal=none', CNM, 'sandbox', 'add', 'u2', '--network', 'unread', '--debug']);
    expect(traced.code).toBe(0);
    const lines = traced.stderr.split('\n');
    const opens = lines.filter((l) => l.includes('"/var/lib/cnm/state.lock"') || l.includes('"/var/lib/cnm/state.json"'));
    expect(opens[0]).toContain('state.lock');
    expect(lines.findIndex((l) => l.includes('· claim sent'))).toBeLessThan(lines.findIndex((l) => l.includes('· state locked')));
    // Its checks of this host's claims against the state parse none of the state's records.
    expect(lines.filter((l) => l.includes('· all records parsed'))).toEqual([]);
    // A run killed before its state write leaves its claim in the store, and in this host's view.
    const run = pausedAfterClaim(['sandbox', 'add', 'u3', '--network', 'unread'], 'write state');
    await run.paused;
    run.kill();
    await run.done;
    expect([...(await claims('unread')).values()]).toContain('u3');
    // The next add (which rolls the killed run back first) releases it, after its own claim.
    await ok(['sandbox', 'add', 'u4', '--network', 'unread']);
    const { bridge, held } = await agreed('unread', 'after the leftover');
    expect([...held.values()].sort()).toEqual(['', 'u1', 'u2', 'u4']);
    expect((await out(['ip', 'netns', 'list'])).split('\n').some((l) => l.split(' ')[0] === 'u3')).toBe(false);
    await removed('unread', ['u1', 'u2', 'u4'], bridge);
  }, 120_000);

  it('writes its claim on a socket of its own thread: it starts no thread more than a local add, and reads the one answer', async () => {
    await ok(['sandbox', 'add', 'q1', '--network', 'own']);
    await ok(['net', 'create', 'plain', '--subnet', '10.99.8.0/24']);
    // fetch() would start Bun's HTTP thread: one clone more than the same run on a local network.
    // Compiles run on the main thread (useConcurrentJIT=0): the engine's JIT threads come and go with
    // how often each function happens to be called (a local add compiled more than a cluster one).
    const clones = async (sb: string, net: string) => {
      const r = await h.execAsync(['env', 'BUN_JSC_useConcurrentJIT=0', 'strace', '-f', '-qq', '-e', 'trace=clone,clone3,connect', '-e', 'signal=none', CNM, 'sandbox', 'add', sb, '--network', net, '--debug']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stderr.split('\n');
      return { clones: lines.filter((l) => /\bclone3?\(/.test(l)).length, trips: lines.filter((l) => l.includes('· store /v3/')).length, connects: lines.filter((l) => l.includes(`inet_addr("${STORE_IP}")`)).length };
    };
    const local = await clones('q2', 'plain');
    expect(local.trips).toBe(0);
    expect(await clones('q3', 'own')).toEqual({ clones: local.clones, trips: 1, connects: 1 });
    const { bridge, held } = await agreed('own', 'after the adds');
    expect([...held.values()].sort()).toEqual(['', 'q1', 'q3']);
    expect((await h.cnmAsync(['sandbox', 'exec', 'q3', '--', 'ping', '-c1', '-W2', (await ok(['net', 'inspect', 'own', '--format', '{{(index .IPAM.Config 0).Gateway}}'])).trim()])).code).toBe(0);
    await ok(['sandbox', 'rm', 'q2']);
    await ok(['net', 'rm', 'plain']);
    await removed('own', ['q1', 'q3'], bridge);
  }, 120_000);

  it("reads the DNS server's answer for its spoof-check elements after its work inside the namespace it made, as a local add does", async () => {
    await ok(['sandbox', 'add', 'z1', '--network', 'late']);
    const r = await h.execAsync(['strace', '-qq', '-e', 'trace=connect,recvfrom,setns', '-e', 'signal=none', CNM, 'sandbox', 'add', 'z2', '--network', 'late', '--debug']);
    expect(r.code, r.stderr).toBe(0);
    expect(/· plan of \d+ ops \(\d+ first\)/.test(r.stderr), r.stderr).toBe(true); // applied around the claim's answer
    const { asked, answered, inside } = answerOrder(r.stderr);
    expect(asked, r.stderr).toBeGreaterThanOrEqual(0);
    expect(inside, r.stderr).toBeGreaterThan(asked);
    expect(answered, r.stderr).toBeGreaterThan(inside);
    const ep = json<{ NetworkSettings: { Networks: Record<string, { EndpointID: string }> } }[]>(await ok(['sandbox', 'inspect', 'z2']))[0]!.NetworkSettings.Networks.late!;
    expect(await out(['nft', 'list', 'table', 'bridge', 'cnm'])).toContain(`cnm:ep:${ep.EndpointID.slice(0, 12)}`);
    const { bridge, held } = await agreed('late', 'after the adds');
    expect([...held.values()].sort()).toEqual(['', 'z1', 'z2']);
    await removed('late', ['z1', 'z2'], bridge);
  }, 120_000);

  it('does not trust a view under the name of a network the state knows otherwise: the add is a local one', async () => {
    await ok(['sandbox', 'add', 'w1', '--network', 'unread']);
    await ok(['net', 'create', 'twin', '--subnet', '10.99.7.0/24']);
    // A view of the cluster network "unread" (holding this host's gateway claim) filed under the local network's name.
    expect((await h.execAsync(['cp', '/var/lib/cnm/cluster-cache/unread.view', '/var/lib/cnm/cluster-cache/twin.view'])).code).toBe(0);
    const r = await h.cnmAsync(['sandbox', 'add', 't1', '--network', 'twin', '--debug']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('· claim sent');
    expect(await ok(['sandbox', 'exec', 't1', '--', 'ip', '-br', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain('10.99.7.');
    expect((await h.cnmAsync(['sandbox', 'exec', 't1', '--', 'ping', '-c1', '-W2', '10.99.7.1'])).code).toBe(0);
    expect((await claims('twin')).size).toBe(0);
    const { bridge, held } = await agreed('unread', 'after the local add');
    expect([...held.values()].sort()).toEqual(['', 'w1']);
    await ok(['sandbox', 'rm', 't1']);
    await ok(['net', 'rm', 'twin']);
    await removed('unread', ['w1'], bridge);
  }, 120_000);
});

const ROUNDS = 4;
const PARALLEL = 4;

describe('parallel first adds of one cluster network on one host', () => {
  it(`${ROUNDS} rounds of ${PARALLEL}: one gateway claim, the bridge's; one claim per sandbox; nothing left after the removals`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const names = Array.from({ length: PARALLEL }, (_, i) => `r${round}x${i}`);
      const runs = await Promise.all(names.map((n) => h.cnmAsync(['sandbox', 'add', n, '--network', 'race'], { timeoutMs: 60_000 })));
      for (const r of runs) expect(r.stderr).toBe('');
      const { bridge, held } = await agreed('race', `round ${round}`);
      expect([...held.values()].sort()).toEqual(['', ...names].sort());
      await removed('race', names, bridge);
    }
  }, 300_000);
});
