/**
 * The records of a state an update reads as text (records.ts): what the hot
 * path finds, adds and drops there gives the same answers and the same file as
 * the same work on a fully parsed state, and touches no record it does not need.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDrivers } from '../../src/drivers/index.js';
import { takenAddresses } from '../../src/core/ipam.js';
import { mustCidr, parseAddr } from '../../src/core/ip.js';
import { vethName, macFromIpv4 } from '../../src/core/names.js';
import { type EndpointRequest, buildEndpoint } from '../../src/core/ops/endpoint.js';
import type { Endpoint, Network, Sandbox, State } from '../../src/core/model.js';
import { type Piece, SEARCH_BYTES_FROM, addEndpointRecord, addSandboxRecord, dropSandboxRecord, encodeLines, recordsOf, splitRecords } from '../../src/core/records.js';
import { endpointCountOn, endpointsOf, findSandbox, sandboxNamed } from '../../src/core/resolve.js';
import { Store, layOut, stampOf } from '../../src/core/store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cnm-records-'));
const hex = (n: number, c = 0) => createHash('sha256').update(`${c}:${n}`).digest('hex');
const NET = hex(1, 9);
const OTHER = hex(2, 9);

const net = (id: string, name: string, subnet: string): Network => ({
  id, name, driver: 'bridge', bridge: `br-${name}`, created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
  subnets: [{ subnet: mustCidr(subnet) }], options: {}, labels: {}, driverOpts: {},
});

/** A sandbox whose labels and hostname hold text that looks like other records' keys. */
const sandbox = (i: number): Sandbox => ({
  id: hex(i), name: `s${i}`, created: `t${i}`, hostname: `h${i}`, netns: `s${i}`, dns: [], ports: [],
  ...(i % 3 === 0 ? { labels: { name: `s${i + 1}`, note: `"name":"s${i + 2}","id":"${hex(i + 1)}"`, sandboxId: hex(i + 1) } } : {}),
});

const endpoint = (i: number, networkId: string, host: number): Endpoint => ({
  id: hex(i, 1), networkId, sandboxId: hex(i), ifname: 'eth0', hostIfname: `veth${i}`, mac: `02:42:0a:00:00:${(host % 256).toString(16).padStart(2, '0')}`,
  ipv4: `10.1.0.${host}/16`, aliases: [], created: '', // the same text on both networks: only the network tells them apart
});

/** A store holding `n` sandboxes, one endpoint each (every fifth on the other network), written by the store itself. */
/**
 * Each test runs twice: on states searched in their text, and on states over
 * SEARCH_BYTES_FROM searched in their bytes (a network's label pads them).
 */
let padding = 0;

async function stored(n: number): Promise<Store> {
  const s = new Store(dir());
  await s.update((st) => {
    st.networks.push({ ...net(NET, 'a', '10.1.0.0/16'), labels: padding > 0 ? { pad: 'p'.repeat(padding) } : {} }, net(OTHER, 'b', '10.2.0.0/16'));
    for (let i = 1; i <= n; i++) {
      st.sandboxes.push(sandbox(i));
      st.endpoints.push(endpoint(i, i % 5 === 0 ? OTHER : NET, i + 1));
    }
  });
  return s;
}

/** The same work on a copy of the store read whole (its stamp removed) and on the store itself: results and files. */
async function both<T>(s: Store, work: (st: State) => T): Promise<{ slim: T; whole: T; text: string; wholeText: string; stayedText: boolean }> {
  const copy = new Store(dir());
  writeFileSync(copy.path, readFileSync(s.path, 'utf8'));
  const whole = await copy.update((st) => {
    expect(recordsOf(st)).toBeUndefined();
    return work(st);
  });
  let stayedText = false;
  const slim = await s.update((st) => {
    expect(recordsOf(st)).toBeDefined();
    // In its bytes when big (or not all ASCII), else in its text.
    const size = readFileSync(s.path).length;
    expect(recordsOf(st)!.inBytes).toBe(size >= SEARCH_BYTES_FROM || size !== readFileSync(s.path, 'utf8').length);
    const out = work(st);
    stayedText = recordsOf(st) !== undefined;
    return out;
  });
  return { slim, whole, text: readFileSync(s.path, 'utf8'), wholeText: readFileSync(copy.path, 'utf8'), stayedText };
}

for (const [how, pad] of [['searched in their text', 0], ['searched in their bytes', SEARCH_BYTES_FROM]] as const) describe(`records kept as text, ${how}`, () => {
  beforeAll(() => {
    padding = pad;
  });

  it('an update of a file the store wrote keeps them as text; one of any other file parses them', async () => {
    const s = await stored(10);
    expect(readFileSync(s.path, 'utf8').split('\n')).toHaveLength(1 + 10 + 1 + 10 + 1 + 1); // and the empty string after the final newline
    await s.update((st) => void expect(recordsOf(st)).toBeDefined());
    writeFileSync(s.path, readFileSync(s.path, 'utf8').replace('"t3"', '"t3x"')); // a hand edit: the stamp no longer matches
    await s.update((st) => void expect(recordsOf(st)).toBeUndefined());
  });

  it('finds a sandbox by name and by ID prefix as a whole parse does, not fooled by labels that hold the same text', async () => {
    const s = await stored(30);
    // 30 IDs, 16 first digits: some first digit starts two of them.
    const firsts = Array.from({ length: 30 }, (_, i) => hex(i + 1)[0]!);
    const shared = firsts.find((c, i) => firsts.indexOf(c) !== i)!;
    const r = await both(s, (st) => [
      findSandbox(st, 's4').id, findSandbox(st, 's30').name, sandboxNamed(st, 's31'), sandboxNamed(st, 'h4'),
      findSandbox(st, hex(7).slice(0, 12)).name, (() => { try { return findSandbox(st, shared).name; } catch (e) { return (e as Error).message; } })(),
      endpointsOf(st, findSandbox(st, 's5')).map((e) => e.ipv4), endpointsOf(st, findSandbox(st, 's3')).map((e) => e.id),
    ]);
    expect(r.slim).toEqual(r.whole);
    expect(r.slim[0]).toBe(hex(4));
    expect(r.slim[2]).toBeUndefined();
    expect(r.slim[5]).toMatch(/ambiguous/);
    expect(r.stayedText).toBe(true);
    expect(r.text).toBe(r.wholeText); // nothing changed: neither file was rewritten
  });

  it('looks for a sandbox only among the sandboxes: the first and last line found, an endpoint holding the same text never taken', async () => {
    // An endpoint's CNI name is `"name":"..."` in the endpoints' lines, exactly the needle of a sandbox's name.
    const s = await stored(8);
    await s.update((st) => {
      st.endpoints[2]!.cni = { name: 'ghost' };
      st.endpoints[7]!.cni = { name: 's8' }; // the last endpoint: the file's last record
    });
    expect(readFileSync(s.path, 'utf8')).toContain('"cni":{"name":"s8"}}\n]');
    const names = (st: State) => [sandboxNamed(st, 's1')?.id, sandboxNamed(st, 's8')?.id, sandboxNamed(st, 'ghost'), findSandbox(st, 's8').name];
    const r = await both(s, names);
    expect(r.slim).toEqual(r.whole);
    expect(r.slim).toEqual([hex(1), hex(8), undefined, 's8']);
    expect(r.stayedText).toBe(true);
    // The same with the endpoints first (a hand-made order): the sandboxes' block is then the file's last.
    const { sandboxes, endpoints, ...rest } = JSON.parse(readFileSync(s.path, 'utf8')) as State;
    writeFileSync(s.path, JSON.stringify({ ...rest, endpoints, sandboxes }));
    await s.update((st) => void dropSandboxRecord(st, findSandbox(st, 's2'))); // read whole (no stamp), written laid out
    const again = await both(s, names);
    expect(again.slim).toEqual([hex(1), hex(8), undefined, 's8']);
    expect(again.stayedText).toBe(true);
  });

  it('allocates at 1,000 sandboxes what a whole parse allocates: the free address from the cursor, its MAC, a new veth; a taken one pinned is refused', async () => {
    const s = new Store(dir());
    const ip = (n: number) => `10.1.${n >> 8}.${n & 255}`;
    await s.update((st) => {
      // The cursor on addresses held (by endpoints 498 and 499): the next free one is past them.
      const a = net(NET, 'a', '10.1.0.0/16');
      a.subnets[0]!.gateway = parseAddr('10.1.0.1');
      a.subnets[0]!.next = ip(500);
      st.networks.push({ ...a, labels: padding > 0 ? { pad: 'p'.repeat(padding) } : {} }, net(OTHER, 'b', '10.2.0.0/16'));
      for (let i = 1; i <= 1000; i++) {
        // Every 7th on the other network, with the same address text: only the network tells them apart.
        const host = i + 2;
        const e = { ...endpoint(i, i % 7 === 0 ? OTHER : NET, 0), ipv4: `${ip(host)}/16`, mac: macFromIpv4(ip(host)), hostIfname: vethName(hex(i, 1)) };
        st.sandboxes.push(sandbox(i));
        st.endpoints.push(e);
      }
    });
    const r = await both(s, (st) => {
      const a = st.networks.find((n) => n.id === NET)!;
      const sb = { ...sandbox(2000), name: 'new' };
      addSandboxRecord(st, sb);
      const ep = buildEndpoint(st, a, sb, { aliases: [] });
      const refused = (req: EndpointRequest) => {
        try {
          return buildEndpoint(st, a, sb, req).ipv4;
        } catch (e) {
          return (e as Error).message;
        }
      };
      return [ep.ipv4, ep.mac, ep.ifname, ep.hostIfname === vethName(ep.id), a.subnets[0]!.next, refused({ aliases: [], ip: ip(801) }), refused({ aliases: [], ip: ip(9) }), refused({ aliases: [], mac: macFromIpv4(ip(9)) }), refused({ aliases: [], mac: macFromIpv4(ip(600)) })];
    });
    expect(r.slim).toEqual(r.whole);
    // From the cursor (500), every address is held on this network up to 506: endpoint 504's, on the other one.
    expect(r.slim.slice(0, 5)).toEqual([`${ip(506)}/16`, macFromIpv4(ip(506)), 'eth0', true, ip(507)]);
    expect(r.slim[5]).toMatch(/^address 10\.1\.3\.33 is already in use/); // endpoint 799's
    expect(r.slim[6]).toBe(`${ip(9)}/16`); // held on the other network only (endpoint 7)
    // The other network's MAC is free here; its address the cursor's next free one (a pinned one did not move it).
    expect(r.slim[7]).toBe(`${ip(513)}/16`);
    expect(r.slim[8]).toMatch(/^MAC address 02:42:0a:01:02:58 is already used on network "a" by sandbox "s598"/);
    expect(r.stayedText).toBe(false); // the refusal names the holder from every sandbox (an error's path)
  });

  it('counts a network\'s endpoints without parsing them, and refuses the one its bridge has no port for (1,023; an overlay\'s 1,022), not a macvlan\'s', async () => {
    const OVL = hex(3, 9);
    const MAC = hex(4, 9);
    await loadDrivers();
    const s = new Store(dir());
    await s.update((st) => {
      const ovl = { ...net(OVL, 'o', '10.3.0.0/16'), driver: 'overlay', driverOpts: { vni: 4097, local: '192.0.2.1', underlay: 'eth0', lowerMtu: 1450, peers: [] } } as unknown as Network;
      const mac = { ...net(MAC, 'm', '10.4.0.0/16'), driver: 'macvlan', bridge: undefined, driverOpts: { parent: 'eth0', mode: 'bridge' } } as unknown as Network;
      st.networks.push({ ...net(NET, 'a', '10.1.0.0/16'), labels: padding > 0 ? { pad: 'p'.repeat(padding) } : {} }, net(OTHER, 'b', '10.2.0.0/16'), ovl, mac);
      // 1,023 on a, 1,022 on o, 1,023 on m, 5 on b; interleaved, as adds over time write them.
      const on = (i: number) => (i < 5 ? OTHER : [NET, OVL, MAC][i % 3]!);
      for (let i = 0; i < 5 + 1023 * 3; i++) {
        if (on(i) === OVL && i === 5 + 1023 * 3 - 1) continue; // one short of 1,023 on the overlay
        st.sandboxes.push(sandbox(i + 1));
        st.endpoints.push({ ...endpoint(i + 1, on(i), 0), ipv4: `10.${on(i) === NET ? 1 : on(i) === OTHER ? 2 : on(i) === OVL ? 3 : 4}.${(i >> 8) & 255}.${(i & 255) + 1}/16` });
      }
    });
    const attempt = (st: State, id: string, name = `new${id.slice(0, 4)}`) => {
      const sb = { ...sandbox(9000), id: hex(9000, id.length), name };
      try {
        return buildEndpoint(st, st.networks.find((n) => n.id === id)!, sb, { aliases: [] }).ipv4;
      } catch (e) {
        return `exit ${(e as { exitCode?: number }).exitCode}: ${(e as Error).message}`;
      }
    };
    const r = await both(s, (st) => {
      const counts = [NET, OTHER, OVL, MAC].map((id) => endpointCountOn(st, id));
      const tries = [attempt(st, NET), attempt(st, OTHER), attempt(st, OVL), attempt(st, MAC)];
      // One of a's removed: its port is free again; one added on b counts on b.
      dropSandboxRecord(st, findSandbox(st, `s${3 * 7 + 1}`)); // i = 21: on a
      addEndpointRecord(st, endpoint(8000, OTHER, 200));
      const kept = () => st.networks.map((n) => (n as { portsAtMost?: number }).portsAtMost);
      const afterTries = kept(); // b's counted, and its new one with it; a refusal keeps nothing
      // A count kept below the limit is taken as it is, in a state of records still text; one at it is counted anew.
      const b = st.networks.find((n) => n.id === OTHER) as { portsAtMost?: number };
      b.portsAtMost = 100;
      attempt(st, OTHER, 'kept');
      const kept100 = b.portsAtMost;
      b.portsAtMost = 1023;
      attempt(st, OTHER, 'recounted');
      return [...counts, ...tries, endpointCountOn(st, NET), endpointCountOn(st, OTHER), attempt(st, NET, 'again'), afterTries, kept100, b.portsAtMost, kept()[0]];
    });
    expect(r.slim.slice(0, 12)).toEqual(r.whole.slice(0, 12));
    expect(r.slim.slice(0, 4)).toEqual([1023, 5, 1022, 1023]);
    expect(r.slim[4]).toBe('exit 4: network "a" has no room for another endpoint on this host: its bridge br-a has 1,023 endpoints, the kernel\'s limit of 1,023 ports; use another network');
    expect(r.slim[5]).toMatch(/^10\.2\./);
    expect(r.slim[6]).toBe('exit 4: network "o" has no room for another endpoint on this host: its bridge br-o has 1,022 endpoints and its VXLAN device, the kernel\'s limit of 1,023 ports; use another network');
    expect(r.slim[7]).toMatch(/^10\.4\./); // macvlan: no bridge, no such limit
    expect(r.slim.slice(8, 10)).toEqual([1022, 6]);
    expect(r.slim[10]).toMatch(/^10\.1\./);
    expect(r.slim[11]).toEqual([undefined, 6, undefined, undefined]);
    // In a state read whole the endpoints are counted every time (already parsed): a hand edit may have added some.
    expect(r.slim.slice(12, 14)).toEqual([101, 7]);
    expect(r.whole.slice(12, 14)).toEqual([7, 7]);
    expect(r.slim[14]).toBe(1023); // a's: 1,022 counted after the removal, and the new one
  });

  it('takes an address only when an endpoint on that network holds it', async () => {
    const s = await stored(12);
    const r = await both(s, (st) => {
      const a = st.networks.find((n) => n.id === NET)!;
      const taken = takenAddresses(a, () => st.endpoints, recordsOf(st));
      // 10.1.0.6 and 10.1.0.11 are s5's and s10's, on the other network.
      return [2n, 3n, 6n, 11n, 13n, 14n, 200n].map((h) => taken.has((10n << 24n) | (1n << 16n) | h));
    });
    expect(r.slim).toEqual(r.whole);
    expect(r.slim).toEqual([true, true, false, false, true, false, false]);
    expect(r.stayedText).toBe(true);
  });

  it('tells which IPv4 addresses an endpoint holds on any network, one by one and in one pass, after edits, as the parsed endpoints tell', async () => {
    // Endpoint i holds 10.1.0.(i+1); s5 (10.1.0.6) and s10 (10.1.0.11) are on the other network.
    const asked = ['10.1.0.1', '10.1.0.12', '10.1.0.13', '10.1.0.6', '10.1.0.99', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.50', '10.1.0.77'];
    // Past the one-by-one searches: the same asked among 60 more no endpoint holds, answered in one pass.
    const many = [...asked, ...Array.from({ length: 60 }, (_, i) => `10.9.0.${i}`)];
    const held = (st: State, addrs: readonly string[]): string[] => {
      const r = recordsOf(st);
      const out = r ? [...r.ipv4Held(addrs)] : st.endpoints.flatMap((e) => (e.ipv4 && addrs.includes(e.ipv4.split('/')[0]!) ? [e.ipv4.split('/')[0]!] : []));
      return [...new Set(out)].sort();
    };
    const s = await stored(12);
    const r = await both(s, (st) => {
      const before = [held(st, asked), held(st, many)];
      dropSandboxRecord(st, findSandbox(st, 's1')); // 10.1.0.2: dropped
      endpointsOf(st, findSandbox(st, 's3'))[0]!.ipv4 = '10.1.0.77/16'; // 10.1.0.4 moves to 10.1.0.77 in place
      void endpointsOf(st, findSandbox(st, 's2')); // 10.1.0.3: parsed, unchanged
      addSandboxRecord(st, sandbox(40));
      addEndpointRecord(st, endpoint(40, NET, 50)); // 10.1.0.50: added
      return [...before, held(st, asked), held(st, many)];
    });
    expect(r.slim).toEqual(r.whole);
    const start = ['10.1.0.12', '10.1.0.13', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.6']; // not 10.1.0.1, a prefix of two of them
    const edited = ['10.1.0.12', '10.1.0.13', '10.1.0.3', '10.1.0.50', '10.1.0.6', '10.1.0.77'];
    expect(r.slim).toEqual([start, start, edited, edited]);
    expect(r.stayedText).toBe(true);
    // No endpoints at all: none held.
    const none = await both(await stored(0), (st) => [held(st, asked), held(st, many)]);
    expect(none.slim).toEqual([[], []]);
    expect(none.stayedText).toBe(true);
  });

  it('an add and a removal write the file a whole parse writes, and parse only what they touch', async () => {
    const s = await stored(25);
    const r = await both(s, (st) => {
      const gone = findSandbox(st, 's9');
      dropSandboxRecord(st, gone);
      dropSandboxRecord(st, findSandbox(st, 's25')); // the last line of both blocks
      findSandbox(st, 's1').hostname = 'changed in place';
      void findSandbox(st, 's2'); // read, not changed
      const sb = { ...sandbox(40), name: 'new' };
      addSandboxRecord(st, sb);
      addEndpointRecord(st, endpoint(40, NET, 99));
      return [sandboxNamed(st, 's9'), sandboxNamed(st, 'new')?.id, endpointsOf(st, sb).length];
    });
    expect(r.slim).toEqual(r.whole);
    expect(r.slim).toEqual([undefined, hex(40), 1]);
    expect(r.stayedText).toBe(true);
    expect(r.text).toBe(r.wholeText);
    const doc = JSON.parse(r.text) as State;
    expect(doc.sandboxes.map((x) => x.name)).toEqual([...Array.from({ length: 24 }, (_, i) => `s${i + 1}`).filter((n) => n !== 's9'), 'new']);
    expect(doc.sandboxes[0]!.hostname).toBe('changed in place');
    expect(doc.endpoints.map((e) => e.sandboxId)).not.toContain(hex(9));
  });

  it('removing every record, then adding to the empty blocks, still writes what a whole parse writes', async () => {
    const s = await stored(3);
    const r = await both(s, (st) => {
      for (const n of ['s1', 's2', 's3']) dropSandboxRecord(st, findSandbox(st, n));
    });
    expect(r.text).toBe(r.wholeText);
    expect(JSON.parse(r.text)).toMatchObject({ sandboxes: [], endpoints: [] });
    const again = await both(s, (st) => {
      addSandboxRecord(st, sandbox(7));
      addEndpointRecord(st, endpoint(7, NET, 8));
    });
    expect(again.text).toBe(again.wholeText);
  });

  it('the first touch of the arrays parses every record with the edits so far, the records handed out kept as they are', async () => {
    const s = await stored(8);
    let same = false;
    const r = await both(s, (st) => {
      const one = findSandbox(st, 's2');
      dropSandboxRecord(st, findSandbox(st, 's4'));
      addSandboxRecord(st, sandbox(50));
      const names = st.sandboxes.map((x) => x.name); // parses them all
      same = st.sandboxes.includes(one);
      one.hostname = 'after';
      st.endpoints = st.endpoints.filter((e) => e.sandboxId !== hex(6));
      return names;
    });
    expect(same).toBe(true);
    expect(r.slim).toEqual(r.whole);
    expect(r.slim).toEqual(['s1', 's2', 's3', 's5', 's6', 's7', 's8', 's50']);
    expect(r.stayedText).toBe(false);
    expect(r.text).toBe(r.wholeText);
  });

  it('a compact file (an older cnm\'s) is left as it is by an update that changes nothing, and laid out by one that does', async () => {
    const s = await stored(4);
    const compact = `${JSON.stringify(JSON.parse(readFileSync(s.path, 'utf8')))}\n`;
    writeFileSync(s.path, compact);
    await s.update(() => 'nothing');
    expect(readFileSync(s.path, 'utf8')).toBe(compact);
    await s.update((st) => void dropSandboxRecord(st, findSandbox(st, 's1')));
    const text = readFileSync(s.path, 'utf8');
    expect(text).toBe(`${layOut(text.slice(0, -1))}\n`);
    expect(text.split('\n')).toHaveLength(1 + 3 + 1 + 3 + 1 + 1);
  });

  it('the write is parts (spans of the bytes read as views of them, the new text encoded) that make the text\'s bytes and its last newline', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    // Some lines not all ASCII: spans are byte offsets, and a line's length in bytes is not its length.
    const note = (pad: number) => (pad % 3 === 0 ? 'é☕' : 'x').repeat(pad);
    const line = (i: number, pad: number) => JSON.stringify({ id: hex(i), name: `s${i}`, note: note(pad) });
    for (let round = 0; round < 120; round++) {
      const n = 1 + rand(12);
      const sb = Array.from({ length: n }, (_, i) => line(i, rand(40)));
      const ep = Array.from({ length: n }, (_, i) => line(100 + i, rand(40)));
      const text = `{"head":"${'h'.repeat(rand(30))}","sandboxes":[\n${sb.join(',\n')}\n],"endpoints":[\n${ep.join(',\n')}\n],"serial":${round}}`;
      const read = new TextEncoder().encode(text);
      const split = splitRecords(read, pad > 0)!;
      const r = split.records;
      for (let i = 0; i < n; i++) {
        const what = rand(4);
        const x = r.sandboxNamed(`s${i}`)!;
        if (what === 0) r.dropSandbox(x);
        else if (what === 1) (x as unknown as { note: string }).note = note(rand(80)); // longer or shorter
      }
      for (let i = 0, more = rand(3); i < more; i++) r.addSandbox(sandbox(500 + round * 10 + i));
      const blocks = r.pieces();
      // The document around the blocks changes length too (as the networks' cursors do).
      const head = `{"head":"${'H'.repeat(rand(30))}","sandboxes":`;
      const pieces: Piece[] = [head, ...blocks.sandboxes, ',"endpoints":', ...blocks.endpoints, `,"serial":${round + 1}}`];
      // What encoding every record (as parsed, with the edits) gives.
      const all = r.parse();
      const whole = `${head}${encodeLines(all.sandboxes)},"endpoints":${encodeLines(all.endpoints)},"serial":${round + 1}}`;
      expect(r.join(pieces)).toBe(whole);
      const want = new TextEncoder().encode(`${whole}\n`);
      const parts = r.fileParts(pieces);
      let size = 0;
      for (const p of parts) size += p.length;
      const out = new Uint8Array(size);
      for (let i = 0, at = 0; i < parts.length; at += parts[i]!.length, i++) out.set(parts[i]!, at);
      expect(out).toEqual(want);
      // A span is a view of the bytes read, not a copy.
      for (let i = 0; i < pieces.length; i++) if (typeof pieces[i] !== 'string') expect(parts[i]!.buffer).toBe(read.buffer);
    }
  });

  it('a write of parts is stamped with the bytes it wrote: each update after it reads the records as text again', async () => {
    const s = await stored(7);
    for (let i = 0; i < 3; i++) {
      await s.update((st) => {
        expect(recordsOf(st)).toBeDefined();
        addSandboxRecord(st, sandbox(40 + i));
        addEndpointRecord(st, endpoint(40 + i, NET, 50 + i));
        dropSandboxRecord(st, findSandbox(st, `s${i + 1}`));
      });
      expect(readFileSync(join(dirname(s.path), 'state.stamp'), 'utf8')).toBe(stampOf(readFileSync(s.path)));
    }
    const st = JSON.parse(readFileSync(s.path, 'utf8')) as State;
    expect(st.sandboxes.map((x) => x.name)).toEqual(['s4', 's5', 's6', 's7', 's40', 's41', 's42']);
    expect(st.serial).toBe(4);
  });

  it('a state that is not all ASCII is searched and written as bytes, as a whole parse finds and writes it', async () => {
    const s = await stored(6);
    const r = await both(s, (st) => {
      const sb = { ...sandbox(60), name: 'new', labels: { 'café': 'naïve ☕' } };
      addSandboxRecord(st, sb);
      addSandboxRecord(st, { ...sandbox(61), name: 'after', labels: { n: 'après' } });
      addEndpointRecord(st, endpoint(60, NET, 70));
      dropSandboxRecord(st, findSandbox(st, 's2'));
    });
    expect(r.stayedText).toBe(true);
    expect(r.text).toBe(r.wholeText);
    const again = await both(s, (st) => {
      dropSandboxRecord(st, findSandbox(st, 's3'));
      findSandbox(st, 'new').hostname = 'ünïcode';
    });
    expect(again.stayedText).toBe(true);
    expect(again.text).toBe(again.wholeText);
    expect(JSON.parse(again.text).sandboxes.find((x: Sandbox) => x.name === 'new').labels).toEqual({ 'café': 'naïve ☕' });
    // Found by name and edited after lines that are not all ASCII (their bytes are not their characters).
    const third = await both(s, (st) => {
      findSandbox(st, 'after').hostname = 'h-ü';
      return [sandboxNamed(st, 'new')?.labels, sandboxNamed(st, 'après'), findSandbox(st, 'after').id];
    });
    expect(third.stayedText).toBe(true);
    expect(third.slim).toEqual(third.whole);
    expect(third.slim).toEqual([{ 'café': 'naïve ☕' }, undefined, hex(61)]);
    expect(third.text).toBe(third.wholeText);
  });

  it('a file whose endpoints come before its sandboxes (a hand-made order the store keeps) is still read as text', async () => {
    const s = await stored(9);
    const { sandboxes, endpoints, ...rest } = JSON.parse(readFileSync(s.path, 'utf8')) as State;
    writeFileSync(s.path, JSON.stringify({ ...rest, endpoints, sandboxes }));
    await s.update((st) => void dropSandboxRecord(st, findSandbox(st, 's9'))); // read whole (no stamp), written laid out
    expect(readFileSync(s.path, 'utf8').indexOf('"endpoints":[\n')).toBeLessThan(readFileSync(s.path, 'utf8').indexOf('"sandboxes":[\n'));
    const r = await both(s, (st) => {
      dropSandboxRecord(st, findSandbox(st, 's4'));
      addSandboxRecord(st, sandbox(70));
      addEndpointRecord(st, endpoint(70, NET, 71));
      return [endpointsOf(st, findSandbox(st, 's5')).map((e) => e.ipv4), sandboxNamed(st, 's8')?.id];
    });
    expect(r.stayedText).toBe(true);
    expect(r.slim).toEqual(r.whole);
    expect(r.slim).toEqual([['10.1.0.6/16'], hex(8)]);
    expect(r.text).toBe(r.wholeText);
  });
});
