/**
 * The one door to the kernel: every subprocess cnm starts goes through here,
 * arguments as arrays, never a shell string. Synchronous spawnSync because a
 * CLI run is a straight line and it is the cheapest spawn on both runtimes
 * (FACTS: 2.3 ms vs 4.6 ms for an awaited execa). In the binary that is
 * Bun.spawnSync: loading node:child_process costs Bun ~1 ms of start-up and its
 * spawnSync more per process; under Node (vitest) node:child_process, loaded on
 * first use. `--debug` logs each command with its duration; unit tests swap in
 * a recorder with setRunner().
 */
import type { SpawnSyncReturns } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
}

export interface Runner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): RunResult;
  /** Runs a command on cnm's own stdin, stdout and stderr (sandbox exec); resolves to its exit code (128+N for signal N). */
  attached?(cmd: string, args: readonly string[]): Promise<number>;
}

/** The slice of Bun's own spawnSync the runner uses (the binary runs on Bun; vitest on Node). */
interface BunSpawn {
  spawnSync(
    argv: string[],
    opts: { stdin: Uint8Array | 'ignore'; stdout: 'pipe'; stderr: 'pipe' },
  ): { exitCode: number | null; stdout: Uint8Array; stderr: Uint8Array };
}
const bun = (globalThis as { Bun?: BunSpawn }).Bun;

function notRun(cmd: string, err: NodeJS.ErrnoException): RunResult {
  const why = err.code === 'ENOENT' ? `${cmd}: command not found (install it: ${packageFor(cmd)})` : err.message;
  return { code: 127, stdout: '', stderr: why };
}

export const systemRunner: Runner = {
  run(cmd, args, opts = {}) {
    if (bun) {
      let r: ReturnType<BunSpawn['spawnSync']>;
      try {
        r = bun.spawnSync([cmd, ...args], { stdin: opts.input === undefined ? 'ignore' : Buffer.from(opts.input), stdout: 'pipe', stderr: 'pipe' });
      } catch (e) {
        return notRun(cmd, e as NodeJS.ErrnoException);
      }
      return { code: r.exitCode, stdout: Buffer.from(r.stdout).toString('utf8'), stderr: Buffer.from(r.stderr).toString('utf8') };
    }
    const { spawnSync } = process.getBuiltinModule('node:child_process') as typeof import('node:child_process');
    const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
      input: opts.input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) return notRun(cmd, r.error as NodeJS.ErrnoException);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  },
  async attached(cmd, args) {
    const [{ execa }, { constants }] = await Promise.all([import('execa'), import('node:os')]);
    const r = await execa(cmd, args, { stdio: 'inherit', reject: false });
    if (r.signal) return 128 + (constants.signals[r.signal] ?? 0);
    return r.exitCode ?? 1;
  },
};

function packageFor(cmd: string): string {
  return ({ ip: 'apt-get install iproute2', nft: 'apt-get install nftables' } as Record<string, string>)[cmd] ?? `apt-get install ${cmd}`;
}

let current: Runner = systemRunner;
let debugSink: ((line: string) => void) | undefined;
let spawnCount = 0;

export function setRunner(r: Runner): Runner {
  const prev = current;
  current = r;
  return prev;
}

export function setDebug(sink: ((line: string) => void) | undefined): void {
  debugSink = sink;
}

export function spawns(): number {
  return spawnCount;
}

export function run(cmd: string, args: readonly string[], opts?: RunOptions): RunResult {
  spawnCount++;
  if (!debugSink) return current.run(cmd, args, opts);
  const t0 = performance.now();
  const r = current.run(cmd, args, opts);
  const ms = (performance.now() - t0).toFixed(1);
  debugSink(`+ ${[cmd, ...args].join(' ')}  (${ms} ms, exit ${r.code})`);
  if (opts?.input) for (const line of opts.input.trimEnd().split('\n')) debugSink(`  | ${line}`);
  return r;
}

/** Under --debug, logs kernel work done in-process (netlink) the way run() logs a command, with its input lines. */
export function logWork(line: string, input: readonly string[]): void {
  if (!debugSink) return;
  debugSink(line);
  for (const l of input) debugSink(`  | ${l}`);
}

/** Whether --debug is on (to skip timing work nobody will see). */
export function debugging(): boolean {
  return debugSink !== undefined;
}

/** Runs a command attached to the terminal (sandbox exec) through the current runner; returns its exit code. */
export async function runAttached(cmd: string, args: readonly string[]): Promise<number> {
  spawnCount++;
  debugSink?.(`+ ${[cmd, ...args].join(' ')}  (attached)`);
  return (current.attached ?? systemRunner.attached!)(cmd, args);
}

/** Under --debug, marks a phase of the run with the time since the process started. */
export function phase(label: string): void {
  debugSink?.(`· ${label}  (at ${performance.now().toFixed(1)} ms)`);
}
