/**
 * A group of line ops (one namespace, in plan order) done over netlink
 * instead of `ip -batch`: the same steps, inverses, messages and "already
 * gone" tolerance as exec/lines.ts, with the failing op named by the same
 * `ip ...` words. Applying sends one request at a time and stops at the first
 * failure, as `ip -batch` does (the kernel would go on with the requests after
 * a failed one in the same send, and one of them could then change a link
 * that is not ours). Teardown sends a group's requests in one sendto, as
 * `ip -force -batch` tries every line.
 */
import { closeSync } from '../../files.js';
import { KernelOpError } from '../../errors.js';
import type { Libc } from '../../libc.js';
import { type LineOp, type Op, linkSet } from '../../plan.js';
import { debugging, logWork } from '../../runner.js';
import { type LineGroup, commandOf, faultWords, isGone, words } from '../lines.js';
import { type NetlinkOp, type Resolve, encode, isNetlinkOp } from './encode.js';
import type { Message } from './message.js';
import { addNetns, attachNetns, delNetns } from './netns.js';
import { NetlinkFailure, type Outcome, RouteSocket, kernelMessage, openNs } from './socket.js';

const ENODEV = 19;

/** Sockets opened on first need (a group of only netns ops needs none), closed with the group. */
class Session {
  private sock: RouteSocket | undefined;
  private fds: number[] = [];
  readonly resolve: Resolve = {
    index: (name) => this.socket().index(name),
    nsFd: (name) => {
      const fd = openNs(this.c, name);
      this.fds.push(fd);
      return fd;
    },
  };

  constructor(
    private readonly c: Libc,
    private readonly ns: string | undefined,
  ) {}

  socket(): RouteSocket {
    this.sock ??= RouteSocket.open(this.c, this.ns);
    return this.sock;
  }

  /** Encodes an op; a name or namespace that cannot be resolved is its failure. */
  encode(op: NetlinkOp): Message | string {
    try {
      return encode(op, this.resolve);
    } catch (e) {
      if (e instanceof NetlinkFailure) return e.message;
      throw e;
    }
  }

  /** What the kernel's answer to an op means: undefined when it was done, else ip's message. */
  message(op: NetlinkOp, o: Outcome): string | undefined {
    if (op.kind === 'link.add' || op.kind === 'link.del') this.sock?.forget();
    if (o.errno === 0) return undefined;
    // ip looks the link up itself first and says so; the kernel looked it up by name for us.
    if (o.errno === ENODEV && (op.kind === 'link.set' || op.kind === 'link.del') && !o.message) return `Cannot find device "${op.name}"`;
    return kernelMessage(this.c, o);
  }

  /** Does one op; returns ip's message when it failed. */
  one(op: LineOp): string | undefined {
    try {
      if (op.kind === 'netns.add') addNetns(this.c, op.name);
      else if (op.kind === 'netns.attach') attachNetns(this.c, op.name, op.pid);
      else if (op.kind === 'netns.del') delNetns(this.c, op.name);
      if (!isNetlinkOp(op)) return undefined;
      const m = this.encode(op);
      if (typeof m === 'string') return m;
      return this.message(op, this.socket().talk([m])[0]!);
    } catch (e) {
      if (e instanceof NetlinkFailure) return e.message;
      throw e;
    } finally {
      this.closeFds();
    }
  }

  /** Tries every op, consecutive requests in one send; returns each op's failure message (undefined: done). */
  all(ops: readonly LineOp[]): (string | undefined)[] {
    const out: (string | undefined)[] = [];
    let batch: { i: number; op: NetlinkOp; m: Message }[] = [];
    const flush = (): void => {
      if (batch.length === 0) return;
      const outcomes = this.socket().talk(batch.map((b) => b.m));
      batch.forEach((b, k) => (out[b.i] = this.message(b.op, outcomes[k]!)));
      batch = [];
      this.closeFds();
    };
    ops.forEach((op, i) => {
      if (!isNetlinkOp(op)) {
        flush();
        out[i] = this.one(op);
        return;
      }
      const m = this.encode(op);
      if (typeof m === 'string') out[i] = m;
      else batch.push({ i, op, m });
    });
    flush();
    return out;
  }

  private closeFds(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds = [];
  }

  close(): void {
    this.closeFds();
    this.sock?.close();
  }
}

function nsArgs(ns: string | undefined): string[] {
  return ns !== undefined ? ['-n', ns] : [];
}

/**
 * Logs the group under --debug as `+ netlink [-n NS] ip` with its lines, like an `ip -batch` run;
 * when applying, each line with its own time (`times`, filled by fn).
 */
function logged<T>(group: LineGroup, teardown: boolean, fn: (times: number[] | undefined) => T): T {
  if (!debugging()) return fn(undefined);
  const t0 = performance.now();
  const times: number[] = [];
  let ok = false;
  try {
    const r = fn(times);
    ok = true;
    return r;
  } finally {
    const ms = (performance.now() - t0).toFixed(1);
    const lines = group.ops.map((op, i) => words(op).join(' ') + (times[i] !== undefined ? `  (${times[i]!.toFixed(2)} ms)` : ''));
    logWork(`+ netlink ${[...nsArgs(group.ns), ...(teardown ? ['-force'] : []), group.tool ?? 'ip'].join(' ')}  (${ms} ms, ${ok ? 'done' : 'failed'})`, lines);
  }
}

/** Applies the group op by op; pushes the inverses of the ops done; the first failure throws as `ip -batch`'s would. */
export function applyNetlink(c: Libc, group: LineGroup, undo: Op[], inverse: (op: Op) => Op | undefined, failAt: number | undefined): void {
  const tool = group.tool ?? 'ip';
  const s = new Session(c, group.ns);
  logged(group, false, (times) => {
    try {
      if (group.ns !== undefined) {
        try {
          s.socket();
        } catch (e) {
          if (e instanceof NetlinkFailure) throw new KernelOpError([tool, ...nsArgs(group.ns), '-batch'], 1, e.message);
          throw e;
        }
      }
      group.ops.forEach((op, i) => {
        const fault = i === failAt;
        const done: LineOp = fault ? faultOp(group) : op;
        const t0 = times ? performance.now() : 0;
        const message = s.one(done);
        times?.push(performance.now() - t0);
        if (message !== undefined) {
          throw new KernelOpError([tool, ...nsArgs(group.ns), ...(fault ? faultWords(group.tool) : words(op))], 1, message, i + 1);
        }
        const inv = inverse(op);
        if (inv) undo.push(inv);
      });
    } finally {
      s.close();
    }
  });
}

function faultOp(group: LineGroup): LineOp {
  return group.tool === 'bridge'
    ? { kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'cnm-fault', dst: '0.0.0.0', ...(group.ns !== undefined ? { ns: group.ns } : {}) }
    : linkSet('cnm-fault', { up: true }, group.ns);
}

/** Tries every op of the group; "already gone" is fine; returns the real failures, worded as teardownLines words them. */
export function teardownNetlink(c: Libc, group: LineGroup): string[] {
  const s = new Session(c, group.ns);
  return logged(group, true, () => {
    try {
      if (group.ns !== undefined) s.socket();
    } catch (e) {
      s.close();
      // The namespace itself is gone: everything inside it went with it.
      if (e instanceof NetlinkFailure && /Cannot open network namespace/.test(e.message)) return [];
      if (e instanceof NetlinkFailure) return [`${group.tool ?? 'ip'} -batch: ${e.message}`];
      throw e;
    }
    try {
      const failures = s.all(group.ops);
      return group.ops.flatMap((op, i) => {
        const msg = failures[i];
        return msg === undefined || isGone(op, msg) ? [] : [`${group.tool ?? 'ip'} ${words(op).join(' ')}: ${msg}`];
      });
    } finally {
      s.close();
    }
  });
}

/** Does one op on its own (a rollback step); returns the failure, if any. */
export function runLineNetlink(c: Libc, op: LineOp): string | undefined {
  const ns = 'ns' in op ? op.ns : undefined;
  const s = new Session(c, ns);
  try {
    const msg = s.one(op);
    return msg === undefined ? undefined : `${commandOf(op).join(' ')}: ${msg}`;
  } finally {
    s.close();
  }
}
