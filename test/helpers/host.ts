/**
 * Throwaway hosts for end-to-end tests (after netavark's test/helpers.bash):
 * a `sleep` holding its own network and mount namespaces, with tmpfs over
 * /run, /var/lib/cnm and /etc/netns, driven with nsenter. Nothing cnm does in
 * a host can touch the machine's own namespace; destroy() ends every process
 * in the host's network namespace (all of them ours) and the host with them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';

export const CNM = resolve(__dirname, '../../dist/cnm');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<Host>();

export class Host {
  private constructor(
    readonly name: string,
    private readonly holder: ChildProcess,
  ) {}

  get pid(): number {
    return this.holder.pid!;
  }

  /** Starts a host and waits until its mounts are in place. */
  static async create(name = 'host'): Promise<Host> {
    for (const dir of ['/var/lib/cnm', '/etc/netns']) mkdirSync(dir, { recursive: true });
    const script = [
      'set -e',
      'mount -t tmpfs tmpfs /run',
      'mount -t tmpfs tmpfs /var/lib/cnm',
      'mount -t tmpfs tmpfs /etc/netns',
      'ip link set lo up',
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('throwaway host did not start within 10 s')), 10_000);
      let err = '';
      holder.stderr!.on('data', (d) => (err += String(d)));
      holder.stdout!.on('data', (d) => {
        if (String(d).includes('ready')) {
          clearTimeout(timer);
          ok();
        }
      });
      holder.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`throwaway host exited (${code}): ${err}`));
      });
    });
    const host = new Host(name, holder);
    live.add(host);
    return host;
  }

  /** Runs argv inside the host (its network and mount namespaces). */
  exec(argv: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Result {
    const r = spawnSync('nsenter', ['-t', String(this.pid), '-n', '-m', '--', ...argv], {
      input: opts.input,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /**
   * exec() without blocking the test worker: for long loops of commands, so vitest's worker keeps
   * answering its runner (a worker blocked for a minute fails the run with `Timeout calling ...`).
   */
  execAsync(argv: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Result> {
    return new Promise((ok) => {
      const child = spawn('nsenter', ['-t', String(this.pid), '-n', '-m', '--', ...argv], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1', ...opts.env },
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.stdout!.on('data', (d) => (stdout += String(d)));
      child.stderr!.on('data', (d) => (stderr += String(d)));
      child.stdin!.on('error', () => {}); // a command that exits without reading its input
      child.stdin!.end(opts.input ?? '');
      child.on('error', (e) => {
        clearTimeout(timer);
        ok({ code: null, stdout, stderr: stderr + String(e) });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        ok({ code, stdout, stderr });
      });
    });
  }

  /** Runs cnm inside the host. */
  cnm(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Result {
    return this.exec([CNM, ...args], opts);
  }

  /** cnm() without blocking the test worker (see execAsync). */
  cnmAsync(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Result> {
    return this.execAsync([CNM, ...args], opts);
  }

  /** Runs cnm and fails the test with its stderr unless it exits 0. */
  cnmOk(args: string[], opts: { env?: Record<string, string> } = {}): string {
    const r = this.cnm(args, opts);
    if (r.code !== 0) throw new Error(`cnm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** Runs a shell script inside the host. */
  sh(script: string, opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Result {
    return this.exec(['bash', '-c', script], opts);
  }

  /** Starts a long-lived process inside the host; destroy() ends it. */
  background(argv: string[]): ChildProcess {
    return spawn('nsenter', ['-t', String(this.pid), '-n', '-m', '--', ...argv], { stdio: 'ignore', detached: false });
  }

  /** The network namespace inode of the host, as /proc/PID/ns/net names it. */
  netnsId(): string {
    return readlinkSync(`/proc/${this.pid}/ns/net`);
  }

  /** Ends every process whose network or mount namespace is this host's, then the host. */
  async destroy(): Promise<void> {
    if (!live.has(this)) return;
    live.delete(this);
    const net = this.netnsId();
    const mnt = readlinkSync(`/proc/${this.pid}/ns/mnt`);
    // Processes in sandboxes live in other netns but in the host's mount ns (ip netns exec makes a
    // child mount ns, though), so also match processes whose netns is one of the host's sandboxes.
    const sandboxNs = new Set(this.exec(['sh', '-c', 'for f in /run/netns/*; do [ -e "$f" ] && stat -L -c %i "$f"; done']).stdout.split('\n').filter(Boolean).map((i) => `net:[${i}]`));
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      if (Number(pid) === this.pid || Number(pid) === process.pid) continue;
      try {
        const n = readlinkSync(`/proc/${pid}/ns/net`);
        const m = readlinkSync(`/proc/${pid}/ns/mnt`);
        if (n === net || m === mnt || sandboxNs.has(n)) process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.holder.kill('SIGKILL');
    await new Promise<void>((ok) => {
      if (this.holder.exitCode !== null || this.holder.signalCode !== null) ok();
      else this.holder.once('exit', () => ok());
    });
  }
}

/** Ends every host still alive (for afterAll hooks). */
export async function destroyAll(): Promise<void> {
  await Promise.all([...live].map((h) => h.destroy()));
}

/**
 * Wires two hosts together with a veth pair: `a` gets ifA with addrA, `b`
 * gets ifB with addrB (CIDR form). Used for uplinks and underlays.
 */
export function wire(a: Host, ifA: string, addrA: string, b: Host, ifB: string, addrB: string): void {
  const r = a.sh(`ip link add ${ifA} type veth peer name ${ifB} netns /proc/${b.pid}/ns/net && ip addr add ${addrA} dev ${ifA} && ip link set ${ifA} up`);
  if (r.code !== 0) throw new Error(`wire: ${r.stderr}`);
  const s = b.sh(`ip addr add ${addrB} dev ${ifB} && ip link set ${ifB} up`);
  if (s.code !== 0) throw new Error(`wire: ${s.stderr}`);
}

/**
 * A simulated internet: a second host joined to `host` by a veth, with the
 * host's uplink 203.0.113.1/24 (TEST-NET-3, only inside our namespaces) and a
 * default route through the internet host at 203.0.113.254.
 */
export async function withInternet(host: Host): Promise<{ internet: Host; uplinkAddr: string; internetAddr: string }> {
  const internet = await Host.create('internet');
  wire(host, 'eth0', '203.0.113.1/24', internet, 'eth0', '203.0.113.254/24');
  const r = host.sh('ip route add default via 203.0.113.254');
  if (r.code !== 0) throw new Error(`default route: ${r.stderr}`);
  return { internet, uplinkAddr: '203.0.113.1', internetAddr: '203.0.113.254' };
}

/**
 * Polls `check` until it returns true or the time is up (bounded in count and time). The bound is
 * how long to wait before giving up on a loaded machine (the suite runs at load 30 on 2 cores),
 * never a timing assertion: it costs nothing when `check` turns true early.
 */
export async function waitFor(check: () => boolean, timeoutMs = 20_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / stepMs) + 1; i++) {
    if (check()) return true;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/** A failed cnm run as the contract wants it: nothing on stdout, one `cnm: ...` line, the exit code. */
export function expectFails(r: Result, code: number, message: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^cnm: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(code);
}

/** Parses JSON output or fails with what was printed. */
export function json<T = unknown>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 500)}`);
  }
}

/**
 * The seeds' three-tier example: networks frontend and backend; web on
 * frontend, api on both, db on backend.
 */
export function threeTier(host: Host): void {
  host.cnmOk(['net', 'create', 'frontend']);
  host.cnmOk(['net', 'create', 'backend']);
  host.cnmOk(['sandbox', 'add', 'web', '--network', 'frontend']);
  host.cnmOk(['sandbox', 'add', 'api', '--network', 'frontend', '--network', 'backend']);
  host.cnmOk(['sandbox', 'add', 'db', '--network', 'backend']);
}
