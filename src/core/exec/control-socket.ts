/**
 * The control socket: the DNS server (the host's one long-lived cnm process)
 * sends set-element batches for short-lived commands, on the NETLINK_NETFILTER
 * socket it keeps open for its whole life.
 *
 * Why: when a netfilter socket is released (close or exit), nf_tables flushes
 * its destroy work (nft_rcv_nl_event on NETLINK_URELEASE), which waits out an
 * RCU grace period before it frees the elements a batch deleted: 6-19 ms on
 * this kernel, which `sandbox rm` paid at exit. The flush is per network
 * namespace and waits for whatever is pending there, whoever deleted it; so
 * adds go this way too, and no short-lived cnm process releases a netfilter
 * socket while a delete is pending.
 *
 * The socket is `RUN_DIR/dns.ctl`: mode 0600 in the root-owned run dir. The
 * kernel says who each peer is (SO_PEERCRED): it must be uid 0 with
 * CAP_NET_ADMIN, in the server's network and user namespaces, so the server
 * sends nothing the peer could not send itself (a root process in a sandbox
 * shares the filesystem, not the namespace); its request must name the same
 * network namespace (the table it means is the one there). A connection
 * carries one request and gets one answer, within bounds of size, time and
 * number that keep a garbage, huge or stalled client from costing the DNS
 * server more than a closed connection.
 *
 * Wire format (both ways big-endian):
 *   request  "cnm\x01", u32 length, then that many bytes of JSON:
 *            { ns: inode of the client's network namespace, deadline: epoch ms, changes: SetElements[] }
 *   answer   u32 status (0 sent, 1 refused), i32 errno (0, or the batch's first failure)
 * This module is the wire format and the client (what a short-lived command
 * loads); the server half is ./control-server.ts, loaded by the DNS server only.
 */
import { statSync } from '../files.js';
import type { Libc } from '../libc.js';
import type { SetElements } from '../plan.js';
import { utf8 } from '../utf8.js';

export const MAGIC = Uint8Array.of(0x63, 0x6e, 0x6d, 0x01); // "cnm" 1
export const HEADER = 8;
/** A request's JSON at most: netlink refuses a batch larger than the socket's send buffer (~208 KiB) anyway. */
export const REQUEST_MAX = 256 * 1024;
/** How long the client waits for an answer; the server sends nothing after half of it (the request's deadline). */
export const ANSWER_MS = 400;

/** The status word of an answer. */
export const STATUS_SENT = 0;
export const STATUS_REFUSED = 1;

export interface Request {
  ns: number;
  deadline: number;
  changes: SetElements[];
}

/** Why a request is refused before it is read whole or understood. */
export interface Refusal {
  bad: 'garbage' | 'too large' | 'malformed';
  detail: string;
}

/** What the server did with a request: sent it (errno of the batch's first failure, or 0), or refused it. */
export type Answer = { sent: true; errno: number } | { sent: false };

export function encodeRequest(r: Request): Uint8Array {
  const body = utf8(JSON.stringify({ ns: r.ns, deadline: r.deadline, changes: r.changes }));
  const out = new Uint8Array(HEADER + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, body.length);
  out.set(body, HEADER);
  return out;
}

export function decodeAnswer(buf: Uint8Array): Answer | undefined {
  if (buf.length !== 8) return undefined;
  const b = new DataView(buf.buffer, buf.byteOffset, 8);
  const status = b.getUint32(0);
  const errno = b.getInt32(4);
  if (status === STATUS_REFUSED && errno === 0) return { sent: false };
  if (status === STATUS_SENT && errno >= 0 && errno < 4096) return { sent: true, errno };
  return undefined;
}

/** The inode of this thread's network namespace (cnm's own: the JS thread is always back home between calls). */
export function netnsInode(): number {
  return statSync('/proc/thread-self/ns/net').ino;
}

// ---- the client: a short-lived command, synchronous, over libc ----

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;
export const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const EINTR = 4;
/** sun_path's size in struct sockaddr_un. */
const SUN_PATH = 108;

function sockaddrUn(path: string): Uint8Array | undefined {
  const p = utf8(path);
  if (p.length >= SUN_PATH) return undefined;
  const out = new Uint8Array(2 + p.length + 1);
  out[0] = AF_UNIX; // sa_family_t, little-endian on the machines cnm runs on
  out.set(p, 2);
  return out;
}

/** struct timeval of ms (64-bit seconds and microseconds, little-endian: their low words hold them). */
function timeval(ms: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, Math.floor(ms / 1000), true);
  v.setUint32(8, (ms % 1000) * 1000, true);
  return b;
}

/** A request sent to the server whose answer is not read yet (see sendRequest). */
export interface Asked {
  /** The server's answer (see sendRequest); closes the connection. Read it once. */
  answer(): Answer | undefined;
}

/** A connection to the server with no request on it yet (connectServer). */
export interface Connection {
  /** Sends the request on it, as sendRequest does; once. */
  ask(changes: readonly SetElements[]): Asked | undefined;
  /** Closes it unused (a connection that asked is closed by its answer). */
  close(): void;
}

/**
 * Connects to the server at path, to send a request on later (Connection.ask):
 * the server accepts the connection and checks its peer while the caller does
 * other work. Undefined when there is no server to connect to.
 */
export function connectServer(c: Libc, path: string): Connection | undefined {
  const addr = sockaddrUn(path);
  if (!addr) return undefined;
  const fd = c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return undefined;
  const tv = timeval(ANSWER_MS);
  // SO_SNDTIMEO bounds connect (a full backlog) and the send; SO_RCVTIMEO the answer.
  if (
    c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length) !== 0 ||
    c.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, tv.length) !== 0 ||
    c.connect(fd, addr, addr.length) !== 0
  ) {
    c.close(fd);
    return undefined;
  }
  let used = false;
  return {
    ask(changes) {
      if (used) throw new Error('a control connection was asked twice');
      used = true;
      return ask(c, fd, changes);
    },
    close() {
      if (!used) c.close(fd);
      used = true;
    },
  };
}

/**
 * Asks the server at path to send the changes: the request is sent now, its
 * answer read later (Asked.answer), so the caller's other work overlaps the
 * server's. Undefined when the request could not be sent; the answer is
 * undefined when the server refused, did not answer within ANSWER_MS of the
 * read, or broke it: the caller then sends the changes itself. The request
 * carries a deadline (half of ANSWER_MS) after which the server refuses it
 * unsent, so a client that gave up has a server that did not send (short of
 * the server stalling between that check and its send, which is one
 * synchronous call).
 */
export function sendRequest(c: Libc, path: string, changes: readonly SetElements[]): Asked | undefined {
  return connectServer(c, path)?.ask(changes);
}

/** Sends the request on a connected fd (closed when it cannot be sent), for its answer to be read later. */
function ask(c: Libc, fd: number, changes: readonly SetElements[]): Asked | undefined {
  let sent = false;
  try {
    const req = encodeRequest({ ns: netnsInode(), deadline: Date.now() + ANSWER_MS / 2, changes: [...changes] });
    for (let off = 0; off < req.length; ) {
      const n = c.sendto(fd, req.subarray(off), req.length - off, 0, null, 0);
      if (n <= 0) {
        if (n < 0 && c.errno() === EINTR) continue;
        return undefined;
      }
      off += n;
    }
    sent = true;
  } finally {
    if (!sent) c.close(fd);
  }
  let read = false;
  return {
    answer(): Answer | undefined {
      if (read) throw new Error('the answer of a control request was read twice');
      read = true;
      try {
        return readAnswer(c, fd);
      } finally {
        c.close(fd); // a unix socket: its release waits for nothing
      }
    },
  };
}

function readAnswer(c: Libc, fd: number): Answer | undefined {
  const answer = new Uint8Array(8);
  let got = 0;
  while (got < answer.length) {
    const n = c.recv(fd, answer.subarray(got), answer.length - got, 0);
    if (n <= 0) {
      if (n < 0 && c.errno() === EINTR) continue;
      return undefined; // closed, timed out (EAGAIN) or failed
    }
    got += n;
  }
  return decodeAnswer(answer);
}
