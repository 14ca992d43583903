/**
 * How the embedded DNS hangs on the rest of cnm: a sandbox on DNS-enabled
 * networks names their gateways in its resolv.conf (dnsResolverFor, registered
 * by src/wiring.ts), and a join that needs the server makes sure it runs
 * (a post-apply step: after the state is saved, outside the kernel plan).
 */
import type { Sandbox, State } from '../model.js';
import type { DnsResolverFor } from '../plans/sandbox-files.js';
import type { Session } from '../session.js';
import { ensureServer, ensureServerShell } from './lifecycle.js';
import { resolversFor } from './records.js';
import { endpointsOf } from '../resolve.js';

/** The resolvers of a sandbox with these endpoints: the gateways of its DNS-enabled networks. */
export const dnsResolverFor: DnsResolverFor = (state, _sb, eps) => resolversFor(state, eps);

/** The gateways a sandbox's DNS server must listen on, read inside the update that joined it. */
export function dnsGateways(state: State, sb: Sandbox): string[] {
  return resolversFor(state, endpointsOf(state, sb)) ?? [];
}

/**
 * Starts the server (detached) if these gateways need it; a failure is a
 * warning of the session, the join stands. A dry run shows the start instead.
 */
export async function startDnsFor(s: Session, gateways: readonly string[]): Promise<void> {
  if (s.dryRun) return s.show(ensureServerShell(s.store.dir, gateways));
  if (gateways.length === 0) return;
  const warning = await ensureServer(s.store.dir, gateways);
  if (warning) s.warnings.push(warning);
}
