/**
 * Extra planning steps that features (ports, ...) hang on sandbox and endpoint
 * changes. Each hook runs inside the locked update and returns the ops to add
 * to the same plan (and may update the sandbox's state, which is saved with it).
 */
import type { Endpoint, Sandbox, State } from '../model.js';
import type { Op } from '../plan.js';
import type { AddSandboxInput } from './requests.js';

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

const hooks: SandboxHooks[] = [];

export function addSandboxHooks(h: SandboxHooks): void {
  hooks.push(h);
}

export function sandboxHooks(): readonly SandboxHooks[] {
  return hooks;
}
