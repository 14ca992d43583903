/**
 * The control socket's server half (see ./control-socket.ts for why and the
 * wire format): in the DNS server's event loop, it reads a request, checks
 * its peer and shapes, and sends the batch on the netfilter socket it keeps.
 * Apart from the client so that no short-lived command loads it.
 */
import type { Server, Socket } from 'node:net';
import { chmodSync, readFileSync, renameSync, statSync, unlinkSync } from '../files.js';
import { parseAddr } from '../ip.js';
import type { Libc } from '../libc.js';
import type { KeyPart, SetElements } from '../plan.js';
import { type Answer, HEADER, MAGIC, type Refusal, REQUEST_MAX, type Request, SOL_SOCKET, STATUS_REFUSED, STATUS_SENT, netnsInode } from './control-socket.js';
import { elementBatch } from './netlink/nftables.js';
import { NETLINK_NETFILTER, NetlinkFailure, RouteSocket } from './netlink/socket.js';

/** How long the server keeps a connection that has not sent its whole request. */
const READ_MS = 1000;
/** Connections at once; more are closed at once. */
const CONNECTIONS_MAX = 16;

/**
 * A request from the bytes received so far: 'more' while it is incomplete,
 * else the request or why it is refused (bad magic, too long, bytes after it,
 * JSON or shapes that are not a request).
 */
export function decodeRequest(buf: Uint8Array): Request | 'more' | Refusal {
  const head = Math.min(buf.length, MAGIC.length);
  for (let i = 0; i < head; i++) if (buf[i] !== MAGIC[i]) return { bad: 'garbage', detail: 'not a cnm control request' };
  if (buf.length < HEADER) return 'more';
  const len = Buffer.from(buf.buffer, buf.byteOffset, buf.length).readUInt32BE(4);
  if (len > REQUEST_MAX) return { bad: 'too large', detail: `request of ${len} bytes (at most ${REQUEST_MAX})` };
  if (buf.length < HEADER + len) return 'more';
  if (buf.length > HEADER + len) return { bad: 'garbage', detail: 'bytes after the request' };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + HEADER, len).toString('utf8'));
  } catch {
    return { bad: 'malformed', detail: 'request is not JSON' };
  }
  return requestOf(v) ?? { bad: 'malformed', detail: 'request is not a list of set-element changes' };
}

export function encodeAnswer(a: Answer): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeUInt32BE(a.sent ? STATUS_SENT : STATUS_REFUSED, 0);
  out.writeInt32BE(a.sent ? a.errno : 0, 4);
  return out;
}

// ---- shapes of a decoded request (what elementBatch can encode, nothing else) ----

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const IFNAME = /^[^\0/\s:]{1,15}$/;
const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const COMMENT = /^[\x20-\x21\x23-\x7e]{0,128}$/; // printable, no quote: it is rendered inside "..."

function keyPartOf(v: unknown): KeyPart | undefined {
  if (!isObject(v) || typeof v.value !== 'string') return undefined;
  const value = v.value;
  switch (v.type) {
    case 'ifname':
      return IFNAME.test(value) && Buffer.byteLength(value) <= 15 ? { type: 'ifname', value } : undefined;
    case 'ether_addr':
      return MAC.test(value) ? { type: 'ether_addr', value } : undefined;
    case 'ipv4_addr':
      return parseAddr(value)?.family === 4 ? { type: 'ipv4_addr', value } : undefined;
    case 'ipv6_addr':
    case 'raw128':
      return parseAddr(value)?.family === 6 ? { type: v.type, value } : undefined;
    default:
      return undefined;
  }
}

function changeOf(v: unknown): SetElements | undefined {
  if (!isObject(v) || !Array.isArray(v.elements) || v.elements.length === 0) return undefined;
  if ((v.verb !== 'add' && v.verb !== 'delete') || (v.family !== 'bridge' && v.family !== 'inet')) return undefined;
  if (typeof v.table !== 'string' || !NAME.test(v.table) || typeof v.set !== 'string' || !NAME.test(v.set)) return undefined;
  const elements: SetElements['elements'] = [];
  for (const e of v.elements as unknown[]) {
    if (!isObject(e) || !Array.isArray(e.key) || e.key.length === 0 || e.key.length > 4) return undefined;
    const key: KeyPart[] = [];
    for (const p of e.key as unknown[]) {
      const part = keyPartOf(p);
      if (!part) return undefined;
      key.push(part);
    }
    if (e.comment === undefined) elements.push({ key });
    else if (typeof e.comment === 'string' && COMMENT.test(e.comment)) elements.push({ key, comment: e.comment });
    else return undefined;
  }
  return { verb: v.verb, family: v.family, table: v.table, set: v.set, elements };
}

function requestOf(v: unknown): Request | undefined {
  if (!isObject(v) || !Number.isSafeInteger(v.ns) || !Number.isFinite(v.deadline) || !Array.isArray(v.changes) || v.changes.length === 0) return undefined;
  const changes: SetElements[] = [];
  for (const c of v.changes as unknown[]) {
    const change = changeOf(c);
    if (!change) return undefined;
    changes.push(change);
  }
  return { ns: v.ns as number, deadline: v.deadline as number, changes };
}

// ---- the server: in the DNS server's event loop ----

/** The fd under a node:net socket in Bun (its handle's, not a documented API: without it a peer is refused). */
function fdOf(sock: Socket): number | undefined {
  const handle = (sock as unknown as { _handle?: { fd?: unknown } })._handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : undefined;
}

/** The peer's pid and uid (SO_PEERCRED: struct ucred { pid, uid, gid }, in the server's namespaces), or undefined. */
function peerCred(c: Libc, sock: Socket): { pid: number; uid: number } | undefined {
  const fd = fdOf(sock);
  if (fd === undefined) return undefined;
  const cred = new Uint8Array(12);
  const len = Uint8Array.of(12, 0, 0, 0);
  if (c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  const v = new DataView(cred.buffer);
  return { pid: v.getInt32(0, true), uid: v.getUint32(4, true) };
}

const SO_PEERCRED = 17;
const CAP_NET_ADMIN = 12n;

/** The inodes of this process's network and user namespaces. */
function ownNamespaces(): { net: number; user: number } {
  return { net: netnsInode(), user: statSync('/proc/self/ns/user').ino };
}

/**
 * Why a peer may not have batches sent for it, or undefined when it may: it
 * must be uid 0, in the server's network and user namespaces, with
 * CAP_NET_ADMIN in effect, so that the server sends nothing its peer could
 * not send itself (a root process in a sandbox has another network
 * namespace, whatever its request says). Read from /proc while the peer waits
 * for its answer (SO_PEERCRED's pid is the one that connected).
 */
function peerRefusal(c: Libc, sock: Socket, own: { net: number; user: number }): string | undefined {
  const cred = peerCred(c, sock);
  if (!cred || cred.pid <= 0) return 'the peer cannot be told';
  if (cred.uid !== 0) return 'the peer is not root';
  try {
    if (statSync(`/proc/${cred.pid}/ns/net`).ino !== own.net) return 'the peer is in another network namespace';
    if (statSync(`/proc/${cred.pid}/ns/user`).ino !== own.user) return 'the peer is in another user namespace';
    const eff = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${cred.pid}/status`, 'utf8'))?.[1];
    if (eff === undefined || ((BigInt(`0x${eff}`) >> CAP_NET_ADMIN) & 1n) === 0n) return 'the peer lacks CAP_NET_ADMIN';
  } catch {
    return 'the peer is gone';
  }
  return undefined;
}

/** Counts a fault the server lives with (the DNS server's rate-limited tally). */
export type Report = (kind: string, detail: string) => void;

export class ControlSocket {
  private filter?: RouteSocket;
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly c: Libc,
    private readonly path: string,
    private readonly server: Server,
    private readonly ino: number,
    private readonly own: { net: number; user: number },
    private readonly report: Report,
  ) {}

  /**
   * Listens on path (replacing a stale socket there): bound under a temporary
   * name, made 0600, then renamed into place, so it is never reachable with
   * other modes. Undefined, after a log line, when it cannot.
   */
  static async listen(c: Libc, path: string, log: (line: string) => void, report: Report): Promise<ControlSocket | undefined> {
    if (process.getuid?.() !== 0) return undefined; // a batch from a non-root server would fail where the client's would not
    const { createServer } = await import('node:net');
    const tmp = `${path}.tmp-${process.pid}`;
    const server = createServer({ allowHalfOpen: false });
    try {
      unlinkSync(tmp);
    } catch {
      /* none left over */
    }
    const ok = await new Promise<boolean>((done) => {
      const failed = (e: Error) => {
        log(`cnm dns: cannot listen on the control socket ${path}: ${e.message}`);
        done(false);
      };
      server.once('error', failed);
      server.listen({ path: tmp, backlog: CONNECTIONS_MAX }, () => {
        server.off('error', failed);
        done(true);
      });
    });
    if (!ok) return undefined;
    try {
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
      const control = new ControlSocket(c, path, server, statSync(path).ino, ownNamespaces(), report);
      server.on('connection', (s) => control.accept(s));
      server.on('error', (e) => report('control socket errors', e.message));
      return control;
    } catch (e) {
      log(`cnm dns: cannot listen on the control socket ${path}: ${(e as Error).message}`);
      server.close();
      try {
        unlinkSync(tmp);
      } catch {
        /* gone */
      }
      return undefined;
    }
  }

  /** Stops listening, drops open connections and removes the socket file (when it is still ours). */
  close(): void {
    this.server.close();
    for (const s of this.open) s.destroy();
    this.open.clear();
    try {
      if (statSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private accept(sock: Socket): void {
    const refused = this.open.size >= CONNECTIONS_MAX ? `more than ${CONNECTIONS_MAX} at once` : peerRefusal(this.c, sock, this.own);
    if (refused) {
      this.report(`control connections refused (${refused})`, 'closed at once');
      sock.destroy();
      return;
    }
    this.open.add(sock);
    let answered = false;
    // A connection lives READ_MS at most: to send its request, and then to take its answer.
    const timer = setTimeout(() => {
      if (!answered) this.report('control connections closed', `no whole request within ${READ_MS} ms`);
      sock.destroy();
    }, READ_MS);
    sock.on('close', () => {
      clearTimeout(timer);
      this.open.delete(sock);
    });
    sock.on('error', () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      const r = decodeRequest(buf);
      if (r === 'more') return;
      sock.removeAllListeners('data');
      sock.pause();
      answered = true;
      const answer = 'bad' in r ? this.refuse(r.bad, r.detail) : this.handle(r);
      sock.end(encodeAnswer(answer));
    });
  }

  private refuse(why: string, detail: string): Answer {
    this.report(`control requests refused (${why})`, detail);
    return { sent: false };
  }

  private handle(r: Request): Answer {
    if (r.ns !== this.own.net) return this.refuse('another network namespace', `net:[${r.ns}], not this server's net:[${this.own.net}]`);
    const late = Date.now() - r.deadline;
    if (late > 0) return this.refuse('past its deadline', `${late} ms late; the client sends it itself`);
    try {
      this.filter ??= RouteSocket.open(this.c, undefined, NETLINK_NETFILTER);
      const [first] = this.filter.failures(elementBatch(r.changes)).values();
      return { sent: true, errno: first?.errno ?? 0 };
    } catch (e) {
      return e instanceof NetlinkFailure ? this.refuse('netlink failure', e.message) : this.refuse('internal error', (e as Error).message);
    }
  }
}
