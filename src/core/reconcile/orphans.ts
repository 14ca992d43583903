/**
 * Orphans: kernel objects that carry this instance's marks but that state does
 * not know (left by a crash, or by a state file moved away). Marks: links named
 * `cnm0`, `cnm-<11 hex>`, `cnmx|cnms|cnmp<11 hex>` (VXLAN, host shim, probe), `veth<11 hex>`
 * with this instance's alias (src/core/instance.ts); namespaces and /etc/netns folders
 * whose resolv.conf this instance wrote ("# written by cnm[ ID] for sandbox").
 * Each is removed, except a namespace with processes in it: that one is
 * reported and left alone. Another state dir's objects are never touched.
 */
import { readdirSync } from 'node:fs';
import { removeSandboxFiles } from '../plans/sandbox-files.js';
import { fileMark, ownsLink } from '../instance.js';
import { ETC_NETNS_DIR, netnsPath, sandboxEtc } from '../paths.js';
import { processesInEach } from '../processes.js';
import { linkDel } from '../plan.js';
import { ownedHostLinks } from './desired.js';
import { sleepSync } from '../observe/kernel.js';
import type { Finding, Reconciler } from './types.js';

export const CNM_LINK = /^(cnm0|cnm-[0-9a-f]{11}|cnm[xsp][0-9a-f]{11}|veth[0-9a-f]{11})$/;

function etcNetnsNames(): string[] {
  try {
    return readdirSync(ETC_NETNS_DIR);
  } catch {
    return [];
  }
}

export const orphanReconciler: Reconciler = {
  name: 'orphans',
  order: 10,
  check(ctx) {
    const found: Finding[] = [];
    const owned = ownedHostLinks(ctx.state);
    const orphanLinks = () => [...(ctx.kernel.ns()?.links.values() ?? [])].filter((l) => CNM_LINK.test(l.name) && !owned.has(l.name) && ownsLink(l.alias));
    let links = orphanLinks();
    // A veth whose namespace was just deleted lingers while the kernel frees it in the
    // background (FACTS: `ip netns del` returns at once): give those a moment to go.
    for (let i = 0; i < 20 && links.some((l) => l.kind === 'veth'); i++) {
      sleepSync(50);
      ctx.kernel.invalidate();
      links = orphanLinks();
    }
    for (const link of links) {
      found.push({
        reconciler: 'orphans',
        object: `link ${link.name}`,
        problem: 'carries a cnm name but no network or endpoint in state owns it',
        action: 'remove it',
        teardown: [linkDel(link.name)],
      });
    }
    const known = new Set(ctx.state.sandboxes.map((s) => s.netns));
    const mark = `${fileMark()} for sandbox `;
    const cnmWrote = (name: string) => ctx.kernel.file(sandboxEtc(name, 'resolv.conf'))?.startsWith(mark) === true;
    const orphans = [...new Set([...ctx.kernel.netnsNames(), ...etcNetnsNames()])].filter((name) => !known.has(name) && cnmWrote(name));
    // One scan of /proc (it asks every process on the host) for all the mounted ones.
    const mountedOnes = orphans.filter((name) => ctx.kernel.netnsMounted(name));
    const inside = processesInEach(mountedOnes.map(netnsPath));
    const running = new Map(mountedOnes.map((name, i) => [name, inside[i]!]));
    for (const name of orphans) {
      const mounted = running.has(name);
      const pids = running.get(name) ?? [];
      if (pids.length > 0) {
        found.push({
          reconciler: 'orphans',
          object: `namespace ${name}`,
          problem: `made by cnm but no sandbox in state owns it, and processes run in it (pid ${pids.slice(0, 5).join(', ')})`,
          action: 'leave it alone (stop them, then reconcile again)',
          pending: true,
        });
        continue;
      }
      found.push({
        reconciler: 'orphans',
        object: mounted ? `namespace ${name}` : `files /etc/netns/${name}`,
        problem: 'made by cnm but no sandbox in state owns it',
        action: 'remove it',
        teardown: [...(mounted ? [{ kind: 'netns.del' as const, name }] : []), ...removeSandboxFiles({ name } as Parameters<typeof removeSandboxFiles>[0])],
      });
    }
    return found;
  },
};
