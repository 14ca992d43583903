/**
 * What hangs on what, in one visible place. Features that plug into the
 * sandbox plans are registered here, once, before a command runs (main.ts
 * calls wire() for the CLI and the CNI face; buildCli does too, for tests and
 * the docs generator); no module registers anything just by being imported.
 */
import { dnsResolverFor } from './core/dns/hooks.js';
import { addLazySandboxHooks, loadHooks } from './core/plans/hooks.js';
import { loadDrivers } from './drivers/index.js';
import { setDnsResolverFor } from './core/plans/sandbox-files.js';


let wired = false;

export function wire(): void {
  if (wired) return;
  wired = true;
  // A sandbox on DNS-enabled networks names their gateways (the embedded server) in its resolv.conf.
  setDnsResolverFor(dnsResolverFor);
  // Published ports: -p on sandbox add, cleanup on sandbox rm, a new target when their endpoint goes.
  // Loaded only for a sandbox that has some or an add that asks for some (most runs have neither).
  addLazySandboxHooks(
    (sb, input) => (sb?.ports?.length ?? 0) > 0 || (input?.publish?.length ?? 0) > 0,
    async () => (await import('./core/ops/ports.js')).portsHooks,
    '"ports":[{',
  );
}

/** Loads every lazily registered feature and driver (a run that may plan anything: the full CLI, the CNI plugin). */
export async function loadAll(): Promise<void> {
  await Promise.all([loadHooks(), loadDrivers()]);
}
