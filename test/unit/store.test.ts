import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CnmError } from '../../src/core/errors.js';
import { Store, bumpSerial, encodeState, layOut, stampOf } from '../../src/core/store.js';
import { type State, emptyState } from '../../src/core/model.js';

const dir = () => mkdtempSync(join(tmpdir(), 'cnm-store-'));

describe('the state store', () => {
  it('starts empty and writes atomically, leaving no temp file', async () => {
    const d = dir();
    const s = new Store(d);
    expect(s.read()).toEqual({ schema: 1, networks: [], sandboxes: [], endpoints: [] });
    await s.update((st) => {
      st.sandboxes.push({ id: 'x'.repeat(64), name: 'a', created: '', hostname: 'a', netns: 'a', dns: [], ports: [] });
    });
    expect(s.read().sandboxes).toHaveLength(1);
    expect(readdirSync(d).filter((f) => f.includes('tmp'))).toEqual([]);
    expect(readdirSync(d)).toContain('state.json');
  });

  it('a run that writes nothing leaves no state directory it made; one that writes keeps it', async () => {
    const base = dir();
    const fresh = new Store(join(base, 'a', 'b'));
    await expect(fresh.update(() => {
      throw new CnmError('refused');
    })).rejects.toThrow('refused');
    await fresh.update(() => undefined); // changes nothing
    expect(readdirSync(base)).toEqual([]);
    // A directory that was there stays, even empty.
    const kept = new Store(base);
    await kept.update(() => undefined);
    expect(statSync(base).isDirectory()).toBe(true);
    await fresh.update((st) => void st.sandboxes.push({ id: 'z'.repeat(64), name: 'c', created: '', hostname: 'c', netns: 'c', dns: [], ports: [] }));
    expect(readdirSync(join(base, 'a', 'b'))).toContain('state.json');
  });

  it('writes nothing when the update throws', async () => {
    const d = dir();
    const s = new Store(d);
    await s.update((st) => void st.networks.push());
    const before = readdirSync(d);
    await expect(
      s.update((st) => {
        st.sandboxes.push({ id: 'y'.repeat(64), name: 'b', created: '', hostname: 'b', netns: 'b', dns: [], ports: [] });
        throw new CnmError('nope');
      }),
    ).rejects.toThrow('nope');
    expect(s.read().sandboxes).toEqual([]);
    expect(readdirSync(d)).toEqual(before);
  });

  it('serializes concurrent updates: none is lost', async () => {
    const s = new Store(dir());
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.update(async (st) => {
          await new Promise((r) => setTimeout(r, 1));
          st.sandboxes.push({ id: String(i).padStart(64, '0'), name: `s${i}`, created: '', hostname: '', netns: '', dns: [], ports: [] });
        }),
      ),
    );
    expect(s.read().sandboxes).toHaveLength(20);
  });

  it.each([
    ['not JSON', '{"schema": 1,', /is corrupt/],
    ['a newer schema', '{"schema": 7}', /schema 7, newer than this cnm understands \(1\); upgrade cnm/],
    ['an array', '[]', /the document must be a JSON object/],
    ['a missing list', '{"schema": 1, "networks": [], "sandboxes": []}', /"endpoints" must be an array/],
    ['a wrong field type', '{"schema": 1, "networks": [], "sandboxes": [{"id": 5}], "endpoints": []}', /sandboxes\[0\]\.id must be a string, found number/],
  ])('refuses %s and never overwrites it', async (_what, text, msg) => {
    const d = dir();
    writeFileSync(join(d, 'state.json'), text);
    const s = new Store(d);
    expect(() => s.read()).toThrow(msg);
    await expect(s.update(() => {})).rejects.toThrow(msg);
    expect(readFileSync(join(d, 'state.json'), 'utf8')).toBe(text);
  });
});

describe('writes', () => {
  it('an update that changes nothing does not rewrite the file', async () => {
    const d = dir();
    const s = new Store(d);
    await s.update((st) => void st.networks.push());
    await s.update((st) => {
      st.sandboxes.push({ id: 'z'.repeat(64), name: 'z', created: '', hostname: 'z', netns: 'z', dns: [], ports: [] });
    });
    const path = join(d, 'state.json');
    const before = readFileSync(path, 'utf8');
    const { mtimeMs, ino } = statSync(path);
    await s.update(() => 'nothing');
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(statSync(path)).toMatchObject({ mtimeMs, ino });
  });

  it('a state of the existing format goes back byte-identical: its subnets are decoded on load and encoded on save', async () => {
    const d = dir();
    const net = {
      id: 'n'.repeat(64), name: 'dual', driver: 'bridge', created: 'x', builtin: false, internal: false, dns: true, ipv6: true, mtu: 1500, bridge: 'cnm-nnnnnnnnnnn',
      subnets: [
        { subnet: '10.13.0.0/16', gateway: '10.13.255.254', ipRange: '10.13.8.0/21', next: '10.13.8.7', aux: { nas: '10.13.0.2' } },
        { subnet: 'fd12:3456:789a:1::/64', gateway: 'fd12:3456:789a:1::1' },
      ],
      options: {}, labels: {}, driverOpts: {},
    };
    const text = `${JSON.stringify({ schema: 1, serial: 3, networks: [net], sandboxes: [], endpoints: [] })}\n`;
    const path = join(d, 'state.json');
    writeFileSync(path, text);
    const s = new Store(d);
    const seen = await s.update((st) => st.networks[0]!.subnets.map((x) => [x.subnet.prefix, x.gateway?.family, x.ipRange?.prefix, x.aux?.nas?.value]));
    expect(seen).toEqual([[16, 4, 21, 0x0a0d0002n], [64, 6, undefined, undefined]]);
    // Unchanged: not rewritten (the compare encodes first).
    expect(readFileSync(path, 'utf8')).toBe(text);
    // A change elsewhere writes the subnets as they were.
    await s.update((st) => void st.sandboxes.push({ id: 'z'.repeat(64), name: 'z', created: '', hostname: 'z', netns: 'z', dns: [], ports: [] }));
    const after = JSON.parse(readFileSync(path, 'utf8')) as { serial: number; networks: unknown[] };
    expect(after.serial).toBe(4);
    expect(JSON.stringify(after.networks[0])).toBe(JSON.stringify(net));
    // Read again on the stamped path: the subnets are typed there too.
    expect(s.read().networks[0]!.subnets[0]!.subnet.prefix).toBe(16);
  });
});

describe('files that are not what they should be', () => {
  it('a FIFO at state.json is refused at once, read or update', async () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'state.json')]);
    const s = new Store(d);
    expect(() => s.read()).toThrow(/state\.json is not a regular file/);
    await expect(s.update(() => {})).rejects.toThrow(/not a regular file/);
  });

  it('sweeps temp files left by killed writers once it holds the lock, and leaves none of its own', async () => {
    const d = dir();
    writeFileSync(join(d, 'state.json.tmp-999999'), 'partial');
    writeFileSync(join(d, 'intent.json.tmp-999998'), 'partial');
    writeFileSync(join(d, 'unrelated.tmp-1'), 'kept');
    await new Store(d).update((st) => {
      st.sandboxes.push({ id: 'w'.repeat(64), name: 'w', created: '', hostname: 'w', netns: 'w', dns: [], ports: [] });
    });
    expect(readdirSync(d).filter((f) => f.includes('tmp')).sort()).toEqual(['unrelated.tmp-1']);
    expect(readdirSync(d)).toContain('state.json');
  });

  it('skips the shape checks only for the very text it wrote last (its stamp); any edit is checked again', async () => {
    const d = dir();
    const s = new Store(d);
    await s.update((st) => void st.sandboxes.push({ id: 'a'.repeat(64), name: 'a', created: '', hostname: 'a', netns: 'a', dns: [], ports: [] }));
    const written = readFileSync(join(d, 'state.json'), 'utf8');
    expect(readFileSync(join(d, 'state.stamp'), 'utf8')).toBe(stampOf(written));
    // A hand edit into an invalid shape (the name) is refused: the stamp is for the text cnm wrote.
    const edited = written.replace('"name":"a"', '"name":"-a"');
    writeFileSync(join(d, 'state.json'), edited);
    expect(() => s.read()).toThrow(/sandboxes\[0\]\.name "-a" is not a valid name/);
    await expect(s.update(() => undefined)).rejects.toThrow(/is not a valid name/);
    // The same text stamped (as if cnm had written it) is read without the checks: the stamp is what decides.
    writeFileSync(join(d, 'state.stamp'), stampOf(edited));
    expect(s.read().sandboxes[0]!.name).toBe('-a');
    // A stamp of another version of cnm does not count.
    writeFileSync(join(d, 'state.stamp'), stampOf(edited).replace(/^cnm \S+/, 'cnm 0.0.0-other'));
    expect(() => s.read()).toThrow(/is not a valid name/);
  });
});

describe('the write serial', () => {
  const sb = (i: number) => ({ id: i.toString(16).padStart(64, '0'), name: `s${i}`, created: '', hostname: `s${i}`, netns: `s${i}`, dns: [], ports: [] });
  const many = (n: number, serial?: number): State => ({ ...emptyState(), sandboxes: Array.from({ length: n }, (_, i) => sb(i)), ...(serial === undefined ? {} : { serial }) });

  it('is bumped in the text as encoded once: the same text as encoding the bumped state, at 1,000 sandboxes too', () => {
    for (const serial of [undefined, 0, 1, 9, 10, 99, 1234567]) {
      for (const n of [0, 1, 1000]) {
        const a = many(n, serial);
        const b = many(n, serial);
        const text = bumpSerial(a, encodeState(a));
        b.serial = (serial ?? 0) + 1;
        expect(a.serial).toBe(b.serial);
        expect(text).toBe(encodeState(b));
      }
    }
  });

  it('is bumped where a hand edit put it (not last), and added last where there was none', () => {
    const first = JSON.parse(JSON.stringify({ serial: 41, ...emptyState() })) as State;
    expect(bumpSerial(first, encodeState(first))).toBe(layOut(JSON.stringify({ serial: 42, ...emptyState() })));
    // A nested "serial" at the end of the text is not the state's.
    const nested = { ...emptyState(), serial: 5, tail: { serial: 5 } } as State;
    expect(JSON.parse(bumpSerial(nested, encodeState(nested)))).toEqual({ ...emptyState(), serial: 6, tail: { serial: 5 } });
    const none = emptyState();
    expect(bumpSerial(none, encodeState(none))).toBe(`${layOut(JSON.stringify(emptyState())).slice(0, -1)},"serial":1}`);
  });

  it('goes up by one on each write of a file cnm wrote, and a read of it is stamped', async () => {
    const d = dir();
    const s = new Store(d);
    for (let i = 0; i < 3; i++) await s.update((st) => void st.sandboxes.push(sb(i)));
    const text = readFileSync(join(d, 'state.json'), 'utf8');
    expect(text.endsWith(',"serial":3}\n')).toBe(true);
    expect(readFileSync(join(d, 'state.stamp'), 'utf8')).toBe(stampOf(text));
    await s.update(() => undefined); // nothing changed: nothing written, the serial stays
    expect(readFileSync(join(d, 'state.json'), 'utf8')).toBe(text);
  });
});
