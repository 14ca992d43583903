import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { type Codec, respond } from '../../src/core/dns/answer.js';
import { buildZone, clientKey, resolversFor } from '../../src/core/dns/records.js';
import { cacheKey, fitUdp, ptrAddress, questionEnd, replyFor, udpLimit } from '../../src/core/dns/wire.js';
import type { BridgeNetwork, Endpoint, Network, Sandbox, State } from '../../src/core/model.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';

const codec = dnsPacket as unknown as Codec;
const hex = (c: string) => c.repeat(64);

function net(name: string, id: string, subnet: string, gw: string, extra: Partial<BridgeNetwork> = {}): BridgeNetwork {
  return {
    id: hex(id), name, driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
    bridge: `cnm-${id}`, subnets: [{ subnet: mustCidr(subnet), gateway: mustAddr(gw) }], options: {}, labels: {}, driverOpts: {}, ...extra,
  };
}
function sb(name: string, id: string): Sandbox {
  return { id: hex(id), name, created: '', hostname: name, netns: name, dns: [], ports: [] };
}
function ep(id: string, n: Network, s: Sandbox, ipv4?: string, aliases: string[] = [], ipv6?: string): Endpoint {
  return { id: hex(id), networkId: n.id, sandboxId: s.id, ifname: 'eth0', hostIfname: 'veth', mac: '', aliases, created: '', ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}) };
}

// The three-tier example plus aliases, IPv6, an internal network and a no-DNS network.
const front = net('frontend', 'a', '172.18.0.0/16', '172.18.0.1');
const back = net('backend', 'b', '172.19.0.0/16', '172.19.0.1', { ipv6: true, subnets: [{ subnet: mustCidr('172.19.0.0/16'), gateway: mustAddr('172.19.0.1') }, { subnet: mustCidr('fd00:19::/64'), gateway: mustAddr('fd00:19::1') }] });
const vault = net('vault', 'c', '172.20.0.0/16', '172.20.0.1', { internal: true });
const plain = net('plain', 'd', '172.21.0.0/16', '172.21.0.1', { dns: false });
const web = sb('web', '1'), api = sb('api', '2'), db = sb('db', '3'), web2 = sb('web2', '4'), safe = sb('safe', '5'), lone = sb('lone', '6');
const state: State = {
  schema: 1,
  networks: [front, back, vault, plain],
  sandboxes: [web, api, db, web2, safe, lone],
  endpoints: [
    ep('11', front, web, '172.18.0.2/16', ['www']),
    ep('12', front, web2, '172.18.0.5/16', ['www']),
    ep('21', front, api, '172.18.0.3/16'),
    ep('22', back, api, '172.19.0.2/16', [], 'fd00:19::2/64'),
    ep('31', back, db, '172.19.0.3/16', ['database'], 'fd00:19::3/64'),
    ep('51', vault, safe, '172.20.0.2/16'),
    ep('61', plain, lone, '172.21.0.2/16'),
  ],
};
const zone = buildZone(state);
const asker = (netw: Network, addr: string) => zone.clients.get(clientKey(netw.id, addr))!;

function ask(from: ReturnType<typeof asker>, name: string, type: dnsPacket.RecordType = 'A', opts: { edns?: boolean } = {}) {
  const q = dnsPacket.encode({
    type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }],
    ...(opts.edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  });
  const out = respond(codec, zone, from, q);
  if (out.kind !== 'reply') return out.kind;
  const r = dnsPacket.decode(out.packet);
  return { rcode: (r as { rcode?: string }).rcode ?? '',  id: r.id, data: (r.answers ?? []).map((a) => String((a as { data: unknown }).data)), raw: out.packet };
}
const rcodeOf = (r: ReturnType<typeof ask>) => (typeof r === 'string' ? r : r.rcode);
const dataOf = (r: ReturnType<typeof ask>) => (typeof r === 'string' ? [] : r.data);

describe('embedded DNS: zone from state', () => {
  it('listens on the gateways of DNS networks with endpoints only', () => {
    expect(zone.listen.map((l) => l.address).sort()).toEqual(['172.18.0.1', '172.19.0.1', '172.20.0.1', 'fd00:19::1']);
  });
  it('names the gateways of DNS networks in resolv.conf, IPv4 first; none for a sandbox on no DNS network', () => {
    expect(resolversFor(state, state.endpoints.filter((e) => e.sandboxId === api.id))).toEqual(['172.18.0.1', '172.19.0.1', 'fd00:19::1']);
    expect(resolversFor(state, state.endpoints.filter((e) => e.sandboxId === lone.id))).toBeUndefined();
  });
  it('knows no asker on a network without DNS', () => {
    expect(zone.clients.get(clientKey(plain.id, '172.21.0.2'))).toBeUndefined();
  });
});

describe('embedded DNS: answers', () => {
  const fromApi = asker(front, '172.18.0.3');
  const fromWeb = asker(front, '172.18.0.2');
  const fromDb = asker(back, '172.19.0.3');

  it('scope: api resolves web and db; web resolves api but not db', () => {
    expect(dataOf(ask(fromApi, 'web'))).toEqual(['172.18.0.2']);
    expect(dataOf(ask(fromApi, 'db'))).toEqual(['172.19.0.3']);
    expect(dataOf(ask(fromWeb, 'api'))).toEqual(['172.18.0.3']); // not api's backend address: web is not there
    expect(rcodeOf(ask(fromWeb, 'db'))).toBe('NXDOMAIN');
    expect(rcodeOf(ask(fromWeb, 'database'))).toBe('NXDOMAIN');
    expect(dataOf(ask(fromDb, 'api'))).toEqual(['172.19.0.2']);
  });
  it('names are case-insensitive and answer with the asked spelling and ID', () => {
    const r = ask(fromApi, 'WeB.');
    expect(typeof r !== 'string' && r.id).toBe(4242);
    expect(dataOf(r)).toEqual(['172.18.0.2']);
  });
  it('NAME.NETWORK resolves on a shared network only', () => {
    expect(dataOf(ask(fromWeb, 'api.frontend'))).toEqual(['172.18.0.3']);
    expect(dataOf(ask(fromApi, 'api.backend'))).toEqual(['172.19.0.2']);
    expect(rcodeOf(ask(fromWeb, 'db.backend'))).toBe('NXDOMAIN'); // cnm's name: answered here, never forwarded
    expect(rcodeOf(ask(fromWeb, 'nobody.frontend'))).toBe('NXDOMAIN');
    expect(rcodeOf(ask(fromWeb, 'deep.name.backend'))).toBe('NXDOMAIN');
    expect(rcodeOf(ask(fromWeb, 'x.plain'))).toBe('NXDOMAIN'); // under a network without DNS, too
  });
  it('a shared alias answers with every holder, in shuffled order', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const d = dataOf(ask(fromApi, 'www'));
      expect([...d].sort()).toEqual(['172.18.0.2', '172.18.0.5']);
      seen.add(d.join());
    }
    expect(seen.size).toBe(2);
  });
  it('AAAA from IPv6 addresses; NODATA (NOERROR, no answer) for a family the name lacks', () => {
    expect(dataOf(ask(fromApi, 'db', 'AAAA'))).toEqual(['fd00:19::3']);
    const r = ask(fromApi, 'web', 'AAAA');
    expect(rcodeOf(r)).toBe('NOERROR');
    expect(dataOf(r)).toEqual([]);
    expect(rcodeOf(ask(fromApi, 'web', 'MX'))).toBe('NOERROR');
  });
  it('PTR of endpoint addresses (IPv4 and IPv6) is sandbox.network; NXDOMAIN for others in our subnets', () => {
    expect(dataOf(ask(fromApi, '2.0.18.172.in-addr.arpa', 'PTR'))).toEqual(['web.frontend']);
    const v6 = '3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9.1.0.0.0.0.d.f.ip6.arpa';
    expect(dataOf(ask(fromApi, v6, 'PTR'))).toEqual(['db.backend']);
    expect(rcodeOf(ask(fromWeb, '3.0.19.172.in-addr.arpa', 'PTR'))).not.toBe('NOERROR'); // db is out of web's scope
    expect(rcodeOf(ask(fromWeb, '99.0.18.172.in-addr.arpa', 'PTR'))).toBe('NXDOMAIN');
    expect(ask(fromWeb, '8.8.8.8.in-addr.arpa', 'PTR')).toBe('forward');
    // Any address in a cnm subnet stays here, even on a network the asker is not on (and one without DNS).
    expect(rcodeOf(ask(fromWeb, '2.0.21.172.in-addr.arpa', 'PTR'))).toBe('NXDOMAIN');
    expect(rcodeOf(ask(fromWeb, '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9.1.0.0.0.0.d.f.ip6.arpa', 'PTR'))).toBe('NXDOMAIN');
  });
  it('unknown single labels are NXDOMAIN at once; other names are forwarded', () => {
    expect(rcodeOf(ask(fromWeb, 'nosuchname'))).toBe('NXDOMAIN');
    expect(ask(fromWeb, 'example.com')).toBe('forward');
  });
  it('a sandbox only on internal networks is never forwarded for', () => {
    const fromSafe = asker(vault, '172.20.0.2');
    expect(dataOf(ask(fromSafe, 'safe'))).toEqual(['172.20.0.2']);
    expect(rcodeOf(ask(fromSafe, 'example.com'))).toBe('REFUSED');
  });
  it('echoes EDNS and large answers are truncated for UDP', () => {
    const r = ask(fromApi, 'www', 'A', { edns: true });
    if (typeof r === 'string') throw new Error(r);
    const q = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'www' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1400, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
    expect(udpLimit(q)).toBe(1400);
    const cut = fitUdp(r.raw, 40);
    const d = dnsPacket.decode(cut);
    expect(d.flag_tc).toBe(true);
    expect(d.answers).toEqual([]);
    expect(d.questions?.[0]?.name).toBe('www');
    expect(fitUdp(r.raw, 512)).toBe(r.raw);
  });
});

describe('embedded DNS: name rules', () => {
  // s0 is a sandbox; mimic holds the alias "s0" and "solo"; "web.front" is a sandbox named like NAME.NETWORK.
  const n1 = net('front', 'e', '10.1.0.0/24', '10.1.0.1');
  const n2 = net('side', 'f', '10.2.0.0/24', '10.2.0.1');
  const mv: Network = { ...net('lan', '7', '192.168.1.0/24', '192.168.1.1'), driver: 'macvlan', bridge: undefined, driverOpts: { parent: 'eth0', mode: 'bridge' } };
  const s0 = sb('s0', '7'), mimic = sb('mimic', '8'), webq = sb('web.front', '9'), webf = sb('web', 'a'), both = sb('both', 'b');
  const z = buildZone({
    schema: 1,
    networks: [n1, n2, mv],
    sandboxes: [s0, mimic, webq, webf, both],
    endpoints: [
      ep('71', n1, s0, '10.1.0.2/24'),
      ep('81', n1, mimic, '10.1.0.3/24', ['s0', 'solo']),
      ep('91', n2, webq, '10.2.0.2/24'),
      ep('a1', n1, webf, '10.1.0.4/24'),
      ep('b1', n1, both, '10.1.0.5/24'),
      ep('b2', n2, both, '10.2.0.5/24'),
    ],
  });
  const from = z.clients.get(clientKey(n1.id, '10.1.0.5'))!;
  const q = (name: string, type: dnsPacket.RecordType = 'A') => {
    const out = respond(codec, z, from, dnsPacket.encode({ type: 'query', id: 1, questions: [{ type, name, class: 'IN' }] }));
    if (out.kind !== 'reply') return { rcode: out.kind, data: [] as string[] };
    const r = dnsPacket.decode(out.packet);
    return { rcode: (r as { rcode?: string }).rcode ?? '', data: (r.answers ?? []).map((a) => String((a as { data: unknown }).data)) };
  };
  it('a sandbox name beats an alias; an alias no sandbox is named still answers', () => {
    expect(q('s0').data).toEqual(['10.1.0.2']);
    expect(q('solo').data).toEqual(['10.1.0.3']);
  });
  it('a name that looks like NAME.NETWORK has the qualified meaning', () => {
    expect(q('web.front').data).toEqual(['10.1.0.4']);
    expect(q('WEB.FRONT.').data).toEqual(['10.1.0.4']);
    expect(q('s0.front').data).toEqual(['10.1.0.2']);
  });
  it('macvlan subnets are the LAN\'s: their PTRs are forwarded; names under the network are still cnm\'s', () => {
    expect(q('9.1.168.192.in-addr.arpa', 'PTR').rcode).toBe('forward');
    expect(q('host.lan').rcode).toBe('NXDOMAIN');
    expect(q('example.com').rcode).toBe('forward');
  });
});

describe('embedded DNS: wire helpers', () => {
  it('parses reverse names', () => {
    expect(ptrAddress('4.3.2.1.in-addr.arpa')).toBe('1.2.3.4');
    expect(ptrAddress('4.3.2.1.in-addr.arpa.')).toBe('1.2.3.4');
    expect(ptrAddress('256.3.2.1.in-addr.arpa')).toBeUndefined();
    expect(ptrAddress('3.2.1.in-addr.arpa')).toBeUndefined();
    expect(ptrAddress('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa')).toBe('fd00::1');
    expect(ptrAddress('x.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa')).toBeUndefined();
  });
  it('a cached reply takes the new ID and the new spelling', () => {
    const q1 = dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'web' }] });
    const q2 = dnsPacket.encode({ type: 'query', id: 2, questions: [{ type: 'A', name: 'WEB' }] });
    expect(cacheKey(q1)).toBe(cacheKey(q2));
    const out = respond(codec, zone, asker(front, '172.18.0.3'), q1);
    if (out.kind !== 'reply') throw new Error(out.kind);
    const r = dnsPacket.decode(replyFor(out.packet, q2));
    expect(r.id).toBe(2);
    expect(r.questions?.[0]?.name).toBe('WEB');
    expect((r.answers?.[0] as { data: string }).data).toBe('172.18.0.2');
  });
});

describe('embedded DNS: malformed packets never crash the handler nor get a wrong answer', () => {
  const from = asker(front, '172.18.0.3');
  const good = Buffer.from(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'web' }] }));
  const corpus: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([1])],
    ['header only, qdcount 0', Buffer.from([0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['qdcount 1, no question', Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])],
    ['qdcount 2', Buffer.concat([good.subarray(0, 4), Buffer.from([0, 2]), good.subarray(6)])],
    ['label runs past the end', Buffer.concat([good.subarray(0, 12), Buffer.from([40, 97, 98])])],
    ['pointer loop', Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
    ['pointer out of range', Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 0xff, 0, 1, 0, 1])])],
    ['missing type and class', good.subarray(0, good.length - 3)],
    ['a response (QR set)', Buffer.concat([good.subarray(0, 2), Buffer.from([0x81, 0x80]), good.subarray(4)])],
    ['opcode STATUS', Buffer.concat([good.subarray(0, 2), Buffer.from([0x10, 0]), good.subarray(4)])],
    ['ancount 65535 with no answers', Buffer.concat([good.subarray(0, 6), Buffer.from([0xff, 0xff]), good.subarray(8)])],
    ['arcount 1 with garbage', Buffer.concat([good.subarray(0, 10), Buffer.from([0, 1]), good.subarray(12), Buffer.from([0, 0, 41])])],
    ['class CHAOS', Buffer.concat([good.subarray(0, good.length - 2), Buffer.from([0, 3])])],
    ['huge (64 KiB of 0xff)', Buffer.concat([good.subarray(0, 12), Buffer.alloc(65_000, 0xff)])],
    ['name of 300 bytes', Buffer.concat([good.subarray(0, 12), Buffer.from(Array.from({ length: 5 }, () => [60, ...Buffer.alloc(60, 97)]).flat()), Buffer.from([0, 0, 1, 0, 1])])],
  ];
  for (let i = 0; i < 200; i++) {
    // Seeded pseudo-random packets: deterministic, so a failure can be replayed.
    let x = i * 2654435761;
    const rnd = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const buf = Buffer.from(good);
    for (let k = 0; k < 1 + (i % 5); k++) buf[rnd() % buf.length] = rnd();
    corpus.push([`mutation ${i}`, i % 7 === 0 ? buf.subarray(0, rnd() % buf.length) : buf]);
  }

  for (const [label, packet] of corpus) {
    it(`${label}`, () => {
      const out = respond(codec, zone, from, packet);
      expect(['reply', 'forward', 'drop']).toContain(out.kind);
      if (packet.length < 12 || (packet[2]! & 0x80) !== 0) expect(out.kind).toBe('drop');
      if (out.kind !== 'reply') return;
      // A reply keeps the ID, is a response, and only ever carries the asker's own view.
      expect(out.packet.readUInt16BE(0)).toBe(packet.readUInt16BE(0));
      expect(out.packet[2]! & 0x80).toBe(0x80);
      const d = (() => {
        try {
          return dnsPacket.decode(out.packet);
        } catch {
          return undefined;
        }
      })();
      expect(d).toBeDefined();
      for (const a of d?.answers ?? []) expect(['172.18.0.2', '172.18.0.3', '172.18.0.5', '172.19.0.2', '172.19.0.3', 'fd00:19::2', 'fd00:19::3', 'web.frontend', 'api.frontend', 'api.backend', 'db.backend', 'web2.frontend']).toContain(String((a as { data: unknown }).data));
      expect(questionEnd(out.packet)).not.toBe(0);
    });
  }
});
