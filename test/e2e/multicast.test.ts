/**
 * cnm's bridges have IGMP/MLD snooping off (docs/security.md): the bridge
 * network's, the overlay's and the built-in `bridge` network's, in --dry-run
 * too; a bridge an older cnm made with the kernel's default gets it off from
 * reconcile (drift, not a fault: a CNI STATUS still says ready). Multicast
 * still flows between sandboxes (real UDP to a group), and a sandbox that
 * acts as IGMP querier no longer decides where a group's traffic goes: with
 * snooping on, one query made the bridge forward the group only to the
 * sandboxes that had joined it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CNM, Host, destroyAll, json, waitFor } from '../helpers/host.js';

afterAll(destroyAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An IGMPv2 general query (max response 1 s) to 224.0.0.1, sent from a raw socket: what a querier sends. */
const IGMP_QUERY = `
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16; return ~s & 0xffff
q = struct.pack("!BBH4s", 0x11, 10, 0, bytes(4)); q = struct.pack("!BBH4s", 0x11, 10, csum(q), bytes(4))
k = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_IGMP)
k.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
k.sendto(q, ("224.0.0.1", 0))
`;

describe('multicast on cnm bridges', () => {
  let host: Host;
  const bridgeOf = (net: string) => `cnm-${json<{ Id: string }[]>(host.cnmOk(['net', 'inspect', net]))[0]!.Id.slice(0, 11)}`;
  const snooping = (dev: string) => json<{ linkinfo: { info_kind: string; info_data: { mcast_snooping: number } } }[]>(host.exec(['ip', '-d', '-j', 'link', 'show', 'dev', dev]).stdout)[0]!.linkinfo;

  beforeAll(async () => {
    host = await Host.create();
    // An underlay address for the overlay's VXLAN device.
    const r = host.sh('ip link add up0 type veth peer name up1 && ip addr add 198.51.100.1/24 dev up0 && ip link set up0 up && ip link set up1 up');
    if (r.code !== 0) throw new Error(r.stderr);
    host.cnmOk(['net', 'create', 'lan', '--subnet', '10.61.0.0/24']);
    host.cnmOk(['net', 'create', 'ov', '--driver', 'overlay', '--subnet', '10.77.0.0/16', '--vni', '4242', '--local', '198.51.100.1', '--peer', '198.51.100.2']);
    for (const sb of ['a', 'b', 'c', 'q']) host.cnmOk(['sandbox', 'add', sb, '--network', 'lan']);
    host.cnmOk(['sandbox', 'add', 'plain']); // the built-in `bridge` network (bridge cnm0)
  });

  it('the bridge, overlay and built-in networks\' bridges have multicast snooping off; --dry-run says so', () => {
    for (const dev of [bridgeOf('lan'), bridgeOf('ov'), 'cnm0']) {
      expect(snooping(dev).info_kind).toBe('bridge');
      expect(snooping(dev).info_data.mcast_snooping, dev).toBe(0);
    }
    expect(host.cnmOk(['net', 'create', 'dry', '--subnet', '10.62.0.0/24', '--dry-run'])).toMatch(/^ip link add cnm-[0-9a-f]{11} mtu 1500 address \S+ type bridge mcast_snooping 0$/m);
  });

  it('a group\'s traffic reaches a sandbox that joined it, and one that did not, even after another sandbox sent an IGMP query', async () => {
    // b joins 239.1.2.3 and prints what it receives; c has joined nothing and only captures.
    const got = '/run/mc-b.out';
    const seen = '/run/mc-c.out';
    const recv = host.background(['sh', '-c', `exec ip netns exec b timeout 15 socat -u UDP4-RECV:5000,ip-add-membership=239.1.2.3:eth0 CREATE:${got}`]);
    const capture = host.background(['sh', '-c', `exec ip netns exec c timeout 15 tcpdump -l -nn -c1 -i eth0 udp and dst 239.1.2.3 >${seen} 2>${seen}.err`]);
    const ended = Promise.all([recv, capture].map((p) => new Promise((r) => p.once('exit', r))));
    expect(await waitFor(() => host.exec(['cat', `${seen}.err`]).stdout.includes('listening on'), 5000, 50)).toBe(true);
    expect(await waitFor(() => /239\.1\.2\.3/.test(host.exec(['ip', '-n', 'b', 'maddr', 'show', 'dev', 'eth0']).stdout), 5000, 50)).toBe(true);
    // q acts as querier: with snooping on, the bridge then forwarded the group only to ports that reported it.
    expect(host.exec(['ip', 'netns', 'exec', 'q', 'python3', '-c', IGMP_QUERY]).code).toBe(0);
    await sleep(1500); // the members' reports (max response 1 s)
    for (let i = 0; i < 5 && !(host.exec(['cat', got]).stdout.includes('hello') && host.exec(['cat', seen]).stdout.includes('239.1.2.3')); i++) {
      expect(host.exec(['ip', 'netns', 'exec', 'a', 'socat', '-u', '-', 'UDP4-DATAGRAM:239.1.2.3:5000'], { input: 'hello\n' }).code).toBe(0);
      await sleep(300);
    }
    expect(host.exec(['cat', got]).stdout).toContain('hello');
    expect(host.exec(['cat', seen]).stdout).toMatch(/10\.61\.0\.\d+\.\d+ > 239\.1\.2\.3\.5000: UDP/);
    recv.kill();
    await ended;
  });

  it('reconcile turns snooping off on a bridge made with it on (by an older cnm), and then finds nothing', () => {
    const br = bridgeOf('lan');
    expect(host.exec(['ip', 'link', 'set', br, 'type', 'bridge', 'mcast_snooping', '1']).code).toBe(0);
    // Drift, not a fault: a CNI STATUS of the network still says ready (its sandboxes' traffic flows the same).
    const status = host.exec([CNM], { input: JSON.stringify({ cniVersion: '1.1.0', name: 'lan', type: 'cnm' }), env: { CNI_COMMAND: 'STATUS' } });
    expect(status.stdout + status.stderr).toBe('');
    expect(status.code).toBe(0);
    const found = json<{ findings: { object: string; problem: string; action: string }[] }>(host.cnmOk(['reconcile', '--dry-run', '--json'])).findings;
    expect(found.map((f) => `${f.object}: ${f.problem} -> ${f.action}`)).toEqual([`network lan: bridge ${br} has multicast snooping on -> set it`]);
    // The repair is the one setting, on the bridge that is there (not a new bridge).
    const fix = host.cnm(['reconcile', '--debug'], { env: { CNM_NETLINK: '0' } });
    expect(fix.code).toBe(0);
    expect(fix.stderr).toMatch(new RegExp(`^ {2}\\| link set ${br} type bridge mcast_snooping 0$`, 'm'));
    expect(fix.stderr).not.toMatch(/link add/);
    expect(snooping(br).info_data.mcast_snooping).toBe(0);
    expect(json<{ findings: unknown[] }>(host.cnmOk(['reconcile', '--json'])).findings).toEqual([]);
  });
});
