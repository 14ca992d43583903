/**
 * rtnetlink messages as bytes: a header, the family's fixed struct, then
 * attributes (type-length-value, 4-byte aligned, nestable). The layout is the
 * kernel's (include/uapi/linux/netlink.h, rtnetlink.h); the order of the
 * attributes follows what iproute2 sends for the same command.
 */
import { fromUtf8, utf8 } from '../../utf8.js';

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  NEWADDR: 20,
  NEWROUTE: 24,
  NEWNEIGH: 28,
  DELNEIGH: 29,
  GETNEIGH: 30,
} as const;

export const F = {
  REQUEST: 0x1,
  ACK: 0x4,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
  /** NLM_F_ROOT | NLM_F_MATCH: every object of the kind, in parts until NLMSG_DONE. */
  DUMP: 0x300,
} as const;

/** An rtnetlink request under construction. */
export class Message {
  private bytes = new Uint8Array(128);
  private view = new DataView(this.bytes.buffer);
  private length = 16;
  private readonly open: number[] = [];

  constructor(type: number, flags: number) {
    this.view.setUint16(4, type, true);
    this.view.setUint16(6, flags, true);
  }

  /*
   * No helper is called per attribute (an add builds some 35): JavaScriptCore compiles a function
   * called that often on a JIT thread, started for it, beside the DNS server answering the run
   * (see files.ts). Each writer takes its room itself; only a growth is a call.
   */
  private grow(need: number): void {
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** Raw bytes of the fixed struct after the header (padded to 4). */
  raw(data: Uint8Array): this {
    const at = this.length;
    const need = at + ((data.length + 3) & ~3);
    if (need > this.bytes.length) this.grow(need);
    this.length = need;
    this.bytes.set(data, at);
    return this;
  }

  attr(type: number, data: Uint8Array): this {
    const at = this.length;
    const need = at + ((4 + data.length + 3) & ~3);
    if (need > this.bytes.length) this.grow(need);
    this.length = need;
    this.view.setUint16(at, 4 + data.length, true);
    this.view.setUint16(at + 2, type, true);
    this.bytes.set(data, at + 4);
    return this;
  }

  u8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v));
  }

  u16(type: number, v: number): this {
    return this.attr(type, le(2, v));
  }

  u32(type: number, v: number): this {
    return this.attr(type, le(4, v));
  }

  /** A big-endian 16-bit value (ports). */
  be16(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v >> 8, v & 0xff));
  }

  /** A string with its NUL (interface names). */
  cstr(type: number, s: string): this {
    return this.attr(type, utf8(`${s}\0`));
  }

  /** A string without a NUL (kinds, aliases). */
  str(type: number, s: string): this {
    return this.attr(type, utf8(s));
  }

  /** Opens a nested attribute; close it with end(). */
  nest(type: number): this {
    const at = this.length;
    if (at + 4 > this.bytes.length) this.grow(at + 4);
    this.length = at + 4;
    this.view.setUint16(at + 2, type, true);
    this.open.push(at);
    return this;
  }

  end(): this {
    const at = this.open.pop()!;
    this.view.setUint16(at, this.length - at, true);
    return this;
  }

  /** The finished message with its length and sequence number. */
  done(seq: number): Uint8Array {
    this.view.setUint32(0, this.length, true);
    this.view.setUint32(8, seq, true);
    return this.bytes.slice(0, this.length);
  }
}

/** A little-endian unsigned integer of n bytes (host order on the machines cnm runs on). */
export function le(n: 1 | 2 | 4, v: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (v >>> (8 * i)) & 0xff;
  return out;
}

/** struct ifinfomsg: family, type, index, flags, change. */
export function ifinfomsg(index = 0, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

/** One reply of the kernel: its type, sequence number and the bytes after the header. */
export interface Reply {
  type: number;
  flags: number;
  seq: number;
  body: Uint8Array;
}

/** Splits what one recv returned into messages. */
export function replies(buf: Uint8Array): Reply[] {
  const out: Reply[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = 0; at + 16 <= buf.length; ) {
    const len = v.getUint32(at, true);
    if (len < 16 || at + len > buf.length) break;
    out.push({ type: v.getUint16(at + 4, true), flags: v.getUint16(at + 6, true), seq: v.getUint32(at + 8, true), body: buf.subarray(at + 16, at + len) });
    at += (len + 3) & ~3;
  }
  return out;
}

const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

/** An NLMSG_ERROR reply: 0 for an ack, else -errno, with the kernel's extended-ack text if any (the request is not echoed: NETLINK_CAP_ACK). */
export function errorOf(r: Reply): { errno: number; message?: string } {
  const v = new DataView(r.body.buffer, r.body.byteOffset, r.body.byteLength);
  const raw = v.getInt32(0, true);
  const errno = raw === 0 ? 0 : -raw;
  if (errno === 0 || (r.flags & NLM_F_ACK_TLVS) === 0) return { errno };
  for (let at = 20; at + 4 <= r.body.length; ) {
    const len = v.getUint16(at, true);
    if (len < 4) break;
    if (v.getUint16(at + 2, true) === NLMSGERR_ATTR_MSG) {
      const text = fromUtf8(r.body.subarray(at + 4, at + len)).replace(/\0.*$/s, '');
      return { errno, message: text };
    }
    at += (len + 3) & ~3;
  }
  return { errno };
}
