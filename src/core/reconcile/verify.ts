/**
 * Checks a plan against the kernel: which of its ops are not (or no longer)
 * true. Drivers' plans are the description of what should exist, so any
 * driver that plans with ip lines is checked without code of its own. Lines
 * it cannot read (unknown `ip` objects, `cmd` ops other than a namespace bind
 * mount) count as satisfied: reconcile never "repairs" what it cannot see.
 */
import { netnsPath } from '../paths.js';
import { type Op, ipDel } from '../plan.js';
import type { Kernel, LinkView } from './kernel.js';

export interface Gap {
  /** The ops to apply again, in plan order. */
  apply: Op[];
  /** Half-present things to remove first (a veth whose peer is gone). */
  teardown: Op[];
  /** One line per missing piece. */
  problems: string[];
}

const LINK_KEYWORDS = new Set(['link', 'mtu', 'address', 'txqueuelen', 'txqlen', 'numtxqueues', 'numrxqueues', 'group', 'index', 'broadcast', 'brd', 'alias']);

interface LinkAdd {
  name: string;
  ns: string | undefined;
  peer?: { name: string; ns: string | undefined };
}

/** Parses `link add [link DEV] [name] NAME ... [netns NS] type T [peer name P ... netns NS]`. */
export function parseLinkAdd(args: readonly string[], ns: string | undefined): LinkAdd | undefined {
  if (args[0] !== 'link' || args[1] !== 'add') return undefined;
  let name: string | undefined;
  let where = ns;
  let i = 2;
  for (; i < args.length && args[i] !== 'type'; i++) {
    const w = args[i]!;
    if (w === 'name' || w === 'dev') name = args[++i];
    else if (w === 'netns') where = args[++i];
    else if (LINK_KEYWORDS.has(w)) i++;
    else if (name === undefined) name = w;
  }
  if (!name) return undefined;
  const out: LinkAdd = { name, ns: where };
  const peerAt = args.indexOf('peer', i);
  if (args[i + 1] === 'veth' && peerAt > 0) {
    let pname: string | undefined;
    let pns = ns;
    for (let j = peerAt + 1; j < args.length; j++) {
      if (args[j] === 'name') pname = args[++j];
      else if (args[j] === 'netns') pns = args[++j];
    }
    if (pname) out.peer = { name: pname, ns: pns };
  }
  return out;
}

/** `link set [dev] X ...` → X and the rest. */
function parseLinkSet(args: readonly string[]): { dev: string; rest: string[] } | undefined {
  if (args[0] !== 'link' || args[1] !== 'set') return undefined;
  const dev = args[2] === 'dev' ? args[3] : args[2];
  if (!dev) return undefined;
  return { dev, rest: args.slice(args[2] === 'dev' ? 4 : 3) };
}

const key = (ns: string | undefined, name: string) => `${ns ?? ''}\u0000${name}`;

/** Where each link of the plan ends up (after `link set X netns N` / `name Y`). */
function finalPlaces(plan: readonly Op[]): Map<string, { ns: string | undefined; name: string }> {
  const place = new Map<string, { ns: string | undefined; name: string }>();
  const alias = (ns: string | undefined, name: string) => place.get(key(ns, name)) ?? { ns, name };
  for (const op of plan) {
    if (op.kind !== 'ip') continue;
    const add = parseLinkAdd(op.args, op.ns);
    if (add) {
      const p = { ns: add.ns, name: add.name };
      place.set(key(add.ns, add.name), p);
      if (op.ns !== add.ns) place.set(key(op.ns, add.name), p);
      if (add.peer) place.set(key(add.peer.ns, add.peer.name), { ...add.peer });
      continue;
    }
    const set = parseLinkSet(op.args);
    if (!set) continue;
    const p = alias(op.ns, set.dev);
    const netnsAt = set.rest.indexOf('netns');
    const nameAt = set.rest.indexOf('name');
    if (netnsAt >= 0) p.ns = set.rest[netnsAt + 1];
    if (nameAt >= 0) p.name = set.rest[nameAt + 1]!;
    place.set(key(op.ns, set.dev), p);
    place.set(key(p.ns, p.name), p);
  }
  return place;
}

const where = (ns: string | undefined) => (ns === undefined ? '' : ` in ${ns}`);

function routeDst(dst: string): string {
  return dst === '0.0.0.0/0' || dst === '::/0' ? 'default' : dst.replace(/\/(32|128)$/, '');
}

export function unsatisfied(plan: readonly Op[], k: Kernel): Gap {
  const gap: Gap = { apply: [], teardown: [], problems: [] };
  const places = finalPlaces(plan);
  // A link the plan adds and deletes again (a driver's probe) is not meant to exist.
  const recreated = new Set<string>();
  const transient = new Set(plan.flatMap((o) => (o.kind === 'ip' && o.args[0] === 'link' && o.args[1] === 'del' && o.args[2] ? [key(o.ns, o.args[2])] : [])));
  const link = (ns: string | undefined, name: string): [LinkView | undefined, { ns: string | undefined; name: string }] => {
    const p = places.get(key(ns, name)) ?? { ns, name };
    return [k.ns(p.ns)?.links.get(p.name), p];
  };
  const miss = (op: Op, problem: string) => {
    gap.apply.push(op);
    if (!gap.problems.includes(problem)) gap.problems.push(problem);
  };
  for (const op of plan) {
    if (op.kind === 'sysctl') {
      const v = k.sysctl(op.key);
      if (v !== op.value) miss(op, `sysctl ${op.key} is ${v ?? 'unreadable'}, not ${op.value}`);
    } else if (op.kind === 'file') {
      const v = k.file(op.path);
      if (v !== op.content) miss(op, op.content === null ? `file ${op.path} should not exist` : v === null ? `file ${op.path} missing` : `file ${op.path} differs`);
    } else if (op.kind === 'cmd') {
      const target = op.argv[0] === 'mount' ? op.argv[op.argv.length - 1] : undefined;
      const name = target?.startsWith(netnsPath('')) ? target.slice(netnsPath('').length) : undefined;
      if (name && !k.netnsMounted(name)) miss(op, `namespace ${name} not mounted`);
    } else if (op.kind === 'ip') {
      const a = op.args;
      if (a[0] === 'netns' && (a[1] === 'add' || a[1] === 'attach')) {
        if (!k.netnsMounted(a[2]!)) miss(op, `namespace ${a[2]} missing`);
        continue;
      }
      const add = parseLinkAdd(a, op.ns);
      if (add && transient.has(key(add.ns, add.name))) continue;
      if (add) {
        const [main, mp] = link(add.ns, add.name);
        const peer = add.peer ? link(add.peer.ns, add.peer.name) : undefined;
        if (main && (!peer || peer[0])) continue;
        if (main) gap.teardown.push(ipDel(['link', 'del', mp.name], mp.ns));
        else if (peer?.[0]) gap.teardown.push(ipDel(['link', 'del', peer[1].name], peer[1].ns));
        miss(op, `link ${add.name}${where(add.ns)} missing${main ? ` (its peer ${add.peer?.name} is gone)` : ''}`);
        recreated.add(key(add.ns, add.name));
        continue;
      }
      // `bridge fdb` lines (overlay flooding entries) cannot be read back here: they are
      // taken as present, except on a device being recreated, which comes back without them.
      if (op.tool === 'bridge') {
        const dev = a[a.indexOf('dev') + 1];
        if (a[0] === 'fdb' && dev && recreated.has(key(op.ns, dev))) miss(op, `fdb entries of ${dev} missing`);
        continue;
      }
      const set = parseLinkSet(a);
      if (set) {
        const [l, p] = link(op.ns, set.dev);
        const masterAt = set.rest.indexOf('master');
        if (!l) miss(op, `link ${p.name}${where(p.ns)} missing`);
        else if (masterAt >= 0 && l.master !== set.rest[masterAt + 1]) miss(op, `${p.name} is not attached to ${set.rest[masterAt + 1]}`);
        else if (set.rest.includes('up') && !l.up) miss(op, `${p.name}${where(p.ns)} is down`);
        continue;
      }
      if (a[0] === 'addr' && a[1] === 'add') {
        const devAt = a.indexOf('dev');
        const [l, p] = link(op.ns, a[devAt + 1]!);
        if (!l?.addrs.includes(a[2]!.toLowerCase())) miss(op, `address ${a[2]} missing on ${p.name}${where(p.ns)}`);
        continue;
      }
      if (a[0] === 'route' && (a[1] === 'add' || a[1] === 'replace')) {
        const dst = routeDst(a[2]!);
        const via = a.includes('via') ? a[a.indexOf('via') + 1] : undefined;
        const dev = a.includes('dev') ? a[a.indexOf('dev') + 1] : undefined;
        const six = a[2]!.includes(':');
        const view = k.ns(op.ns);
        const routes = view === null ? [] : six ? k.routes6Of(op.ns) : view.routes;
        const ok = routes.some((r) => r.dst === dst && (via === undefined || r.gateway === via) && (dev === undefined || r.dev === dev));
        if (!ok) miss(op, `route ${dst}${via ? ` via ${via}` : ''}${where(op.ns)} missing`);
      }
    }
  }
  return gap;
}
