/**
 * What the kernel has, read once per namespace and kind: one `ip -j -d -batch`
 * process per namespace gives links, addresses and IPv4 routes; IPv6 routes,
 * the nftables table, sysctls and namespace mounts are read when first asked.
 * invalidate() forgets everything after repairs changed the kernel.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { CnmError, firstLine } from '../errors.js';
import { TABLE } from '../instance.js';
import { NETNS_DIR, netnsPath } from '../paths.js';
import { sysctlPath } from '../plan.js';
import { run } from '../runner.js';

export interface LinkView {
  name: string;
  kind: string | undefined;
  master: string | undefined;
  up: boolean;
  /** The link's alias (ifalias): the owner mark of another instance's links. */
  alias: string | undefined;
  /** The interface group, as `ip -j` prints it ("default" or a number). */
  group: string | undefined;
  /** A bridge's IGMP/MLD snooping (`ip -d`'s mcast_snooping); undefined for other links. */
  mcastSnooping: boolean | undefined;
  /** "a.b.c.d/len" and "x::y/len". */
  addrs: string[];
}

export interface RouteView {
  dst: string;
  gateway: string | undefined;
  dev: string | undefined;
}

export interface NsView {
  links: Map<string, LinkView>;
  routes: RouteView[];
}

export interface NftView {
  chains: Set<string>;
  /** Rules per chain, with their comments. */
  rules: Map<string, (string | undefined)[]>;
  /** Elements (keys) per set or map, and for maps the verdict target. */
  elements: Map<string, Map<string, string | undefined>>;
  /** Per set or map, the owner tag ("cnm:sb:<12 hex>") of each element that has one in its comment. */
  tags: Map<string, string[]>;
}

interface JsonLink {
  ifname: string;
  flags?: string[];
  master?: string;
  ifalias?: string;
  group?: string;
  linkinfo?: { info_kind?: string; info_data?: { mcast_snooping?: number } };
  addr_info?: { local: string; prefixlen: number; scope?: string }[];
}

interface JsonRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}

type NftItem = {
  chain?: { table: string; name: string };
  rule?: { table: string; chain: string; comment?: string };
  set?: { table: string; name: string; elem?: unknown[] };
  map?: { table: string; name: string; elem?: unknown[] };
};

function elementKey(e: unknown): [string, string | undefined] | undefined {
  if (typeof e === 'string') return [e, undefined];
  if (Array.isArray(e) && typeof e[0] === 'string') {
    const v = e[1] as { jump?: { target?: string }; goto?: { target?: string } } | undefined;
    return [e[0], v?.jump?.target ?? v?.goto?.target];
  }
  if (e && typeof e === 'object' && 'elem' in e) return elementKey((e as { elem: { val?: unknown } }).elem.val);
  return undefined;
}

export function parseNft(text: string, table = 'cnm'): NftView {
  const doc = JSON.parse(text) as { nftables?: NftItem[] };
  const view: NftView = { chains: new Set(), rules: new Map(), elements: new Map(), tags: new Map() };
  for (const item of doc.nftables ?? []) {
    if (item.chain && item.chain.table === table) {
      view.chains.add(item.chain.name);
      if (!view.rules.has(item.chain.name)) view.rules.set(item.chain.name, []);
    } else if (item.rule && item.rule.table === table) {
      const list = view.rules.get(item.rule.chain) ?? [];
      list.push(item.rule.comment);
      view.rules.set(item.rule.chain, list);
    } else {
      const s = item.set ?? item.map;
      if (!s || s.table !== table) continue;
      const elems = new Map<string, string | undefined>();
      view.tags.set(s.name, (s.elem ?? []).flatMap((e) => JSON.stringify(e).match(/cnm:[a-z]+:[0-9a-f]{12}/)?.[0] ?? []));
      for (const e of s.elem ?? []) {
        const kv = elementKey(e);
        if (kv) elems.set(kv[0], kv[1]);
      }
      view.elements.set(s.name, elems);
    }
  }
  return view;
}

export function parseIpBatch(stdout: string): NsView {
  const docs = stdout.split('\n').filter((l) => l.trim().startsWith('['));
  const links = new Map<string, LinkView>();
  for (const l of (docs[0] ? JSON.parse(docs[0]) : []) as JsonLink[]) {
    links.set(l.ifname, {
      name: l.ifname,
      kind: l.linkinfo?.info_kind,
      master: l.master,
      up: (l.flags ?? []).includes('UP'),
      alias: l.ifalias,
      group: l.group,
      mcastSnooping: l.linkinfo?.info_kind === 'bridge' ? l.linkinfo.info_data?.mcast_snooping === 1 : undefined,
      addrs: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    });
  }
  const routes = ((docs[1] ? JSON.parse(docs[1]) : []) as JsonRoute[]).map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev }));
  return { links, routes };
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The inode device of nsfs, to tell a mounted namespace from a plain file. */
function nsfsDev(): number | undefined {
  try {
    return statSync('/proc/self/ns/net').dev;
  } catch {
    return undefined;
  }
}

export class Kernel {
  private views = new Map<string, NsView | null>();
  private routes6 = new Map<string, RouteView[]>();
  private nftView: NftView | null | undefined;
  private otherTables = new Map<string, NftView | null>();
  /** Processes spawned to observe, for --debug readers and tests. */
  observations = 0;

  invalidate(): void {
    this.views.clear();
    this.routes6.clear();
    this.nftView = undefined;
    this.otherTables.clear();
  }

  /** Whether /run/netns/NAME is a mounted network namespace (not just a file). */
  netnsMounted(name: string): boolean {
    try {
      const st = statSync(netnsPath(name));
      const dev = nsfsDev();
      return dev === undefined ? true : st.dev === dev;
    } catch {
      return false;
    }
  }

  /** The inode of a mounted namespace, to compare with /proc/PID/ns/net. */
  netnsInode(path: string): number | undefined {
    try {
      return statSync(path).ino;
    } catch {
      return undefined;
    }
  }

  netnsNames(): string[] {
    try {
      return readdirSync(NETNS_DIR);
    } catch {
      return [];
    }
  }

  /** Links, addresses and routes of a namespace (undefined = cnm's own); null when it is gone. */
  ns(name?: string): NsView | null {
    const key = name ?? '';
    if (this.views.has(key)) return this.views.get(key)!;
    let view: NsView | null;
    if (name !== undefined && !this.netnsMounted(name)) {
      view = null;
    } else {
      this.observations++;
      const r = run('ip', [...(name !== undefined ? ['-n', name] : []), '-j', '-d', '-batch', '-'], { input: 'addr show\nroute show\n' });
      if (r.code !== 0) {
        if (name !== undefined && /Cannot open network namespace|Invalid argument|No such file/.test(r.stderr)) view = null;
        else throw new CnmError(`cannot read the kernel's links (ip -j addr): ${firstLine(r.stderr)}`);
      } else {
        view = parseIpBatch(r.stdout);
      }
    }
    this.views.set(key, view);
    return view;
  }

  routes6Of(name?: string): RouteView[] {
    const key = name ?? '';
    const cached = this.routes6.get(key);
    if (cached) return cached;
    this.observations++;
    const r = run('ip', [...(name !== undefined ? ['-n', name] : []), '-6', '-j', 'route', 'show']);
    const list = r.code === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as JsonRoute[]).map((x) => ({ dst: x.dst, gateway: x.gateway, dev: x.dev })) : [];
    this.routes6.set(key, list);
    return list;
  }

  /** This instance's nftables table, or null when it does not exist. */
  nft(): NftView | null {
    if (this.nftView !== undefined) return this.nftView;
    this.observations++;
    const r = run('nft', ['-j', 'list', 'table', ...TABLE.split(' ')]);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return (this.nftView = null);
      throw new CnmError(`cannot read cnm's nftables table: ${firstLine(r.stderr)}`);
    }
    return (this.nftView = parseNft(r.stdout, TABLE.split(' ')[1]));
  }

  /** Another of cnm's tables ("bridge cnm": src/core/firewall/guard.ts), or null when it does not exist. */
  nftTable(table: string): NftView | null {
    const seen = this.otherTables.get(table);
    if (seen !== undefined) return seen;
    this.observations++;
    const r = run('nft', ['-j', 'list', 'table', ...table.split(' ')]);
    let view: NftView | null;
    if (r.code === 0) view = parseNft(r.stdout, table.split(' ')[1]);
    else if (/No such file or directory/.test(r.stderr)) view = null;
    else throw new CnmError(`cannot read nftables table ${table}: ${firstLine(r.stderr)}`);
    this.otherTables.set(table, view);
    return view;
  }

  sysctl(key: string): string | undefined {
    try {
      return readFileSync(`/proc/sys/${sysctlPath(key)}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  file(path: string): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  }
}
