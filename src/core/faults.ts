/**
 * Test hooks for crash tests. `CNM_PAUSE_AT=N` makes this process stop for a
 * while (CNM_PAUSE_MS, default 30 s) just before its N-th step: steps are the
 * kernel ops of every plan it applies or tears down, counted across the run,
 * then the state write ("write state") and the moment after it ("state
 * written"). It says so on stderr ("cnm: pause N: what") so a test can SIGKILL
 * it at exactly that point. `CNM_PAUSE_AT=write state` (a step's label)
 * pauses before that step wherever it falls. With `CNM_PAUSE_UNTIL=FILE` the
 * pause ends as soon as FILE exists (still at most CNM_PAUSE_MS): a test that
 * changes the world at the pause creates FILE when done, so how long it took
 * under load does not decide whether the run saw the change. Off unless the
 * variable is set.
 */
import { existsSync, writeSync } from './files.js';

let counter = 0;

function pauseTarget(): number | undefined {
  const v = process.env.CNM_PAUSE_AT;
  return v && /^[1-9][0-9]{0,5}$/.test(v) ? Number(v) : undefined;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Counts `n` steps; when the pause target is one of them, returns its index
 * (0-based) inside those n steps, so the caller can split its work there.
 */
export function pauseIndex(n: number): number | undefined {
  const target = pauseTarget();
  const first = counter + 1;
  counter += n;
  if (target === undefined || target < first || target > counter) return undefined;
  return target - first;
}

/** Pauses (when asked to) before one step; `label` says what comes next. */
export function pauseHere(label: string): void {
  const target = pauseTarget() ?? process.env.CNM_PAUSE_AT;
  if (target === undefined) return;
  writeSync(2, `cnm: pause ${target}: ${label}\n`);
  const ms = Number(process.env.CNM_PAUSE_MS ?? 30_000);
  const bound = Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 120_000) : 30_000;
  const until = process.env.CNM_PAUSE_UNTIL;
  if (!until) return sleepSync(bound);
  const end = Date.now() + bound;
  while (!existsSync(until) && Date.now() < end) sleepSync(10);
}

/** One step: pauses if it is the target (by number, or by its label). */
export function step(label: string): void {
  if (pauseIndex(1) === 0 || process.env.CNM_PAUSE_AT === label) pauseHere(label);
}

/**
 * The environment for a long-lived process this command starts (the DNS
 * server, the cluster agent): without the test hooks, which are meant for the
 * command under test. An agent that inherited CNM_PAUSE_AT would pause at its
 * own N-th step, and one that inherited CNM_FAULT_AT fail there.
 */
export function withoutTestHooks(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of ['CNM_PAUSE_AT', 'CNM_PAUSE_MS', 'CNM_PAUSE_UNTIL', 'CNM_FAULT_AT']) delete out[k];
  return out;
}
