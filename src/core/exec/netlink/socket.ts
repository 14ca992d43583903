/**
 * A NETLINK_ROUTE socket of one network namespace, in-process (core/libc.ts,
 * so only in the Bun binary). A socket belongs to the namespace it was made
 * in: to talk to a sandbox's, the main JS thread enters it (setns), makes the
 * socket and returns at once to cnm's own, whose fd is kept open for that.
 * Namespaces are per thread, and everything here runs on the JS thread, so
 * no other code ever runs in the sandbox's namespace.
 */
import { closeSync, openSync } from '../../files.js';
import { type Libc, libc } from '../../libc.js';
import { concat } from '../../utf8.js';
import { F, Message, NLMSG_DONE, NLMSG_ERROR, RTM, type Reply, errorOf, ifinfomsg, replies } from './message.js';

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0x80000;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_DONTWAIT = 0x40;
export const NETLINK_NETFILTER = 12;
export const CLONE_NEWNET = 0x40000000;

/** Whether line ops go over netlink: in the Bun binary, unless CNM_NETLINK=0 asks for `ip -batch`. */
export function netlinkLibc(): Libc | undefined {
  return process.env.CNM_NETLINK === '0' ? undefined : libc();
}

/** The file `ip -n NAME` opens for a namespace name (a path is taken as is). */
export function netnsFile(name: string): string {
  return name.includes('/') ? name : `/run/netns/${name}`;
}

/** A failure with the message iproute2 prints for it (the executor wraps it as it wraps ip's stderr). */
export class NetlinkFailure extends Error {}

let home: number | undefined;

/** cnm's own network namespace (the JS thread's when first asked), kept open to come back to. */
export function homeFd(): number {
  home ??= openSync('/proc/thread-self/ns/net', 'r');
  return home;
}

/** The strerror text of a failed file call (../../files.ts: errno as node:fs gives it, negative). */
export function errnoText(c: Libc, e: unknown): string {
  const n = (e as NodeJS.ErrnoException).errno;
  return n !== undefined ? c.strerror(-n) : String((e as Error).message);
}

export function sysError(c: Libc, what: string): NetlinkFailure {
  return new NetlinkFailure(`${what}: ${c.strerror(c.errno())}`);
}

/** Runs fn with the JS thread in the namespace open as fd, then returns to cnm's own whatever happens. */
export function insideNs<T>(c: Libc, fd: number, name: string, fn: () => T): T {
  const back = homeFd();
  if (c.setns(fd, CLONE_NEWNET) !== 0) throw sysError(c, `setting the network namespace "${name}" failed`);
  try {
    return fn();
  } finally {
    returnHome(c, back);
  }
}

/** Returns the JS thread to cnm's own namespace; if even that fails, nothing more may run. */
export function returnHome(c: Libc, fd: number): void {
  if (c.setns(fd, CLONE_NEWNET) !== 0) {
    const why = c.strerror(c.errno());
    process.stderr.write(`cnm: cannot return to cnm's own network namespace: ${why}\n`);
    process.exit(1);
  }
}

/** Opens a namespace's file, with ip's message when it is not there. */
export function openNs(c: Libc, name: string): number {
  try {
    return openSync(netnsFile(name), 'r');
  } catch (e) {
    throw new NetlinkFailure(`Cannot open network namespace "${name}": ${errnoText(c, e)}`);
  }
}

export interface Outcome {
  /** 0, or the errno the kernel answered. */
  errno: number;
  /** The kernel's extended-ack text, if it gave one. */
  message?: string;
  /** The data reply before the ack (a GETLINK's link). */
  data?: Uint8Array;
}

export class RouteSocket {
  private seq = 0;
  private readonly buf = new Uint8Array(65536);
  private readonly indexes = new Map<string, number>();

  private constructor(
    private readonly c: Libc,
    private readonly fd: number,
  ) {}

  /** A socket in cnm's own namespace (ns undefined) or in the named one; NETLINK_ROUTE unless another protocol is given. */
  static open(c: Libc, ns: string | undefined, protocol = 0): RouteSocket {
    const make = (): number => {
      const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
      if (fd < 0) throw sysError(c, 'cannot open a netlink socket');
      const one = Uint8Array.of(1, 0, 0, 0);
      c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, one, 4);
      c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, one, 4);
      return fd;
    };
    if (ns === undefined) return new RouteSocket(c, make());
    const nsFd = openNs(c, ns);
    try {
      return new RouteSocket(c, insideNs(c, nsFd, ns, make));
    } finally {
      closeSync(nsFd);
    }
  }

  close(): void {
    this.c.close(this.fd);
  }

  /** Sends the requests in one sendto; returns the sequence number of the first. */
  private send(requests: readonly Message[]): number {
    const first = this.seq + 1;
    // A loop, not map(): an add sends each of its requests on its own (see message.ts).
    let all: Uint8Array;
    if (requests.length === 1) all = requests[0]!.done(++this.seq);
    else {
      const bytes: Uint8Array[] = [];
      for (let i = 0; i < requests.length; i++) bytes.push(requests[i]!.done(++this.seq));
      all = concat(bytes);
    }
    const addr = Uint8Array.of(AF_NETLINK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    if (this.c.sendto(this.fd, all, all.length, 0, addr, addr.length) !== all.length) throw sysError(this.c, 'netlink send failed');
    return first;
  }

  /**
   * Sends requests that are answered only when they fail (an nf_tables batch,
   * no ACK flags) and returns the failures by index. The kernel handled them
   * within the send, so what is queued is all there is: read until empty.
   */
  failures(requests: readonly Message[]): Map<number, Outcome> {
    const out = new Map<number, Outcome>();
    if (requests.length === 0) return out;
    const first = this.send(requests);
    for (;;) {
      const n = this.c.recv(this.fd, this.buf, this.buf.length, MSG_DONTWAIT);
      if (n < 0) {
        const e = this.c.errno();
        if (e === 4 /* EINTR */) continue;
        if (e === 11 /* EAGAIN */) return out;
        throw sysError(this.c, 'netlink receive failed');
      }
      for (const r of replies(this.buf.subarray(0, n))) {
        const i = r.seq - first;
        if (r.type !== NLMSG_ERROR || i < 0 || i >= requests.length) continue;
        const o = errorOf(r);
        if (o.errno !== 0) out.set(i, o);
      }
    }
  }

  /** Sends the requests in one sendto and returns each one's outcome, in order. */
  talk(requests: readonly Message[]): Outcome[] {
    if (requests.length === 0) return [];
    const first = this.send(requests);
    const out: (Outcome | undefined)[] = new Array<Outcome | undefined>(requests.length);
    const data: (Uint8Array | undefined)[] = [];
    let pending = requests.length;
    while (pending > 0) {
      const n = this.c.recv(this.fd, this.buf, this.buf.length, 0);
      if (n < 0) {
        if (this.c.errno() === 4 /* EINTR */) continue;
        throw sysError(this.c, 'netlink receive failed');
      }
      for (const r of replies(this.buf.subarray(0, n))) {
        const i = r.seq - first;
        if (i < 0 || i >= requests.length) continue; // not ours (a late answer of an earlier run)
        if (r.type === NLMSG_ERROR) {
          if (out[i] === undefined) pending--;
          const d = data[i];
          out[i] = { ...errorOf(r), ...(d ? { data: d } : {}) };
        } else {
          data[i] = r.body.slice();
        }
      }
    }
    return out as Outcome[];
  }

  /** Sends a dump request (F.DUMP) and returns every part of the answer, up to NLMSG_DONE. */
  dump(request: Message): Reply[] {
    const seq = this.send([request]);
    const out: Reply[] = [];
    for (;;) {
      const n = this.c.recv(this.fd, this.buf, this.buf.length, 0);
      if (n < 0) {
        if (this.c.errno() === 4 /* EINTR */) continue;
        throw sysError(this.c, 'netlink receive failed');
      }
      for (const r of replies(this.buf.subarray(0, n))) {
        if (r.seq !== seq) continue; // not ours (a late answer of an earlier request)
        if (r.type === NLMSG_DONE) return out;
        if (r.type === NLMSG_ERROR) {
          const o = errorOf(r);
          if (o.errno === 0) return out;
          throw new NetlinkFailure(kernelMessage(this.c, o));
        }
        out.push({ ...r, body: r.body.slice() });
      }
    }
  }

  /** A link's index by name (asked of the kernel once per socket; forget() after adding or deleting links). */
  index(name: string): number {
    const known = this.indexes.get(name);
    if (known !== undefined) return known;
    const [o] = this.talk([new Message(RTM.GETLINK, F.REQUEST | F.ACK).raw(ifinfomsg()).u32(29 /* IFLA_EXT_MASK */, 9).cstr(3 /* IFLA_IFNAME */, name)]);
    if (!o || o.errno !== 0 || !o.data) throw new NetlinkFailure(`Cannot find device "${name}"`);
    const index = new DataView(o.data.buffer, o.data.byteOffset).getInt32(4, true);
    this.indexes.set(name, index);
    return index;
  }

  forget(): void {
    this.indexes.clear();
  }
}

/** The line iproute2 prints for a kernel error: the extended ack when there is one, else strerror. */
export function kernelMessage(c: Libc, o: Outcome): string {
  if (o.message) return `Error: ${o.message}${o.message.endsWith('.') ? '' : '.'}`;
  return `RTNETLINK answers: ${c.strerror(o.errno)}`;
}
