/**
 * The control socket's server half (see ./control-socket.ts for why and the
 * wire format): in the DNS server's event loop, it reads a request, checks
 * its peer and shapes, and sends the batch on the netfilter socket it keeps.
 * Apart from the client so that no short-lived command loads it.
 */
import { chmodSync, readdirSync, renameSync, statSync, unlinkSync } from '../files.js';
import { parseAddr } from '../ip.js';
import { type Libc, SYS, syscalls } from '../libc.js';
import type { KeyPart, SetElements } from '../plan.js';
import { concat } from '../utf8.js';
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

/**
 * What the server uses of Bun's own sockets (Bun.listen on a unix path): each
 * event is one native callback, where node:net builds a stream per connection
 * and takes more turns of the event loop (measured: ~0.3 ms of a command's
 * wait for its answer). The server exists only in the binary (see listen).
 */
interface BunSocket {
  /** The connection's fd (a getter of Bun's socket; anything but a number refuses the peer). */
  readonly fd?: unknown;
  end(data?: Uint8Array): void;
  terminate(): void;
}
interface BunListener {
  stop(closeActive?: boolean): void;
}
type BunListen = (opts: {
  unix: string;
  socket: {
    open(s: BunSocket): void;
    data(s: BunSocket, data: Uint8Array): void;
    close(s: BunSocket): void;
    error(s: BunSocket, e: Error): void;
  };
}) => BunListener;

/** The peer's pid and uid (SO_PEERCRED: struct ucred { pid, uid, gid }, in the server's namespaces), or undefined. */
function peerCred(c: Libc, sock: BunSocket): { pid: number; uid: number } | undefined {
  const fd = sock.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  const cred = new Uint8Array(12);
  const len = Uint8Array.of(12, 0, 0, 0);
  if (c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) !== 0) return undefined;
  const v = new DataView(cred.buffer);
  return { pid: v.getInt32(0, true), uid: v.getUint32(4, true) };
}

const SO_PEERCRED = 17;
const CAP_NET_ADMIN = 12;
/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAPABILITY_VERSION_3 = 0x20080522;

/**
 * Whether process pid has CAP_NET_ADMIN in effect, by capget(2): what
 * /proc/PID/status shows as CapEff, without the kernel writing out the whole
 * status text (and its memory figures) for a regex to read. Undefined when it
 * cannot be told (the process is gone; no syscall(2) here).
 */
function hasNetAdmin(pid: number): boolean | undefined {
  const k = syscalls();
  if (!k || !SYS) return undefined;
  const header = Uint32Array.of(CAPABILITY_VERSION_3, pid);
  const data = new Uint32Array(6); // { effective, permitted, inheritable } x 2
  if (k.call(SYS.capget, header, data) !== 0) return undefined;
  return ((data[0]! >>> CAP_NET_ADMIN) & 1) === 1;
}

/** The inodes of this process's network and user namespaces. */
function ownNamespaces(): { net: number; user: number } {
  return { net: netnsInode(), user: statSync('/proc/self/ns/user').ino };
}

/**
 * Why a peer may not have batches sent for it, or undefined when it may: it
 * must be uid 0, in the server's network and user namespaces, with
 * CAP_NET_ADMIN in effect, so that the server sends nothing its peer could
 * not send itself (a root process in a sandbox has another network
 * namespace, in all its threads, whatever its request says). Read from /proc and capget(2) while
 * the peer waits for its answer (SO_PEERCRED's pid is the one that connected).
 */
function peerRefusal(c: Libc, sock: BunSocket, own: { net: number; user: number }): string | undefined {
  const cred = peerCred(c, sock);
  if (!cred || cred.pid <= 0) return 'the peer cannot be told';
  if (cred.uid !== 0) return 'the peer is not root';
  try {
    if (statSync(`/proc/${cred.pid}/ns/net`).ino !== own.net && !anyThreadIn(cred.pid, own.net)) return 'the peer is in another network namespace';
    if (statSync(`/proc/${cred.pid}/ns/user`).ino !== own.user) return 'the peer is in another user namespace';
    const netAdmin = hasNetAdmin(cred.pid);
    if (netAdmin === undefined) return 'the peer is gone';
    if (!netAdmin) return 'the peer lacks CAP_NET_ADMIN';
  } catch {
    return 'the peer is gone';
  }
  return undefined;
}

/**
 * Whether a thread of process pid is in the network namespace net. setns(2) moves one thread, and a
 * command does its work inside a namespace it made on its main thread, after it sent its request
 * (the batch is for its own namespace, and it reads the answer later): the main thread, which
 * /proc/PID/ns/net shows, may be in there when its connection is checked. A thread of the peer in
 * the server's namespace means the peer can send the batch there itself.
 */
function anyThreadIn(pid: number, net: number): boolean {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (statSync(`/proc/${pid}/task/${tid}/ns/net`).ino === net) return true;
      } catch {
        /* that thread has ended */
      }
    }
  } catch {
    /* the process has ended */
  }
  return false;
}

/** Counts a fault the server lives with (the DNS server's rate-limited tally). */
export type Report = (kind: string, detail: string) => void;

/** A connection's request so far; answered once it is whole (or refused). */
interface Conn {
  buf: Uint8Array;
  answered: boolean;
  timer: ReturnType<typeof setTimeout>;
}

export class ControlSocket {
  private filter?: RouteSocket;
  private readonly open = new Map<BunSocket, Conn>();
  private server?: BunListener;
  private ino = 0;

  private constructor(
    private readonly c: Libc,
    private readonly path: string,
    private readonly own: { net: number; user: number },
    private readonly report: Report,
  ) {}

  /**
   * Listens on path (replacing a stale socket there): bound under a temporary
   * name, made 0600, then renamed into place, so it is never reachable with
   * other modes. Undefined, after a log line, when it cannot; undefined
   * without one when this is not root, or not Bun.
   */
  static async listen(c: Libc, path: string, log: (line: string) => void, report: Report): Promise<ControlSocket | undefined> {
    if (process.getuid?.() !== 0) return undefined; // a batch from a non-root server would fail where the client's would not
    const listen = (globalThis as { Bun?: { listen?: BunListen } }).Bun?.listen;
    if (typeof listen !== 'function') return undefined;
    const tmp = `${path}.tmp-${process.pid}`;
    const removeTmp = () => {
      try {
        unlinkSync(tmp);
      } catch {
        /* none there */
      }
    };
    removeTmp();
    const control = new ControlSocket(c, path, ownNamespaces(), report);
    try {
      // Nobody connects before the rename (the temporary name is ours), and the peer check holds anyway.
      control.server = listen({
        unix: tmp,
        socket: {
          open: (s) => control.accept(s),
          data: (s, d) => control.receive(s, d),
          close: (s) => control.closed(s),
          error: (_s, e) => report('control socket errors', e.message),
        },
      });
      chmodSync(tmp, 0o600);
      renameSync(tmp, path);
      control.ino = statSync(path).ino;
      return control;
    } catch (e) {
      log(`cnm dns: cannot listen on the control socket ${path}: ${(e as Error).message}`);
      control.server?.stop(true);
      removeTmp();
      return undefined;
    }
  }

  /** Stops listening, drops open connections and removes the socket file (when it is still ours). */
  close(): void {
    this.server?.stop(true);
    for (const conn of this.open.values()) clearTimeout(conn.timer);
    this.open.clear();
    try {
      if (statSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private accept(sock: BunSocket): void {
    const refused = this.open.size >= CONNECTIONS_MAX ? `more than ${CONNECTIONS_MAX} at once` : peerRefusal(this.c, sock, this.own);
    if (refused) {
      this.report(`control connections refused (${refused})`, 'closed at once');
      sock.terminate();
      return;
    }
    // A connection lives READ_MS at most: to send its request, and then to take its answer.
    const timer = setTimeout(() => {
      if (!this.open.get(sock)?.answered) this.report('control connections closed', `no whole request within ${READ_MS} ms`);
      sock.terminate();
    }, READ_MS);
    this.open.set(sock, { buf: new Uint8Array(0), answered: false, timer });
  }

  private receive(sock: BunSocket, data: Uint8Array): void {
    const conn = this.open.get(sock);
    if (!conn || conn.answered) return; // refused, or one request said: the rest is not read
    conn.buf = concat([conn.buf, data]); // a copy: Bun may reuse its buffer after the callback
    const r = decodeRequest(conn.buf);
    if (r === 'more') return;
    conn.answered = true;
    conn.buf = new Uint8Array(0);
    const answer = 'bad' in r ? this.refuse(r.bad, r.detail) : this.handle(r);
    sock.end(encodeAnswer(answer));
  }

  private closed(sock: BunSocket): void {
    const conn = this.open.get(sock);
    if (conn) clearTimeout(conn.timer);
    this.open.delete(sock);
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
