/**
 * This host's membership, as the state dir remembers it: STATE_DIR/cluster.json
 * (mode 0600) names the store, the certificate files (paths, never their
 * contents), this host's name, underlay address and lease. Its presence is
 * what "joined" means locally; commands that need the store load the client
 * from here, and commands that do not never read it.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from '../files.js';
import { join } from '../paths.js';
import { CnmError, UsageError } from '../errors.js';
import { parseAddr } from '../ip.js';
import { EtcdClient, type TlsFiles } from './etcd.js';
import { preconnect as open } from './transport.js';

export interface Membership {
  /** The store as the user wrote it: etcd://IP:PORT[,IP:PORT] or etcds://... */
  store: string;
  endpoints: string[];
  tls?: TlsFiles;
  name: string;
  address: string;
  /** Tells this host's records from another host that took the same name. */
  uid: string;
  lease: string;
  ttl: number;
  joined: string;
}

export function membershipFile(stateDir: string): string {
  return join(stateDir, 'cluster.json');
}

export function readMembership(stateDir: string): Membership | undefined {
  const f = membershipFile(stateDir);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Membership;
  } catch (e) {
    throw new CnmError(`cannot read ${f}: ${e instanceof Error ? e.message : String(e)}; remove it and join again`);
  }
}

export function writeMembership(stateDir: string, m: Membership): void {
  const f = membershipFile(stateDir);
  const tmp = `${f}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, f);
}

export function removeMembership(stateDir: string): void {
  try {
    unlinkSync(membershipFile(stateDir));
  } catch {
    /* already gone */
  }
}

/**
 * Parses the store URL: etcd://IP:PORT[,IP:PORT...] is plain HTTP, etcds://
 * (or any certificate option) is HTTPS. Returns the gateway base URLs.
 */
export function parseStoreUrl(url: string, tls: boolean): string[] {
  const m = /^(etcds?):\/\/(.+)$/.exec(url);
  if (!m) throw new UsageError(`invalid store "${url}": expected etcd://IP:PORT[,IP:PORT...] (etcds:// for TLS)`);
  const scheme = m[1] === 'etcds' || tls ? 'https' : 'http';
  return m[2]!.split(',').map((hp) => {
    const a = /^\[?([0-9a-fA-F:.]+?)\]?:(\d{1,5})$/.exec(hp);
    const port = Number(a?.[2]);
    if (!a || !parseAddr(a[1]!) || port < 1 || port > 65535) {
      throw new UsageError(`invalid store address "${hp}" in ${url}: expected IP:PORT, e.g. 198.51.100.1:2379`);
    }
    return `${scheme}://${a[1]!.includes(':') ? `[${a[1]}]` : a[1]}:${port}`;
  });
}

/** Checks the certificate options: all files exist, a key is not readable by other users. */
export function checkTls(tls: TlsFiles): void {
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new UsageError('--cert and --key go together');
  for (const [flag, f] of [['--cacert', tls.cacert], ['--cert', tls.cert], ['--key', tls.key]] as const) {
    if (f === undefined) continue;
    if (!f.startsWith('/')) throw new UsageError(`${flag} ${f}: give an absolute path (the agent reads it later from /)`);
    if (!existsSync(f)) throw new UsageError(`${flag} ${f}: no such file`);
  }
  // node:fs for the mode bits, at join only (the modules an add loads leave node:fs out: ../files.ts).
  const { statSync } = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  if (tls.key !== undefined && (statSync(tls.key).mode & 0o077) !== 0) {
    throw new UsageError(`--key ${tls.key} is readable by other users; chmod 600 it first`);
  }
}

/** The client for a member's store; the store's label in errors is the URL the user joined with. */
export function clientOf(m: Pick<Membership, 'store' | 'endpoints' | 'tls'>): EtcdClient {
  const opts: ConstructorParameters<typeof EtcdClient>[0] = { endpoints: m.endpoints, label: m.store };
  if (m.tls) opts.tls = m.tls;
  return new EtcdClient(opts);
}

/** Starts connecting to the member's store (the first endpoint, the one a request tries first). */
export function preconnect(m: Pick<Membership, 'endpoints'>): void {
  if (m.endpoints[0] !== undefined) open(m.endpoints[0]);
}

/** This host's membership, or a usage error saying how to join. */
export function requireMembership(stateDir: string): Membership {
  const m = readMembership(stateDir);
  if (!m) throw new UsageError("this host has not joined a cluster; run 'cnm cluster join etcd://IP:PORT' first");
  return m;
}
