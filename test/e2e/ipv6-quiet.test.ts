/**
 * An interface on an IPv4-only network has no IPv6 at all (as Docker's do):
 * no link-local address, so no duplicate address detection, router
 * solicitations or multicast listener reports, which the network's bridge
 * would flood to every port (O(ports) per add, for seconds). Per interface: a
 * sandbox's interface on an IPv6 network keeps its link-local and global
 * addresses. The spoof checks let no IPv6 from such an interface through, not
 * even from the link-local address its MAC derives (the guard's sets held it
 * before). Shown with captures on the bridge and real traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkLocalOf as linkLocal } from '../../src/core/firewall/guard.js';
import { epOf as endpointOf } from '../helpers/endpoint.js';
import { CNM, Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('interfaces of IPv4-only networks have no IPv6', () => {
  let host: Host;
  const inNs = (ns: string, argv: string[]) => host.exec(['ip', 'netns', 'exec', ns, ...argv]);
  const epOf = (sb: string, net: string) => endpointOf(host, sb, net);
  const bridgeOf = (net: string) => {
    const id = json<{ Id: string }[]>(host.cnmOk(['net', 'inspect', net]))[0]!.Id;
    return `cnm-${id.slice(0, 11)}`;
  };
  const portOf = (sb: string, net: string) => host.exec(['ip', '-br', 'link']).stdout.match(new RegExp(`^(veth${epOf(sb, net).EndpointID.slice(0, 11)})`, 'm'))![1]!;
  /** The IPv6 addresses of a link, in a sandbox or (ns undefined) in the host. */
  const addrs6 = (dev: string, ns?: string) =>
    json<{ addr_info: { local: string }[] }[]>((ns ? inNs(ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', dev]) : host.exec(['ip', '-j', '-6', 'addr', 'show', 'dev', dev])).stdout).flatMap((l) =>
      l.addr_info.map((a) => a.local),
    );
  /** Runs `during` while tcpdump listens on DEV (in NS, if given) for SECONDS; the frames it saw, one line each, with MACs. */
  async function capture(dev: string, seconds: number, filter: string[], during: () => Promise<void> | void, ns?: string): Promise<string> {
    const log = `/run/cap-${dev}-${Date.now()}`;
    const td = host.background([...(ns ? ['ip', 'netns', 'exec', ns] : []), 'sh', '-c', `exec timeout ${seconds} tcpdump -enli ${dev} ${filter.join(' ')} >${log} 2>${log}.err`]);
    const ended = new Promise((r) => td.once('exit', r));
    expect(await waitFor(() => host.exec(['cat', `${log}.err`]).stdout.includes('listening on'), 5000, 50)).toBe(true);
    await during();
    await ended;
    return host.exec(['cat', log]).stdout;
  }

  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'four', '--subnet', '10.77.0.0/24']);
    host.cnmOk(['net', 'create', 'six', '--subnet', '10.78.0.0/24', '--ipv6', '--subnet', 'fd00:78::/64']);
    host.cnmOk(['net', 'create', 'open4', '--subnet', '10.79.0.0/24', '--opt', 'spoofcheck=false']);
    host.cnmOk(['sandbox', 'add', 'old', '--network', 'four']);
    host.cnmOk(['sandbox', 'add', 'n6', '--network', 'six']);
  });

  it('an add puts no IPv6 on the bridge (no DAD, router solicitation or listener report from its port); IPv4 and DNS work', async () => {
    const br = bridgeOf('four');
    let mac = '';
    const seen = await capture(br, 5, [], async () => {
      host.cnmOk(['sandbox', 'add', 'quiet', '--network', 'four']);
      const ep = epOf('quiet', 'four');
      mac = ep.MacAddress;
      expect(inNs('quiet', ['ping', '-c1', '-W2', ep.Gateway]).code).toBe(0);
      const old = epOf('old', 'four').IPAddress;
      expect(inNs('quiet', ['dig', '+short', '+time=2', '+tries=2', `@${ep.Gateway}`, 'old']).stdout.trim()).toBe(old);
      expect(inNs('quiet', ['getent', 'ahostsv4', 'old']).stdout).toContain(old);
    });
    const mine = seen.split('\n').filter((l) => l.startsWith(`${mac} >`) || l.includes(` ${mac} >`));
    // The capture saw the new port's IPv4 (the ping, the DNS query): it was listening.
    expect(mine.join('\n')).toMatch(/ICMP echo request/);
    expect(mine.join('\n')).toMatch(/\.53: /);
    expect(mine.filter((l) => /IPv6|ICMP6/.test(l))).toEqual([]);
    expect(addrs6('eth0', 'quiet')).toEqual([]);
    expect(addrs6(portOf('quiet', 'four'))).toEqual([]);
    // Nothing IPv6 of the port is let through by the spoof checks.
    expect(host.exec(['nft', 'list', 'set', 'bridge', 'cnm', 'ep_ip6']).stdout).not.toContain(portOf('quiet', 'four'));
  });

  it('per interface: on an IPv4-only and an IPv6 network, only the IPv6 one has link-local and global addresses, and IPv6 works there', () => {
    host.cnmOk(['sandbox', 'add', 'mix', '--network', 'four', '--network', 'six']);
    const ep6 = epOf('mix', 'six');
    expect(addrs6('eth0', 'mix')).toEqual([]);
    expect(addrs6('eth1', 'mix').sort()).toEqual([ep6.GlobalIPv6Address!, linkLocal(ep6.MacAddress)].sort());
    expect(inNs('mix', ['ping', '-6', '-c1', '-W2', epOf('n6', 'six').GlobalIPv6Address!]).code).toBe(0);
    expect(inNs('mix', ['ping', '-c1', '-W2', epOf('old', 'four').IPAddress]).code).toBe(0);
    // Connected later, the same: an IPv6 network's interface has IPv6, an IPv4-only one's has none.
    host.cnmOk(['sandbox', 'add', 'late', '--network', 'open4']);
    host.cnmOk(['endpoint', 'connect', 'late', 'six']);
    host.cnmOk(['endpoint', 'connect', 'late', 'four']);
    expect(addrs6('eth0', 'late')).toEqual([]);
    expect(addrs6('eth1', 'late')).toContain(linkLocal(epOf('late', 'six').MacAddress));
    expect(addrs6('eth2', 'late')).toEqual([]);
    expect(inNs('late', ['ping', '-6', '-c1', '-W2', epOf('n6', 'six').GlobalIPv6Address!]).code).toBe(0);
  });

  /**
   * The impostor gives itself the link-local address its MAC derives (the one the guard's sets
   * held for every port before) and pings a neighbour that has its own, with the neighbour entry
   * set by hand (no ND needed): nothing reaches the neighbour. Without spoof checks it does.
   */
  it('a sandbox without IPv6 that gives itself its link-local address reaches no neighbour over IPv6', async () => {
    const reached = async (net: string) => {
      host.cnmOk(['sandbox', 'add', `${net}-evil`, '--network', net]);
      host.cnmOk(['sandbox', 'add', `${net}-vict`, '--network', net]);
      const evil = epOf(`${net}-evil`, net).MacAddress;
      const vict = epOf(`${net}-vict`, net).MacAddress;
      for (const [sb, mac] of [[`${net}-evil`, evil], [`${net}-vict`, vict]] as const) {
        expect(inNs(sb, ['ip', 'addr', 'replace', `${linkLocal(mac)}/64`, 'dev', 'eth0', 'nodad']).code).toBe(0);
      }
      // An address still in duplicate address detection is no source (an automatic one, where there is one).
      for (const sb of [`${net}-evil`, `${net}-vict`]) expect(await waitFor(() => inNs(sb, ['ip', '-6', 'addr', 'show', 'tentative']).stdout.trim() === '', 5000, 100)).toBe(true);
      expect(inNs(`${net}-evil`, ['ip', '-6', 'neigh', 'replace', linkLocal(vict), 'lladdr', vict, 'dev', 'eth0', 'nud', 'permanent']).code).toBe(0);
      const seen = await capture('eth0', 4, ['icmp6'], () => {
        inNs(`${net}-evil`, ['ping', '-6', '-c2', '-i0.3', '-W1', `${linkLocal(vict)}%eth0`]);
      }, `${net}-vict`);
      return /echo request/.test(seen);
    };
    expect(await reached('open4')).toBe(true);
    expect(await reached('four')).toBe(false);
    const port = portOf('four-evil', 'four');
    for (const set of ['ep_ip6', 'ep_nd']) expect(host.exec(['nft', 'list', 'set', 'bridge', 'cnm', set]).stdout).not.toContain(port);
    // Its IPv4 still passes.
    expect(inNs('four-evil', ['ping', '-c1', '-W2', epOf('four-vict', 'four').IPAddress]).code).toBe(0);
  });

  it('a CNI ADD on an IPv4-only network: the container\'s interface has no IPv6; on an IPv6 network it has', () => {
    const r = host.sh('mkdir -p /run/ctr && for c in c4 c6; do touch /run/ctr/$c && unshare --net=/run/ctr/$c true; done');
    expect(r.code, r.stderr).toBe(0);
    for (const [id, net] of [['c4', 'four'], ['c6', 'six']] as const) {
      const add = host.exec([CNM], {
        input: JSON.stringify({ cniVersion: '1.0.0', name: net, type: 'cnm' }),
        env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: id, CNI_NETNS: `/run/ctr/${id}`, CNI_IFNAME: 'eth0' },
      });
      expect(add.code, add.stdout + add.stderr).toBe(0);
    }
    const v6 = (id: string) => host.sh(`nsenter --net=/run/ctr/${id} ip -6 -o addr show dev eth0`).stdout;
    expect(v6('c4')).toBe('');
    expect(v6('c6')).toMatch(/inet6 fe80::/);
    expect(v6('c6')).toMatch(/inet6 fd00:78::/);
  });

  it('--dry-run shows it: each end of an IPv4-only endpoint comes up with addrgenmode none', () => {
    const dry = host.cnmOk(['sandbox', 'add', 'dry', '--network', 'four', '--dry-run']);
    expect(dry).toMatch(/^ip link set veth\S+ master cnm-\S+ addrgenmode none up$/m);
    expect(dry).toMatch(/^ip -n dry link set eth0 addrgenmode none up$/m);
  });

  it('old ports keep quiet too: after a fill the bridge carries no IPv6 at all', async () => {
    for (let i = 0; i < 6; i++) host.cnmOk(['sandbox', 'add', `f${i}`, '--network', 'four']);
    await sleep(200);
    const seen = await capture(bridgeOf('four'), 3, ['ip6'], () => {});
    expect(seen.trim()).toBe('');
  });
});
