/**
 * The answer logic, pure: a query, the asker and the zone in; a reply, a
 * "forward it" or a "drop it" out. No sockets, no clock, no state file, so
 * every rule is a unit test and malformed input is a unit test too.
 *
 *  - names (sandbox names, aliases, 12-hex short IDs) on the asker's DNS
 *    networks: A/AAAA, all holders' addresses in shuffled order; a sandbox
 *    name beats an alias; any other type, or a family the name lacks: NODATA
 *    (NOERROR, no answers), never NXDOMAIN (which would hide the other family
 *    from musl);
 *  - NAME.NETWORK (NETWORK any cnm network): the name on that network when
 *    the asker is on it, else NXDOMAIN; never forwarded, and a sandbox whose
 *    own name looks like it loses to this meaning;
 *  - PTR of endpoint addresses: "sandbox.network"; NXDOMAIN for other
 *    addresses in cnm's subnets (never forwarded);
 *  - an unknown single label: NXDOMAIN at once;
 *  - anything else: forwarded upstream, or REFUSED for a sandbox that is
 *    only on internal networks.
 */
import type * as DnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { parseAddr } from '../ip.js';
import { contains } from '../ip.js';
import type { AddrRecord, Client, NetZone, Zone } from './records.js';
import { RCODE, errorReply, isQuery, opcode, ptrAddress } from './wire.js';

export type Codec = typeof DnsPacket;

/** dns-packet, loaded only by the DNS server (other commands never pay for it). */
export async function loadCodec(): Promise<Codec> {
  const m = (await import('dns-packet')) as Codec & { default?: Codec };
  return m.default ?? m;
}

export type Outcome =
  | { kind: 'reply'; packet: Buffer; cacheable: boolean }
  | { kind: 'forward' }
  | { kind: 'drop' };

const RD = 0x0100;
const RA = 0x0080;
const AA = 0x0400;
const TTL = 0; // names follow connect/disconnect at once: nothing may cache them

function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Addresses of `label` on the given networks: sandbox names (and short IDs)
 * first; aliases only when no sandbox on them has that name.
 */
function gather(zone: Zone, ids: readonly string[], label: string): AddrRecord[] | undefined {
  for (const pick of [(n: NetZone) => n.names, (n: NetZone) => n.aliases]) {
    let found: AddrRecord[] | undefined;
    for (const id of ids) {
      const net = zone.nets.get(id);
      const recs = net && pick(net).get(label);
      if (!recs) continue;
      found ??= [];
      for (const r of recs) if (!found.some((f) => f.address === r.address)) found.push(r);
    }
    if (found) return found;
  }
  return undefined;
}

/** The cnm networks `name` lies under (NAME.NETWORK, NETWORK any network in the state), longest first. */
export function qualifiers(zone: Zone, name: string): string[] {
  const out: string[] = [];
  for (const n of zone.owned.networks) if (name.length > n.length + 1 && name.endsWith(`.${n}`)) out.push(n);
  return out.sort((a, b) => b.length - a.length);
}

/**
 * What a name stands for in the asker's view. A name under a cnm network is
 * always qualified (`s0.base` is s0 on base, even when a sandbox is named
 * "s0.base") and `own`: answered here or NXDOMAIN, never forwarded.
 */
export function lookupName(zone: Zone, client: Client, name: string): { records?: AddrRecord[]; own: boolean } {
  const nets = qualifiers(zone, name);
  if (nets.length === 0) return { records: gather(zone, client.networks, name), own: false };
  for (const netName of nets) {
    const ids = client.networks.filter((id) => zone.nets.get(id)?.name === netName);
    const records = ids.length > 0 ? gather(zone, ids, name.slice(0, -netName.length - 1)) : undefined;
    if (records) return { records, own: true };
  }
  return { own: true };
}

/**
 * The PTR target of an address in the asker's view; `owned` when the address
 * is cnm's (in one of the asker's subnets, or in any subnet cnm addresses).
 */
export function lookupPtr(zone: Zone, client: Client, address: string): { target?: string; owned: boolean } {
  const a = parseAddr(address);
  let owned = false;
  for (const id of client.networks) {
    const net = zone.nets.get(id);
    if (!net) continue;
    const target = net.ptr.get(address);
    if (target) return { target, owned: true };
    if (a && net.subnets.some((s) => contains(s, a))) owned = true;
  }
  if (a && !owned) owned = zone.owned.subnets.some((s) => contains(s, a));
  return { owned };
}

export function respond(codec: Codec, zone: Zone, client: Client, query: Buffer, rand: () => number = Math.random): Outcome {
  if (!isQuery(query)) return { kind: 'drop' }; // too short, or a response: never answer those
  if (opcode(query) !== 0) return { kind: 'reply', packet: errorReply(query, RCODE.NOTIMP), cacheable: false };
  let msg: DnsPacket.DecodedPacket;
  try {
    msg = codec.decode(query);
  } catch {
    return { kind: 'reply', packet: errorReply(query, RCODE.FORMERR), cacheable: false };
  }
  const questions = msg.questions ?? [];
  const q = questions[0];
  if (questions.length !== 1 || !q || typeof q.name !== 'string') return { kind: 'reply', packet: errorReply(query, RCODE.FORMERR), cacheable: false };
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const opt = (msg.additionals ?? []).find((a) => a.type === 'OPT');
  const reply = (rcode: number, answers: Answer[], authoritative: boolean): Outcome => {
    const flags = ((msg.flags ?? 0) & RD) | RA | (authoritative ? AA : 0) | rcode;
    const packet = codec.encode({
      type: 'response',
      id: msg.id ?? 0,
      flags,
      questions: [q],
      answers,
      additionals: opt ? [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] : [],
    });
    return { kind: 'reply', packet, cacheable: answers.length <= 1 };
  };
  if (q.class !== undefined && q.class !== 'IN') return reply(RCODE.REFUSED, [], false);

  const found = name === '' ? { own: false } : lookupName(zone, client, name);
  const recs = found.records;
  if (recs) {
    const want = (f: 4 | 6) => q.type === (f === 4 ? 'A' : 'AAAA') || (q.type as string) === 'ANY';
    const answers: Answer[] = shuffle(
      recs.filter((r) => want(r.family)),
      rand,
    ).map((r) => ({ type: r.family === 4 ? 'A' : 'AAAA', name: q.name, ttl: TTL, class: 'IN', data: r.address }));
    return reply(RCODE.NOERROR, answers, true); // no answers = NODATA: the name exists
  }
  if (q.type === 'PTR') {
    const address = ptrAddress(name);
    if (address) {
      const { target, owned } = lookupPtr(zone, client, address);
      if (target) return reply(RCODE.NOERROR, [{ type: 'PTR', name: q.name, ttl: TTL, class: 'IN', data: target }], true);
      if (owned) return reply(RCODE.NXDOMAIN, [], true);
    }
  }
  if (found.own) return reply(RCODE.NXDOMAIN, [], true);
  if (name !== '' && !name.includes('.')) return reply(RCODE.NXDOMAIN, [], true);
  if (!client.forward) return reply(RCODE.REFUSED, [], false);
  return { kind: 'forward' };
}
