import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, threeTier } from '../helpers/host.js';

interface NetView {
  Name: string;
  Id: string;
  Driver: string;
  IPAM: { Config: { Subnet: string; Gateway?: string }[] };
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
}

describe('three-tier example (frontend/backend; web, api, db)', () => {
  let host: Host;
  const addr: Record<string, string> = {};

  beforeAll(async () => {
    host = await Host.create();
    threeTier(host);
    for (const n of ['frontend', 'backend']) {
      const [view] = json<NetView[]>(host.cnmOk(['net', 'inspect', n]));
      for (const c of Object.values(view!.Containers)) addr[`${c.Name}@${n}`] = c.IPv4Address.split('/')[0]!;
    }
  });
  afterAll(destroyAll);

  const ping = (from: string, to: string) => host.cnm(['sandbox', 'exec', from, '--', 'ping', '-c1', '-W1', to]).code;

  it('web reaches api and api reaches db', () => {
    expect(ping('web', addr['api@frontend']!)).toBe(0);
    expect(ping('api', addr['db@backend']!)).toBe(0);
    expect(ping('db', addr['api@backend']!)).toBe(0);
  });

  it('web cannot reach db: they share no network', () => {
    expect(ping('web', addr['db@backend']!)).not.toBe(0);
    expect(ping('db', addr['web@frontend']!)).not.toBe(0);
  });

  it('net inspect has the shape of docker network inspect', () => {
    const [net] = json<NetView[]>(host.cnmOk(['net', 'inspect', 'backend']));
    expect(net).toMatchObject({ Name: 'backend', Driver: 'bridge', Scope: 'local', EnableIPv6: false, Internal: false, Attachable: true });
    expect(net!.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(net!)).toEqual(
      expect.arrayContaining(['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Containers', 'Options', 'Labels']),
    );
    expect(net!.IPAM.Config[0]!.Subnet).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
    const names = Object.values(net!.Containers).map((c) => c.Name).sort();
    expect(names).toEqual(['api', 'db']);
    for (const [sbId, c] of Object.entries(net!.Containers)) {
      expect(sbId).toMatch(/^[0-9a-f]{64}$/);
      expect(c.IPv4Address).toMatch(/^172\.\d+\.\d+\.\d+\/16$/);
      expect(c.MacAddress).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
    }
  });

  it('interfaces are eth0, eth1 in connection order, default route via the first network', () => {
    const links = json<{ ifname: string }[]>(host.exec(['ip', '-n', 'api', '-j', 'link']).stdout).map((l) => l.ifname);
    expect(links).toEqual(expect.arrayContaining(['lo', 'eth0', 'eth1']));
    const route = host.exec(['ip', '-n', 'api', 'route', 'show', 'default']).stdout;
    const [front] = json<NetView[]>(host.cnmOk(['net', 'inspect', 'frontend']));
    expect(route).toContain(`via ${front!.IPAM.Config[0]!.Gateway} dev eth0`);
  });

  it('removing everything leaves no link, netns or rule behind', async () => {
    host.cnmOk(['sandbox', 'rm', 'web', 'api', 'db']);
    host.cnmOk(['net', 'rm', 'frontend', 'backend']);
    const ok = await import('../helpers/host.js').then((m) =>
      m.waitFor(() => !/veth|cnm-/.test(host.exec(['ip', '-br', 'link']).stdout)),
    );
    expect(ok).toBe(true);
    expect(host.exec(['ip', 'netns', 'list']).stdout.trim()).toBe('');
    const rules = host.exec(['nft', 'list', 'table', 'inet', 'cnm']).stdout;
    expect(rules).not.toMatch(/cnm-[0-9a-f]{11}/);
    expect(json<{ sandboxes: unknown[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout).sandboxes).toEqual([]);
  });
});
