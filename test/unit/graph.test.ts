import { describe, expect, it } from 'vitest';
import { renderDot } from '../../src/core/graph/dot.js';
import { renderText } from '../../src/core/graph/text.js';
import { type Topology, topology } from '../../src/core/graph/topology.js';
import type { Endpoint, Network, Sandbox, State } from '../../src/core/model.js';
import { mustAddr, mustCidr } from '../../src/core/ip.js';

const id = (c: string) => c.repeat(64);
const net = (name: string, c: string, subnet: string, gw: string): Network => ({
  id: id(c), name, driver: 'bridge', created: '', builtin: false, internal: false, dns: true, ipv6: false, mtu: 1500,
  bridge: `cnm-${c.repeat(11)}`, subnets: [{ subnet: mustCidr(subnet), gateway: mustAddr(gw) }], options: {}, labels: {}, driverOpts: {},
});
const sb = (name: string, c: string, ports: Sandbox['ports'] = []): Sandbox => ({ id: id(c), name, created: '', hostname: name, netns: name, dns: [], ports });
const ep = (c: string, n: Network, s: Sandbox, ifname: string, ipv4: string): Endpoint => ({
  id: id(c), networkId: n.id, sandboxId: s.id, ifname, hostIfname: `veth${c.repeat(11)}`, mac: '02:42:00:00:00:01', ipv4, aliases: [], created: '',
});

function threeTier(): State {
  const front = net('frontend', 'a', '172.18.0.0/16', '172.18.0.1');
  const back = net('backend', 'b', '172.19.0.0/16', '172.19.0.1');
  const web = sb('web', '1', [{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, proto: 'tcp' }]);
  const api = sb('api', '2');
  const db = sb('db', '3');
  return {
    schema: 1,
    networks: [front, back],
    sandboxes: [web, api, db],
    endpoints: [ep('4', front, web, 'eth0', '172.18.0.2/16'), ep('5', front, api, 'eth0', '172.18.0.3/16'), ep('6', back, api, 'eth1', '172.19.0.2/16'), ep('7', back, db, 'eth0', '172.19.0.3/16')],
  };
}

describe('topology', () => {
  it('has networks with their bridge and gateway, endpoints and sandboxes with ports', () => {
    const t = topology(threeTier());
    expect(t.networks.map((n) => [n.name, n.device, n.gateways])).toEqual([
      ['frontend', 'bridge cnm-aaaaaaaaaaa', ['172.18.0.1/16']],
      ['backend', 'bridge cnm-bbbbbbbbbbb', ['172.19.0.1/16']],
    ]);
    expect(t.sandboxes.find((s) => s.name === 'web')!.ports).toEqual(['0.0.0.0:8080->80/tcp']);
  });

  it('limits to one network and the sandboxes on it', () => {
    const s = threeTier();
    const t = topology(s, s.networks[1]);
    expect(t.networks.map((n) => n.name)).toEqual(['backend']);
    expect(t.sandboxes.map((x) => x.name)).toEqual(['api', 'db']);
  });
});

describe('text diagram', () => {
  const text = renderText(topology(threeTier()));

  it('draws every network, bridge, veth, sandbox, address and port', () => {
    for (const s of ['network frontend', 'network backend', 'bridge cnm-aaaaaaaaaaa', 'gateway 172.18.0.1/16', 'veth44444444444', 'sandbox web', 'sandbox api', 'sandbox db',
      '172.18.0.2/16', '172.18.0.3/16', '172.19.0.2/16', '172.19.0.3/16', 'port 0.0.0.0:8080->80/tcp', 'eth1 172.19.0.2/16 (backend)']) {
      expect(text).toContain(s);
    }
  });

  it('is boxes joined by lines: every box line closes and stems meet the edges', () => {
    const lines = text.split('\n');
    const frontTop = lines.findIndex((l) => l.startsWith('network frontend')) + 1;
    expect(lines[frontTop]).toMatch(/^\+-+\+$/);
    expect(lines[frontTop + 1]).toMatch(/^\| bridge cnm-a+ +gateway 172\.18\.0\.1\/16 +\|$/);
    const bottom = lines[frontTop + 2]!;
    const stems = [...bottom.matchAll(/\+/g)].map((m) => m.index!).slice(1, -1);
    expect(stems.length).toBe(2);
    for (const col of stems) {
      expect(lines[frontTop + 3]![col]).toBe('|');
      expect(lines[frontTop + 6]![col]).toBe('+'); // the sandbox box's top edge
    }
  });

  it('wraps sandboxes into rows that fit the width', () => {
    const narrow = renderText(topology(threeTier()), undefined, 40);
    expect(narrow).toContain('(continued)');
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(60);
  });

  it('colours only through the paint function, after the layout', () => {
    const painted = renderText(topology(threeTier()), (t, s) => `<${s}>${t}</${s}>`);
    expect(painted).toContain('<sandbox>web</sandbox>');
    expect(painted.replace(/<\/?[a-z]+>/g, '')).toBe(text);
  });

  it('says what to do on an empty host', () => {
    expect(renderText({ networks: [], sandboxes: [] })).toContain("cnm net create");
  });
});

describe('DOT', () => {
  it('has a cluster per network, a node per sandbox, an edge per endpoint', () => {
    const dot = renderDot(topology(threeTier()));
    expect(dot).toMatch(/^graph cnm \{/);
    expect(dot.match(/subgraph "cluster_/g)!.length).toBe(2);
    expect(dot.match(/shape=box3d/g)!.length).toBe(3);
    expect(dot.match(/ -- /g)!.length).toBe(4);
    expect(dot).toContain('"net:backend" -- "sb:db" [label="veth77777777777 <-> eth0\\n172.19.0.3/16"]');
  });

  it('escapes quotes and backslashes', () => {
    const t: Topology = { networks: [], sandboxes: [{ name: 'a"b\\c', endpoints: [], ports: [] }] };
    expect(renderDot(t)).toContain('"sb:a\\"b\\\\c"');
  });
});
