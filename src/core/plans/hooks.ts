/**
 * Extra planning steps that features (ports, ...) hang on sandbox and endpoint
 * changes. Each hook runs inside the locked update and returns the ops to add
 * to the same plan (and may update the sandbox's state, which is saved with it).
 *
 * A feature most runs never use is registered lazily: its module is loaded
 * (an `import()`, its own chunk in the binary) only when a sandbox of the state
 * or the add request needs it, so a plain `sandbox add|rm` does not load and
 * evaluate it. The session readies the hooks for the state before each update
 * (readyHooks); an add readies them for its request.
 */
import type { Endpoint, Sandbox, State } from '../model.js';
import type { Op } from '../plan.js';
import type { AddSandboxInput } from './requests.js';
import { recordsOf } from '../records.js';

export type { AddSandboxInput } from './requests.js';

export interface SandboxHooks {
  /** After a new sandbox and its endpoints are in state. */
  onAdd?(state: State, sb: Sandbox, input: AddSandboxInput): Op[];
  /** Before a sandbox goes (teardown, best-effort). */
  onRemove?(state: State, sb: Sandbox): Op[];
  /** Before one endpoint of a sandbox that stays goes (teardown, best-effort). */
  onDisconnect?(state: State, sb: Sandbox, ep: Endpoint): Op[];
  /** After a new endpoint of an existing sandbox is in state. */
  onConnect?(state: State, sb: Sandbox, ep: Endpoint): Op[];
}

/** Whether the hooks of a lazy feature have work for a sandbox (or the add request), i.e. would plan anything. */
export type Needs = (sb: Sandbox | undefined, input?: AddSandboxInput) => boolean;

interface Lazy {
  readonly needs: Needs;
  /** Text the JSON of every sandbox that `needs` holds for has in it (records still held as text are searched for it). */
  readonly hint?: string;
  readonly load: () => Promise<SandboxHooks>;
  loaded?: SandboxHooks;
  /** Stands in until loaded: plans nothing, and fails loudly if asked for work (a caller that did not ready the hooks). */
  readonly guard: SandboxHooks;
}

const hooks: SandboxHooks[] = [];
const lazy: Lazy[] = [];

export function addSandboxHooks(h: SandboxHooks): void {
  hooks.push(h);
}

/**
 * Registers hooks whose module is loaded only when `needs` says a sandbox or
 * request has work for them. `hint`: text the JSON of every sandbox they have
 * work for holds, so that a state whose records are still text (records.ts)
 * is searched for it rather than read whole.
 */
export function addLazySandboxHooks(needs: Needs, load: () => Promise<SandboxHooks>, hint?: string): void {
  const check = (sb: Sandbox | undefined, input?: AddSandboxInput): Op[] => {
    if (needs(sb, input)) throw new Error('sandbox hooks used before they were loaded (readyHooks)');
    return [];
  };
  lazy.push({ needs, load, hint, guard: { onAdd: (_s, sb, input) => check(sb, input), onRemove: (_s, sb) => check(sb), onDisconnect: (_s, sb) => check(sb), onConnect: (_s, sb) => check(sb) } });
}

export function sandboxHooks(): readonly SandboxHooks[] {
  if (lazy.length === 0) return hooks;
  const out = [...hooks];
  for (const l of lazy) out.push(l.loaded ?? l.guard);
  return out;
}

/**
 * Loads the lazy hooks that a sandbox of the state (when given) or the add
 * request needs; undefined when there is nothing to load, so that the caller
 * waits only when there is.
 */
export function readyHooks(state: State | undefined, input?: AddSandboxInput): Promise<void> | undefined {
  let wait: Promise<void>[] | undefined;
  for (const l of lazy) {
    if (l.loaded || !wanted(l, state, input)) continue;
    (wait ??= []).push(l.load().then((h) => void (l.loaded = h)));
  }
  return wait && Promise.all(wait).then(() => undefined);
}

/** Loads every lazy hook (a run that may plan anything: the full CLI, the CNI plugin). */
export async function loadHooks(): Promise<void> {
  for (const l of lazy) l.loaded ??= await l.load();
}

function wanted({ needs, hint }: Lazy, state: State | undefined, input: AddSandboxInput | undefined): boolean {
  if (input && needs(undefined, input)) return true;
  if (!state) return false;
  const r = hint ? recordsOf(state) : undefined;
  if (r && hint) return r.sandboxesWith(hint, (sb) => needs(sb)).length > 0;
  const sbs = state.sandboxes;
  for (let i = 0; i < sbs.length; i++) if (needs(sbs[i])) return true; // a plain loop: see resolve.ts
  return false;
}
