import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Held, changesRemotes, entryChanges, programEntries, remoteNames, remotes } from '../../src/core/cluster/discovery.js';
import type { Claim } from '../../src/core/cluster/keys.js';
import { buildZone, clientKey } from '../../src/core/dns/records.js';
import type { Network, State } from '../../src/core/model.js';
import { type RunOptions, setRunner, systemRunner } from '../../src/core/runner.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';

const claim = (host: string, sandbox: string, address: string, aliases: string[] = []): Claim => ({
  host, sandbox, address, aliases, mac: sandbox === '' ? '' : `02:42:${address.split('/')[0]!.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join(':')}`,
});
const claims = new Map<string, Claim>([
  ['/cnm/v1/ipam/front/10.210.0.1', claim('h1', '', '10.210.0.1/24')],
  ['/cnm/v1/ipam/front/10.210.0.2', claim('h1', 's1', '10.210.0.2/24')],
  ['/cnm/v1/ipam/front/10.210.0.3', claim('h2', '', '10.210.0.3/24')],
  ['/cnm/v1/ipam/front/10.210.0.4', claim('h2', 's2', '10.210.0.4/24', ['web'])],
  ['/cnm/v1/ipam/front/10.210.0.5', claim('h3', 's3', '10.210.0.5/24')],
  ['/cnm/v1/ipam/back/10.210.1.2', claim('h2', 'hidden', '10.210.1.2/24')],
]);
const live = new Map([['h1', '198.51.100.11'], ['h2', '198.51.100.12']]);

describe('cluster discovery: remote endpoints', () => {
  it('are the sandboxes of other live hosts: not this host, not gateways, not dead hosts', () => {
    const r = remotes(claims, live, 'h1');
    expect(r.map((x) => `${x.network}/${x.sandbox}@${x.vtep}`)).toEqual(['back/hidden@198.51.100.12', 'front/s2@198.51.100.12']);
    expect(r[1]).toMatchObject({ address: '10.210.0.4', mac: '02:42:0a:d2:00:04', aliases: ['web'] });
  });

  it("a change of this host's own claims changes none of them (its agent makes no pass for it); another host's does", () => {
    const key = '/cnm/v1/ipam/front/10.210.0.9';
    const mine = claim('h1', 's9', '10.210.0.9/24');
    const theirs = claim('h2', 's9', '10.210.0.9/24');
    const own: [Claim | undefined, Claim | undefined][] = [[undefined, mine], [mine, undefined], [mine, { ...mine, aliases: ['x'] }]];
    for (const [before, after] of own) {
      const was = new Map(claims);
      const now = new Map(claims);
      if (before) was.set(key, before);
      if (after) now.set(key, after);
      expect(remotes(now, live, 'h1')).toEqual(remotes(was, live, 'h1'));
      expect(changesRemotes(before, after, 'h1')).toBe(false);
    }
    const other: [Claim | undefined, Claim | undefined][] = [[undefined, theirs], [theirs, undefined], [mine, theirs], [theirs, mine]];
    for (const [before, after] of other) expect(changesRemotes(before, after, 'h1')).toBe(true);
  });

  it('entries: adds the missing, removes the stale and every flooding entry, keeps what is right', () => {
    const wanted = remotes(claims, live, 'h1').filter((x) => x.network === 'front');
    const fdb = [
      { mac: '00:00:00:00:00:00', dst: '198.51.100.12' },
      { mac: '02:42:0a:d2:00:09', dst: '198.51.100.13' },
    ];
    const neigh = [{ ip: '10.210.0.9', mac: '02:42:0a:d2:00:09' }];
    expect(entryChanges('cnmx1', fdb, neigh, wanted)).toEqual([
      { kind: 'fdb.del', mac: '00:00:00:00:00:00', dev: 'cnmx1', dst: '198.51.100.12' },
      { kind: 'fdb.del', mac: '02:42:0a:d2:00:09', dev: 'cnmx1', dst: '198.51.100.13' },
      { kind: 'fdb.replace', mac: '02:42:0a:d2:00:04', dev: 'cnmx1', dst: '198.51.100.12' },
      { kind: 'neigh.del', addr: '10.210.0.9', dev: 'cnmx1' },
      { kind: 'neigh.replace', addr: '10.210.0.4', mac: '02:42:0a:d2:00:04', dev: 'cnmx1' },
    ]);
    const done = entryChanges('cnmx1', [{ mac: '02:42:0a:d2:00:04', dst: '198.51.100.12' }], [{ ip: '10.210.0.4', mac: '02:42:0a:d2:00:04' }], wanted);
    expect(done).toEqual([]);
  });
});

describe('cluster discovery: names for the embedded DNS', () => {
  const id = 'f'.repeat(64);
  const front: Network = {
    id, name: 'front', driver: 'overlay', scope: 'global', created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1450,
    bridge: 'cnm-f', subnets: [{ subnet: mustCidr('10.210.0.0/24'), gateway: mustAddr('10.210.0.1') }], options: {}, labels: {},
    driverOpts: { vni: 210, local: '198.51.100.11', underlay: 'ul0', lowerMtu: 1450, peers: [], discovery: true },
  };
  const state: State = {
    schema: 1,
    networks: [front],
    sandboxes: [{ id: 'a'.repeat(64), name: 's1', created: '', hostname: 's1', netns: 's1', dns: [], ports: [] }],
    endpoints: [{ id: 'b'.repeat(64), networkId: id, sandboxId: 'a'.repeat(64), ifname: 'eth0', hostIfname: 'v', mac: '', aliases: ['web'], created: '', ipv4: '10.210.0.2/24' }],
  };

  it('only networks this host takes part in get names; a remote sandbox answers by name, alias (with local holders) and PTR', () => {
    const names = remoteNames([front], remotes(claims, live, 'h1'));
    expect(names).toEqual([{ networkId: id, name: 's2', aliases: ['web'], address: '10.210.0.4' }]);
    const zone = buildZone(state, names);
    const z = zone.nets.get(id)!;
    expect(z.names.get('s2')).toEqual([{ family: 4, address: '10.210.0.4' }]);
    expect(z.aliases.get('web')).toEqual([{ family: 4, address: '10.210.0.2' }, { family: 4, address: '10.210.0.4' }]);
    expect(z.ptr.get('10.210.0.4')).toBe('s2.front');
    // A remote sandbox is answered, never an asker here.
    expect(zone.clients.has(clientKey(id, '10.210.0.4'))).toBe(false);
    // A record for a network not made here is ignored.
    expect(buildZone(state, [{ networkId: 'e'.repeat(64), name: 'x', aliases: [], address: '10.9.9.9' }]).nets.get(id)!.names.has('x')).toBe(false);
  });
});

describe('cluster discovery: programming a device', () => {
  const net = { id: 'c'.repeat(64), name: 'front' } as Network;
  const dev = `cnmx${'c'.repeat(11)}`;
  const ran: string[] = [];
  const kernel = { fdb: '[{"mac":"02:42:0a:d2:00:09","dst":"198.51.100.13"}]', neigh: '[]' };
  const record = () => ran.splice(0);
  beforeAll(() =>
    setRunner({
      run(cmd: string, args: readonly string[], opts?: RunOptions) {
        ran.push([cmd, ...args].join(' ') + (opts?.input ? `\n${opts.input.trimEnd()}` : ''));
        if (args.includes('show')) return { code: 0, stdout: cmd === 'bridge' ? kernel.fdb : kernel.neigh, stderr: '' };
        return { code: 0, stdout: '', stderr: '' };
      },
    }),
  );
  afterAll(() => setRunner(systemRunner));

  it('reads a device once, then programs each change from what it holds: no reads, nothing for no change', () => {
    const held: Held = new Map();
    const two = remotes(claims, live, 'h1').filter((r) => r.network === 'front');
    expect(programEntries([net], two, held)).toEqual([]);
    expect(record()).toEqual([
      `bridge -j fdb show dev ${dev}`,
      `ip -j -4 neigh show dev ${dev}`,
      `bridge -force -batch -\nfdb del 02:42:0a:d2:00:09 dev ${dev} dst 198.51.100.13\nfdb replace 02:42:0a:d2:00:04 dev ${dev} dst 198.51.100.12`,
      `ip -force -batch -\nneigh replace 10.210.0.4 lladdr 02:42:0a:d2:00:04 dev ${dev} nud permanent`,
    ]);
    // h3 comes alive: only its sandbox's two entries, without reading the device.
    const three = remotes(claims, new Map([...live, ['h3', '198.51.100.13']]), 'h1').filter((r) => r.network === 'front');
    programEntries([net], three, held);
    expect(record()).toEqual([
      `bridge -force -batch -\nfdb replace 02:42:0a:d2:00:05 dev ${dev} dst 198.51.100.13`,
      `ip -force -batch -\nneigh replace 10.210.0.5 lladdr 02:42:0a:d2:00:05 dev ${dev} nud permanent`,
    ]);
    programEntries([net], three, held);
    expect(record()).toEqual([]);
    // h3 dead again: its entries go; then a pass without what is held reads the device again.
    programEntries([net], two, held);
    expect(record()).toEqual([`bridge -force -batch -\nfdb del 02:42:0a:d2:00:05 dev ${dev} dst 198.51.100.13`, `ip -force -batch -\nneigh del 10.210.0.5 dev ${dev}`]);
    held.clear();
    programEntries([net], two, held);
    expect(record().slice(0, 2)).toEqual([`bridge -j fdb show dev ${dev}`, `ip -j -4 neigh show dev ${dev}`]);
  });

  it('a failed batch forgets what the device holds: the next change reads it', () => {
    const held: Held = new Map([[dev, { fdb: [], neigh: [] }]]);
    setRunner({ run: (cmd, args) => (ran.push(`${cmd} ${args.join(' ')}`), { code: args.includes('show') ? 0 : 1, stdout: '[]', stderr: 'RTNETLINK answers: No such device' }) });
    expect(programEntries([net], remotes(claims, live, 'h1').filter((r) => r.network === 'front'), held)[0]).toMatch(/^bridge -batch: RTNETLINK/);
    expect(held.has(dev)).toBe(false);
    record();
  });
});
