/**
 * The reconcilers for what state names: sandboxes (their namespaces),
 * networks and endpoints (checked against their drivers' own plans) and the
 * /etc/netns files. What cannot come back (an adopted process that died) is
 * dropped from state, which releases its addresses.
 */
import { existsSync } from 'node:fs';
import { getDriver } from '../../drivers/index.js';
import type { Network, Sandbox } from '../model.js';
import { planJoin } from '../plans/endpoint.js';
import { namespacePlan, onHostNetwork, sandboxTeardown } from '../plans/namespace.js';
import { sandboxFiles } from '../plans/sandbox-files.js';
import { netnsPath } from '../paths.js';
import type { Op } from '../plan.js';
import { endpointsOf, networkOf } from '../resolve.js';
import type { Finding, ReconcileContext, Reconciler } from './types.js';
import { sleepSync } from '../observe/kernel.js';
import { unsatisfied } from './verify.js';

const withoutNft = (ops: readonly Op[]) => ops.filter((o) => o.kind !== 'nft');

function drop(ctx: ReconcileContext, sb: Sandbox, why: string): Finding {
  ctx.skip.add(sb.id);
  const eps = endpointsOf(ctx.state, sb);
  const addrs = eps.flatMap((e) => [e.ipv4, e.ipv6]).filter(Boolean);
  return {
    reconciler: 'sandboxes',
    object: `sandbox ${sb.name}`,
    problem: why,
    action: `drop it from state${addrs.length ? `, releasing ${addrs.join(', ')}` : ''}`,
    teardown: sandboxTeardown(ctx.state, sb),
    update: (state) => {
      state.endpoints = state.endpoints.filter((e) => e.sandboxId !== sb.id);
      state.sandboxes = state.sandboxes.filter((x) => x.id !== sb.id);
    },
  };
}

/**
 * A namespace that was just deleted takes its veths with it, but the kernel
 * frees them in the background (FACTS: a veth delete costs ~25 ms, more under
 * load). Recreating the sandbox's endpoints under the same names must not race
 * that: wait, bounded (2 s), until the old host ends are gone. After a reboot
 * they are gone already; if a process keeps the old namespace alive they stay,
 * and the endpoint repair removes them as half-present.
 */
function awaitOldVeths(ctx: ReconcileContext, sb: Sandbox): void {
  const names = ctx.state.endpoints.filter((e) => e.sandboxId === sb.id && e.hostIfname).map((e) => e.hostIfname);
  for (let i = 0; i < 40 && names.some((n) => ctx.kernel.ns()?.links.has(n)); i++) {
    sleepSync(50);
    ctx.kernel.invalidate();
  }
}

export const sandboxReconciler: Reconciler = {
  name: 'sandboxes',
  order: 20,
  check(ctx) {
    const found: Finding[] = [];
    for (const sb of ctx.state.sandboxes) {
      const mounted = ctx.kernel.netnsMounted(sb.netns);
      const pid = sb.adopted?.pid;
      if (pid !== undefined) {
        const procIno = ctx.kernel.netnsInode(`/proc/${pid}/ns/net`);
        if (procIno === undefined) {
          found.push(drop(ctx, sb, `the adopted process ${pid} is gone`));
          continue;
        }
        if (mounted && procIno !== ctx.kernel.netnsInode(netnsPath(sb.netns))) {
          found.push(drop(ctx, sb, `process ${pid} no longer lives in the adopted namespace`));
          continue;
        }
      } else if (sb.adopted?.path !== undefined && !mounted && !existsSync(sb.adopted.path)) {
        found.push(drop(ctx, sb, `the adopted namespace ${sb.adopted.path} is gone`));
        continue;
      }
      if (mounted) continue;
      const ns = namespacePlan(sb, onHostNetwork(ctx.state, sb));
      const plan = [...ns.host, ...ns.inside];
      if (!sb.adopted && ctx.restoring(sb)) awaitOldVeths(ctx, sb);
      if (sb.adopted || onHostNetwork(ctx.state, sb) || ctx.restoring(sb)) {
        found.push({
          reconciler: 'sandboxes',
          object: `sandbox ${sb.name}`,
          problem: `namespace ${sb.netns} is gone`,
          action: sb.adopted ? 'mount the adopted namespace again' : 'recreate it (same addresses)',
          apply: plan,
        });
      } else {
        ctx.skip.add(sb.id);
        found.push({
          reconciler: 'sandboxes',
          object: `sandbox ${sb.name}`,
          problem: `namespace ${sb.netns} is gone (its processes with it)`,
          action: `recreate it with 'cnm sandbox restore ${sb.name}' or 'cnm reconcile --restore' (its addresses stay reserved)`,
          pending: true,
        });
      }
    }
    return found;
  },
};

export const networkReconciler: Reconciler = {
  name: 'networks',
  order: 30,
  check(ctx) {
    const found: Finding[] = [];
    for (const net of ctx.state.networks) {
      const gap = unsatisfied(withoutNft(getDriver(net.driver).createNetwork(net)), ctx.kernel);
      if (gap.apply.length === 0) continue;
      const action = gap.problems.length > 0 ? 'recreate what is missing' : 'set it';
      found.push({ reconciler: 'networks', object: `network ${net.name}`, problem: [...gap.problems, ...gap.drift].join('; '), action, teardown: gap.teardown, apply: gap.apply });
    }
    return found;
  },
};

export const endpointReconciler: Reconciler = {
  name: 'endpoints',
  order: 40,
  check(ctx) {
    const found: Finding[] = [];
    for (const sb of ctx.state.sandboxes) {
      if (ctx.skip.has(sb.id)) continue;
      const eps = endpointsOf(ctx.state, sb);
      eps.forEach((ep, i) => {
        const net: Network = networkOf(ctx.state, ep);
        const join = planJoin(ctx.state, net, ep, sb, eps.slice(0, i));
        const gap = unsatisfied(withoutNft([...join.host, ...join.sandbox]), ctx.kernel);
        if (gap.apply.length === 0) return;
        found.push({
          reconciler: 'endpoints',
          object: `endpoint ${sb.name}/${net.name}`,
          problem: gap.problems.join('; '),
          action: 'recreate what is missing (same addresses)',
          teardown: gap.teardown,
          apply: gap.apply,
        });
      });
    }
    return found;
  },
};

export const fileReconciler: Reconciler = {
  name: 'files',
  order: 60,
  check(ctx) {
    const found: Finding[] = [];
    for (const sb of ctx.state.sandboxes) {
      if (ctx.skip.has(sb.id)) continue;
      const eps = endpointsOf(ctx.state, sb);
      const files = sandboxFiles(ctx.state, sb, eps, eps.map((e) => networkOf(ctx.state, e)));
      const gap = unsatisfied(files, ctx.kernel);
      if (gap.apply.length === 0) continue;
      found.push({ reconciler: 'files', object: `sandbox ${sb.name}`, problem: gap.problems.join('; '), action: 'rewrite them', apply: gap.apply });
    }
    return found;
  },
};
