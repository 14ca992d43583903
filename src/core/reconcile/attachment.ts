/**
 * What is wrong with one attachment, as the kernel shows it (a CNI CHECK):
 * its namespace, its network's switch, its endpoint's links, addresses and
 * routes, its network's and its ports' nftables rules, and the DNS server
 * its network needs. The same descriptions reconcile uses (the plans), read
 * for one sandbox only: a few processes, whatever else the host has.
 */
import { getDriver } from '../../drivers/index.js';
import { servedAddrs, serverPid } from '../dns/lifecycle.js';
import { dnsEnabled } from '../dns/records.js';
import { formatAddr } from '../ip.js';
import { sandboxTag } from '../firewall/ports.js';
import type { Endpoint, Sandbox, State } from '../model.js';
import { planJoin } from '../plans/endpoint.js';
import type { Op } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';
import { Kernel } from '../observe/kernel.js';
import { nftReconciler } from './nft.js';
import { portsReconciler } from './ports.js';
import { unsatisfied } from './verify.js';

const withoutNft = (ops: readonly Op[]) => ops.filter((o) => o.kind !== 'nft');

export function attachmentProblems(state: State, sb: Sandbox, ep: Endpoint): string[] {
  const kernel = new Kernel();
  const net = networkOf(state, ep);
  if (!kernel.netnsMounted(sb.netns)) return [`namespace ${sb.netns} is gone`];
  const problems: string[] = [];
  const sw = unsatisfied(withoutNft(getDriver(net.driver).createNetwork(net)), kernel);
  problems.push(...sw.problems.map((p) => `network ${net.name}: ${p}`));
  const eps = endpointsOf(state, sb);
  const i = eps.findIndex((e) => e.id === ep.id);
  const join = planJoin(state, net, ep, sb, eps.slice(0, i));
  problems.push(...unsatisfied(withoutNft([...join.host, ...join.sandbox]), kernel).problems);
  const ctx = { state: { ...state, networks: [net], endpoints: eps, sandboxes: [sb] }, kernel, skip: new Set<string>(), restoring: () => false };
  for (const f of nftReconciler.check(ctx)) if (f.object !== 'nftables orphans') problems.push(`${f.object}: ${f.problem}`);
  if (sb.ports.length > 0) {
    // The ports' rules as a whole, on the whole state: only this sandbox's elements are its concern.
    const tag = sandboxTag(sb);
    for (const f of portsReconciler.check({ ...ctx, state })) {
      problems.push(...f.problem.split('; ').filter((p) => p.includes(tag) || !p.includes('cnm:sb:')).map((p) => `published ports: ${p}`));
    }
  }
  if (dnsEnabled(net) && eps.length > 0) {
    const served = serverPid() === undefined ? [] : servedAddrs();
    const missing = net.subnets.flatMap((s) => (s.gateway ? [formatAddr(s.gateway)] : [])).filter((g) => !served.includes(g));
    if (missing.length > 0) problems.push(`the embedded DNS server does not answer on ${missing.join(', ')}`);
  }
  return problems;
}
