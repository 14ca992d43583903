/**
 * What hangs on what, in one visible place. Features that plug into the
 * sandbox plans are registered here, once, before a command runs (main.ts
 * calls wire() for the CLI and the CNI face; buildCli does too, for tests and
 * the docs generator); no module registers anything just by being imported.
 */
import { dnsResolverFor } from './core/dns/hooks.js';
import { portsHooks } from './core/ops/ports.js';
import { addSandboxHooks } from './core/plans/hooks.js';
import { setDnsResolverFor } from './core/plans/sandbox-files.js';

let wired = false;

export function wire(): void {
  if (wired) return;
  wired = true;
  // A sandbox on DNS-enabled networks names their gateways (the embedded server) in its resolv.conf.
  setDnsResolverFor(dnsResolverFor);
  // Published ports: -p on sandbox add, cleanup on sandbox rm, a new target when their endpoint goes.
  addSandboxHooks(portsHooks);
}
