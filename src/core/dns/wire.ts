/**
 * The few byte-level facts about DNS messages the server needs before (or
 * instead of) a full decode: the header bits, where the question ends, a
 * header-only error reply, UDP truncation, and the address a PTR name asks
 * for. Pure; never throws on any input.
 */
import { formatAddr } from '../ip.js';

export const HEADER = 12;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const QR = 0x80; // in byte 2
const TC = 0x02; // in byte 2
const RD = 0x01; // in byte 2
const RA = 0x80; // in byte 3

export function isQuery(buf: Uint8Array): boolean {
  return buf.length >= HEADER && (buf[2]! & QR) === 0;
}

export function opcode(buf: Uint8Array): number {
  return (buf[2]! >> 3) & 0x0f;
}

/**
 * Offset just past the single question of a query (name, type, class), or -1
 * when the message has not exactly one question or its name is malformed or
 * compressed (queries carry no pointers).
 */
export function questionEnd(buf: Uint8Array): number {
  if (buf.length < HEADER || buf[4] !== 0 || buf[5] !== 1) return -1;
  let off = HEADER;
  for (let labels = 0; labels < 128; labels++) {
    if (off >= buf.length) return -1;
    const len = buf[off]!;
    if (len === 0) return off + 5 <= buf.length ? off + 5 : -1;
    if (len > 63) return -1;
    off += 1 + len;
    if (off - HEADER > 255) return -1;
  }
  return -1;
}

/** A reply carrying only the header (and the question when it is well formed) with the given rcode. */
export function errorReply(query: Uint8Array, rcode: number): Buffer {
  const qEnd = questionEnd(query);
  const out = Buffer.alloc(qEnd > 0 ? qEnd : HEADER);
  out[0] = query[0] ?? 0;
  out[1] = query[1] ?? 0;
  out[2] = QR | ((query[2] ?? 0) & (0x78 | RD)); // keep opcode and RD
  out[3] = RA | (rcode & 0x0f);
  if (qEnd > 0) {
    out[5] = 1;
    out.set(query.subarray(HEADER, qEnd), HEADER);
  }
  return out;
}

/**
 * What a UDP client may receive: 512 bytes, or the EDNS payload size it
 * advertised (between 512 and 4096). Reads the OPT record after the question.
 */
export function udpLimit(query: Uint8Array): number {
  const qEnd = questionEnd(query);
  const arcount = ((query[10] ?? 0) << 8) | (query[11] ?? 0);
  if (qEnd < 0 || arcount === 0 || query[6] || query[7] || query[8] || query[9]) return 512;
  // OPT: root name (0), type 41, then the payload size as its "class".
  if (query.length >= qEnd + 5 && query[qEnd] === 0 && query[qEnd + 1] === 0 && query[qEnd + 2] === 41) {
    const size = (query[qEnd + 3]! << 8) | query[qEnd + 4]!;
    return Math.min(4096, Math.max(512, size));
  }
  return 512;
}

/** The reply cut down to its header and question with the TC bit set, when it is longer than `limit`. */
export function fitUdp(reply: Buffer, limit: number): Buffer {
  if (reply.length <= limit) return reply;
  const qEnd = questionEnd(reply);
  const out = Buffer.alloc(qEnd > 0 ? qEnd : HEADER);
  reply.copy(out, 0, 0, out.length);
  out[2] = out[2]! | TC;
  out.fill(0, 4, HEADER);
  if (qEnd > 0) out[5] = 1;
  return out;
}

/** The address a reverse name asks for ("4.3.2.1.in-addr.arpa", 32 nibbles of ip6.arpa), canonical, or undefined. */
export function ptrAddress(name: string): string | undefined {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length === 6 && labels[4] === 'in-addr' && labels[5] === 'arpa') {
    let value = 0n;
    for (let i = 3; i >= 0; i--) {
      const l = labels[i]!;
      if (!/^(0|[1-9][0-9]{0,2})$/.test(l) || Number(l) > 255) return undefined;
      value = (value << 8n) | BigInt(l);
    }
    return formatAddr({ family: 4, value });
  }
  if (labels.length === 34 && labels[32] === 'ip6' && labels[33] === 'arpa') {
    let value = 0n;
    for (let i = 31; i >= 0; i--) {
      const l = labels[i]!;
      if (!/^[0-9a-f]$/.test(l)) return undefined;
      value = (value << 4n) | BigInt(parseInt(l, 16));
    }
    return formatAddr({ family: 6, value });
  }
  return undefined;
}

/**
 * A key for the answer cache: everything in the query but its ID, with the
 * name lower-cased (DNS names are case-insensitive). Undefined when the query
 * is not plain enough to cache.
 */
export function cacheKey(query: Buffer): string | undefined {
  const qEnd = questionEnd(query);
  if (qEnd < 0 || query.length > 600) return undefined;
  const nameEnd = qEnd - 4;
  for (let i = HEADER; i < nameEnd; i++) if (query[i]! >= 0x80) return undefined;
  return query.toString('latin1', 2, HEADER) + query.toString('latin1', HEADER, nameEnd).toLowerCase() + query.toString('latin1', nameEnd);
}

/** A cached reply made fit for a new query: its ID and the exact spelling of its name. */
export function replyFor(cached: Buffer, query: Buffer): Buffer {
  const out = Buffer.from(cached);
  out[0] = query[0]!;
  out[1] = query[1]!;
  const qEnd = questionEnd(query);
  query.copy(out, HEADER, HEADER, qEnd - 4);
  return out;
}

/** Whether a reply's question is the query's, byte for byte up to letter case (so the reply can be cached). */
export function sameQuestion(reply: Buffer, query: Buffer): boolean {
  const qEnd = questionEnd(query);
  if (qEnd < 0 || reply.length < qEnd) return false;
  return reply.toString('latin1', HEADER, qEnd).toLowerCase() === query.toString('latin1', HEADER, qEnd).toLowerCase();
}

/** A fresh random message ID, and an ID written into a message. */
export function setId(buf: Buffer, id: number): void {
  buf[0] = (id >> 8) & 0xff;
  buf[1] = id & 0xff;
}

export function getId(buf: Uint8Array): number {
  return ((buf[0] ?? 0) << 8) | (buf[1] ?? 0);
}
