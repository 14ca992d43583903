/**
 * Checks a plan against the kernel: which of its ops are not (or no longer)
 * true, comparing each typed op's fields with what `ip -j` reports (kernel.ts).
 * Drivers' plans are the description of what should exist, so any driver that
 * plans with these ops is checked without code of its own. What it cannot read
 * (fdb entries, nft here, kills) counts as satisfied: reconcile never
 * "repairs" what it cannot see.
 */
import { netnsPath } from '../paths.js';
import { type Op, linkDel, linkPlace, linkSet } from '../plan.js';
import type { Kernel, LinkView } from '../observe/kernel.js';

export interface Gap {
  /** The ops to apply again, in plan order. */
  apply: Op[];
  /** Half-present things to remove first (a veth whose peer is gone). */
  teardown: Op[];
  /** One line per missing piece. */
  problems: string[];
  /** One line per setting that differs without cutting anything off (a CNI STATUS or CHECK passes): reconcile sets it. */
  drift: string[];
}

const key = (ns: string | undefined, name: string) => `${ns ?? ''}\u0000${name}`;

type Place = { ns: string | undefined; name: string };

/** Where each link the plan adds ends up (a veth's peer included), by every name the plan uses for it. */
function finalPlaces(plan: readonly Op[]): Map<string, Place> {
  const place = new Map<string, Place>();
  for (const op of plan) {
    if (op.kind !== 'link.add') continue;
    const p = { ns: linkPlace(op), name: op.name };
    place.set(key(p.ns, p.name), p);
    if (op.ns !== p.ns) place.set(key(op.ns, op.name), p);
    if (op.link.type === 'veth') {
      const peer = { ns: op.link.peer.netns ?? op.ns, name: op.link.peer.name };
      place.set(key(peer.ns, peer.name), peer);
    }
  }
  return place;
}

const where = (ns: string | undefined) => (ns === undefined ? '' : ` in ${ns}`);

function routeDst(dst: string): string {
  return dst === '0.0.0.0/0' || dst === '::/0' ? 'default' : dst.replace(/\/(32|128)$/, '');
}

export function unsatisfied(plan: readonly Op[], k: Kernel): Gap {
  const gap: Gap = { apply: [], teardown: [], problems: [], drift: [] };
  const places = finalPlaces(plan);
  // A link the plan adds and deletes again (a driver's probe) is not meant to exist.
  const recreated = new Set<string>();
  const transient = new Set(plan.flatMap((o) => (o.kind === 'link.del' ? [key(o.ns, o.name)] : [])));
  const link = (ns: string | undefined, name: string): [LinkView | undefined, Place] => {
    const p = places.get(key(ns, name)) ?? { ns, name };
    return [k.ns(p.ns)?.links.get(p.name), p];
  };
  const miss = (op: Op, problem: string) => {
    gap.apply.push(op);
    if (!gap.problems.includes(problem)) gap.problems.push(problem);
  };
  for (const op of plan) {
    switch (op.kind) {
      case 'sysctl': {
        const v = k.sysctl(op.key);
        if (v !== op.value) miss(op, `sysctl ${op.key} is ${v ?? 'unreadable'}, not ${op.value}`);
        break;
      }
      case 'file': {
        const v = k.file(op.path);
        if (v !== op.content) miss(op, op.content === null ? `file ${op.path} should not exist` : v === null ? `file ${op.path} missing` : `file ${op.path} differs`);
        break;
      }
      case 'mount.bind': {
        const name = op.target.startsWith(netnsPath('')) ? op.target.slice(netnsPath('').length) : undefined;
        if (name && !k.netnsMounted(name)) miss(op, `namespace ${name} not mounted`);
        break;
      }
      case 'netns.add':
      case 'netns.attach':
        if (!k.netnsMounted(op.name)) miss(op, `namespace ${op.name} missing`);
        break;
      case 'link.add': {
        const ns = linkPlace(op);
        if (transient.has(key(ns, op.name))) break;
        const [main, mp] = link(ns, op.name);
        const peerOf = op.link.type === 'veth' ? op.link.peer : undefined;
        const peer = peerOf ? link(peerOf.netns ?? op.ns, peerOf.name) : undefined;
        if (main && (!peer || peer[0])) {
          // A link made before it had a group (guard.ts marks endpoint ports by theirs) gets it set.
          if (op.group !== undefined && main.group !== undefined && main.group !== String(op.group)) {
            miss(linkSet(mp.name, { group: op.group }, mp.ns), `link ${mp.name}${where(mp.ns)} is in group ${main.group}, not ${op.group}`);
          }
          // A bridge made by an older cnm, with the kernel's default snooping, gets cnm's: drift, not
          // a fault (its sandboxes' traffic flows the same).
          const snooping = op.link.type === 'bridge' ? op.link.mcastSnooping : undefined;
          if (snooping !== undefined && main.mcastSnooping !== undefined && main.mcastSnooping !== snooping) {
            gap.apply.push(linkSet(mp.name, { mcastSnooping: snooping }, mp.ns));
            gap.drift.push(`bridge ${mp.name}${where(mp.ns)} has multicast snooping ${main.mcastSnooping ? 'on' : 'off'}`);
          }
          break;
        }
        if (main) gap.teardown.push(linkDel(mp.name, mp.ns));
        else if (peer?.[0]) gap.teardown.push(linkDel(peer[1].name, peer[1].ns));
        miss(op, `link ${op.name}${where(ns)} missing${main ? ` (its peer ${peerOf?.name} is gone)` : ''}`);
        recreated.add(key(ns, op.name));
        break;
      }
      // `bridge fdb` lines (overlay flooding entries) cannot be read back here: they are
      // taken as present, except on a device being recreated, which comes back without them.
      case 'fdb.append':
      case 'fdb.del':
        if (recreated.has(key(op.ns, op.dev))) miss(op, `fdb entries of ${op.dev} missing`);
        break;
      case 'link.set': {
        const [l, p] = link(op.ns, op.name);
        if (!l) miss(op, `link ${p.name}${where(p.ns)} missing`);
        else if (op.master !== undefined && l.master !== op.master) miss(op, `${p.name} is not attached to ${op.master}`);
        else if (op.up && !l.up) miss(op, `${p.name}${where(p.ns)} is down`);
        else if (op.alias !== undefined && l.alias !== op.alias) miss(op, `${p.name}${where(p.ns)} does not carry its mark ${op.alias}`);
        break;
      }
      case 'addr.add': {
        const [l, p] = link(op.ns, op.dev);
        if (!l?.addrs.includes(op.addr.toLowerCase())) miss(op, `address ${op.addr} missing on ${p.name}${where(p.ns)}`);
        break;
      }
      case 'route.add':
      case 'route.replace': {
        const dst = routeDst(op.dst);
        const view = k.ns(op.ns);
        const routes = view === null ? [] : op.dst.includes(':') ? k.routes6Of(op.ns) : view.routes;
        const ok = routes.some((r) => r.dst === dst && (op.via === undefined || r.gateway === op.via) && r.dev === op.dev);
        if (!ok) miss(op, `route ${dst}${op.via ? ` via ${op.via}` : ''}${where(op.ns)} missing`);
        break;
      }
      default:
        // Deletions, nft (nft.ts checks rules) and kills: nothing to see here.
        break;
    }
  }
  return gap;
}
