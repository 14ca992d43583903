/**
 * A device's FDB and neighbour entries read over rtnetlink (RTM_GETNEIGH
 * dumps), as `bridge -j fdb show dev D` and `ip -j -4 neigh show dev D` list
 * them: the cluster agent reads its VXLAN devices this way, with no process.
 * The decoding is pure (entries() on the dump's parts).
 */
import { formatAddr } from '../../ip.js';
import type { Libc } from '../../libc.js';
import { hex } from '../../names.js';
import { F, Message, RTM, type Reply } from './message.js';
import { NetlinkFailure, RouteSocket } from './socket.js';

const AF_INET = 2;
const AF_BRIDGE = 7;
const NDA = { DST: 1, LLADDR: 2 } as const;
/** What `ip neigh show` leaves out by default: entries with no state, and NOARP ones (not neighbours of the wire). */
const NUD_NONE = 0x00;
const NUD_NOARP = 0x40;

export interface Entry {
  /** The link the entry is on. */
  index: number;
  /** The destination: a neighbour's IP, or an FDB entry's remote VTEP. */
  dst?: string;
  /** Lower-case, colon-separated, as iproute2 prints it. */
  mac?: string;
  state: number;
}

function ipText(b: Uint8Array): string | undefined {
  if (b.length !== 4 && b.length !== 16) return undefined;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return formatAddr({ family: b.length === 4 ? 4 : 6, value: v });
}

/** The entries of a dump's parts (struct ndmsg, then NDA_DST and NDA_LLADDR). */
export function entries(parts: readonly Reply[]): Entry[] {
  const out: Entry[] = [];
  for (const r of parts) {
    if (r.type !== RTM.NEWNEIGH || r.body.length < 12) continue;
    const v = new DataView(r.body.buffer, r.body.byteOffset, r.body.byteLength);
    const e: Entry = { index: v.getInt32(4, true), state: v.getUint16(8, true) };
    for (let at = 12; at + 4 <= r.body.length; ) {
      const len = v.getUint16(at, true);
      if (len < 4 || at + len > r.body.length) break;
      const type = v.getUint16(at + 2, true) & 0x3fff;
      const data = r.body.subarray(at + 4, at + len);
      if (type === NDA.DST) {
        const ip = ipText(data);
        if (ip !== undefined) e.dst = ip;
      } else if (type === NDA.LLADDR && data.length === 6) {
        e.mac = hex(data, ':');
      }
      at += (len + 3) & ~3;
    }
    out.push(e);
  }
  return out;
}

function dumpRequest(family: number): Message {
  return new Message(RTM.GETNEIGH, F.REQUEST | F.DUMP).raw(Uint8Array.of(family, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
}

/** A device's FDB rows (MAC, remote VTEP) and IPv4 neighbour rows (IP, MAC). */
export interface DeviceRows {
  fdb: { mac: string; dst: string }[];
  neigh: { ip: string; mac: string }[];
}

/**
 * The rows of each device in cnm's own namespace, from one dump of each table
 * for all of them; a device that is not there has none in the map.
 */
export function deviceEntries(c: Libc, devs: readonly string[]): Map<string, DeviceRows> {
  const out = new Map<string, DeviceRows>();
  if (devs.length === 0) return out;
  const sock = RouteSocket.open(c, undefined);
  try {
    const byIndex = new Map<number, DeviceRows>();
    for (const dev of devs) {
      try {
        const rows: DeviceRows = { fdb: [], neigh: [] };
        byIndex.set(sock.index(dev), rows);
        out.set(dev, rows);
      } catch (e) {
        if (!(e instanceof NetlinkFailure)) throw e; // not there (yet, or any more)
      }
    }
    if (byIndex.size === 0) return out;
    for (const e of entries(sock.dump(dumpRequest(AF_BRIDGE)))) {
      if (e.mac !== undefined && e.dst !== undefined) byIndex.get(e.index)?.fdb.push({ mac: e.mac, dst: e.dst });
    }
    for (const e of entries(sock.dump(dumpRequest(AF_INET)))) {
      if (e.mac !== undefined && e.dst !== undefined && e.state !== NUD_NONE && (e.state & NUD_NOARP) === 0) byIndex.get(e.index)?.neigh.push({ ip: e.dst, mac: e.mac });
    }
    return out;
  } finally {
    sock.close();
  }
}
