/**
 * The per-host cluster agent: the one long-lived process of a joined host
 * besides the DNS server. It keeps the host's lease alive (the host turns
 * dead one TTL after the agent dies), registers the host again when the lease
 * was lost (the store was down longer than the TTL), and follows the member
 * list and the endpoint records: each global overlay holds exact FDB and
 * neighbour entries for the endpoints of the other live hosts (discovery.ts).
 * `cnm cluster join` starts it detached; `cnm cluster agent` runs it in the
 * foreground (contrib/cnm-agent.service). One per state dir (a pid file).
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutTestHooks } from '../faults.js';
import { acquire } from '../lock.js';
import type { EtcdClient } from './etcd.js';
import { stateFile } from '../paths.js';
import type { Network } from '../model.js';
import { Store } from '../store.js';
import { type Held, changesRemotes, programEntries, remoteNames, remotes, writeRemoteNames } from './discovery.js';
import { globalNetworks } from './flood.js';
import { type Claim, type HostRecord, keys, leaf, parseRecord } from './keys.js';
import { get } from './txn.js';
import { reregister } from './members.js';
import { type Membership, clientOf, readMembership, writeMembership } from './membership.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((ok) => {
    const t = setTimeout(ok, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), ok()), { once: true });
  });

const pidFile = (stateDir: string) => join(stateDir, 'cluster-agent.pid');

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The pid of the agent of this state dir, if one runs (a live process whose command line is an agent's). */
export function agentPid(stateDir: string): number | undefined {
  const pid = Number(readOr(pidFile(stateDir)).trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return readOr(`/proc/${pid}/cmdline`).includes('\0cluster\0agent') ? pid : undefined;
}

/** Starts the agent detached unless one runs; only the compiled binary can run itself. */
export function startAgent(stateDir: string): boolean {
  if (agentPid(stateDir) !== undefined) return true;
  if (process.env.CNM_AGENT_AUTOSTART === '0' || !('bun' in process.versions) || /\/(bun|node)$/.test(process.execPath)) return false;
  const child = spawn(process.execPath, ['cluster', 'agent', '--state-dir', stateDir], { detached: true, stdio: 'ignore', cwd: '/', env: withoutTestHooks(process.env) });
  child.on('error', () => {});
  child.unref();
  return true;
}

/** Stops the agent of this state dir (SIGTERM, then SIGKILL after 3 s); its pid, if one ran. */
export async function stopAgent(stateDir: string): Promise<number | undefined> {
  const pid = agentPid(stateDir);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return pid;
  }
  for (let i = 0; i < 300 && agentPid(stateDir) === pid; i++) await sleep(10);
  if (agentPid(stateDir) === pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pid;
}

/** Runs the agent until SIGTERM or until the host leaves; the exit code. */
export async function runAgent(stateDir: string, log: (line: string) => void): Promise<number> {
  if (!readMembership(stateDir)) {
    log('cnm: this host has not joined a cluster; nothing to do');
    return 0;
  }
  const lock = await acquire(join(stateDir, 'cluster-agent.lock'), 10_000);
  try {
    const other = agentPid(stateDir);
    if (other !== undefined && other !== process.pid) {
      log(`cnm: the cluster agent already runs (pid ${other})`);
      return 0;
    }
    writeFileSync(pidFile(stateDir), `${process.pid}\n`, { mode: 0o644 });
  } finally {
    lock.release();
  }
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => stop.abort());
  try {
    const m = readMembership(stateDir);
    if (!m) {
      log('cnm: this host has not joined a cluster; nothing to do');
      return 0;
    }
    const client = clientOf(m);
    await Promise.all([keepAlive(stateDir, client, m, stop, log), followCluster(stateDir, client, m, stop, log)]);
    return 0;
  } finally {
    if (Number(readOr(pidFile(stateDir)).trim()) === process.pid) {
      try {
        unlinkSync(pidFile(stateDir));
      } catch {
        /* already gone */
      }
    }
  }
}

/** Renews the lease every third of its TTL; registers again when it was lost; ends when the host left. */
async function keepAlive(stateDir: string, client: EtcdClient, m: Membership, stop: AbortController, log: (line: string) => void): Promise<void> {
  let down = false;
  while (!stop.signal.aborted) {
    const now = readMembership(stateDir);
    if (!now || now.uid !== m.uid) {
      stop.abort(); // left (or left and joined anew: that one has its own agent)
      return;
    }
    try {
      const ttl = await client.keepAlive(m.lease);
      if (ttl === 0) {
        m.lease = await reregister(client, m);
        writeMembership(stateDir, { ...now, lease: m.lease });
        log(`cnm: the lease had expired; registered "${m.name}" again`);
      }
      if (down) log(`cnm: the cluster store ${m.store} answers again`);
      down = false;
    } catch (e) {
      if (!down) log(`cnm: ${e instanceof Error ? e.message : String(e)}`);
      down = true;
    }
    await sleep(Math.max(500, (m.ttl * 1000) / 3), stop.signal);
  }
}

/**
 * Reads the live members and the endpoint records at one revision, programs
 * the local overlays and the DNS records, then follows their changes (the
 * alive keys and the claims, one watch stream) from the next revision; after any failure (store down,
 * compaction) it reads everything again. The state file is polled too: a
 * local part made after the last event gets its entries within a poll.
 */
async function followCluster(stateDir: string, client: EtcdClient, m: Membership, stop: AbortController, log: (line: string) => void): Promise<void> {
  const store = new Store(stateDir);
  while (!stop.signal.aborted) {
    try {
      const r = await client.txn({ compare: [], success: [get(keys.alives(), true), get(keys.claims(), true)] });
      const [aliveKvs, claimKvs] = r.responses.map((x) => x.kvs);
      const live = new Map<string, string>();
      const claims = new Map<string, Claim>();
      for (const kv of aliveKvs ?? []) {
        const h = parseRecord<HostRecord>(kv.value);
        if (h) live.set(leaf(kv.key), h.address);
      }
      for (const kv of claimKvs ?? []) {
        const c = parseRecord<Claim>(kv.value);
        if (c) claims.set(kv.key, c);
      }
      // What the devices hold (see Held) and the local cluster networks, both as of the state
      // file's fingerprint `seen`: a changed state file (a local part made or removed) is read
      // again and the devices with it; a change in the store alone costs only its own entries.
      const held: Held = new Map();
      let seen = '';
      let nets: Network[] = [];
      const sync = (full: boolean) => {
        try {
          const now = fingerprint(stateDir);
          if (full || now !== seen) {
            nets = globalNetworks(store.read().networks);
            seen = now;
            held.clear();
          }
        } catch (e) {
          log(`cnm: ${e instanceof Error ? e.message : String(e)}`);
          return;
        }
        const all = remotes(claims, live, m.name);
        for (const p of programEntries(nets, all, held)) log(`cnm: ${p}`);
        writeRemoteNames(stateDir, remoteNames(nets, all));
      };
      sync(true);
      let ticks = 0;
      const timer = setInterval(() => {
        // Every 5 s a full pass reads the devices again and repairs drift; in between only a
        // changed state file costs a pass.
        if (++ticks % 20 === 0) sync(true);
        else if (fingerprint(stateDir) !== seen) sync(false);
      }, 250);
      try {
        // Only what it uses, on one stream: a claim's cursor put (every add), networks, hosts and the
        // config are no events of its, so etcd encodes and sends them to no agent.
        await client.watch([{ key: keys.alives(), prefix: true }, { key: keys.claims(), prefix: true }], r.revision + 1, (events) => {
          let relevant = false;
          for (const e of events) {
            if (e.kv.key.startsWith(keys.alives())) {
              const h = e.type === 'PUT' ? parseRecord<HostRecord>(e.kv.value) : undefined;
              if (h) live.set(leaf(e.kv.key), h.address);
              else live.delete(leaf(e.kv.key));
              relevant = true;
            } else if (e.kv.key.startsWith(keys.claims())) {
              const before = claims.get(e.kv.key);
              const c = e.type === 'PUT' ? parseRecord<Claim>(e.kv.value) : undefined;
              if (c) claims.set(e.kv.key, c);
              else claims.delete(e.kv.key);
              // This host's own claims are none of the remote endpoints it programs: its adds cost it no pass.
              if (changesRemotes(before, c, m.name)) relevant = true;
            }
          }
          if (relevant) sync(false);
        }, stop.signal);
      } finally {
        clearInterval(timer);
      }
    } catch (e) {
      log(`cnm: ${e instanceof Error ? e.message : String(e)}`);
    }
    await sleep(1000, stop.signal);
  }
}

function fingerprint(stateDir: string): string {
  try {
    const st = statSync(stateFile(stateDir));
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return 'none';
  }
}
