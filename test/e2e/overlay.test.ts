/**
 * Overlay networks across throwaway hosts joined by an underlay (198.51.100.0/24):
 * sandboxes on different hosts reach each other as if on one switch, the
 * underlay carries VXLAN (UDP 4789) with the VNI, addresses never collide,
 * peers change on a live network, and teardown leaves nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, expectFails, json, waitFor, wire } from '../helpers/host.js';

interface NetView {
  Name: string;
  Driver: string;
  Scope: string;
  IPAM: { Config: { Subnet: string; Gateway?: string; IPRange?: string }[] };
  Containers: Record<string, { Name: string; IPv4Address: string }>;
  Options: Record<string, string>;
  Peers: { Name: string; IP: string }[];
}

afterAll(destroyAll);

const inspect = (h: Host, net: string) => json<NetView[]>(h.cnmOk(['net', 'inspect', net]))[0]!;
const addrOf = (h: Host, net: string, sb: string) =>
  Object.values(inspect(h, net).Containers).find((c) => c.Name === sb)!.IPv4Address.split('/')[0]!;
const ping = (h: Host, sb: string, to: string) => h.cnm(['sandbox', 'exec', sb, '--', 'ping', '-c1', '-W1', to]).code;
/** Pings until it answers (the first ARP of a fresh overlay may cost a round), bounded. */
const reaches = (h: Host, sb: string, to: string) => waitFor(() => ping(h, sb, to) === 0, 20_000, 200);
const state = (h: Host) => h.exec(['cat', '/var/lib/cnm/state.json']).stdout;
const links = (h: Host) => h.exec(['ip', '-br', 'link']).stdout;

/** Puts `host` on a switch host's bridge br0 with an address of the underlay. */
function plug(sw: Host, port: string, host: Host, addr: string): void {
  const r = sw.sh(`ip link add ${port} type veth peer name ul0 netns /proc/${host.pid}/ns/net && ip link set ${port} master br0 up`);
  if (r.code !== 0) throw new Error(`plug: ${r.stderr}`);
  const s = host.sh(`ip addr add ${addr} dev ul0 && ip link set ul0 up`);
  if (s.code !== 0) throw new Error(`plug: ${s.stderr}`);
}

describe('overlay across two hosts', () => {
  let a: Host;
  let b: Host;
  let s2: string;

  beforeAll(async () => {
    a = await Host.create('a');
    b = await Host.create('b');
    wire(a, 'ul0', '198.51.100.1/24', b, 'ul0', '198.51.100.2/24');
    a.cnmOk(['net', 'create', 'ov', '--driver', 'overlay', '--subnet', '10.77.0.0/16', '--vni', '4242', '--local', '198.51.100.1', '--peer', '198.51.100.2']);
    // Host b names no --local: cnm takes the source address of its route to the first peer.
    b.cnmOk(['net', 'create', 'ov', '--driver', 'overlay', '--subnet', '10.77.0.0/16', '--vni', '4242', '--peer', '198.51.100.1']);
    a.cnmOk(['sandbox', 'add', 's1', '--network', 'ov']);
    b.cnmOk(['sandbox', 'add', 's2', '--network', 'ov']);
    s2 = addrOf(b, 'ov', 's2');
  });

  it('each host hands out its own slice: a takes 10.77.1.0/24, b 10.77.2.0/24 (last octet of --local)', () => {
    expect(inspect(a, 'ov').IPAM.Config).toEqual([{ Subnet: '10.77.0.0/16', Gateway: '10.77.1.1', IPRange: '10.77.1.0/24' }]);
    expect(inspect(b, 'ov').IPAM.Config).toEqual([{ Subnet: '10.77.0.0/16', Gateway: '10.77.2.1', IPRange: '10.77.2.0/24' }]);
    expect(addrOf(a, 'ov', 's1')).toBe('10.77.1.2');
    expect(s2).toBe('10.77.2.2');
  });

  it('a sandbox on host a pings a sandbox on host b, and back', async () => {
    expect(await reaches(a, 's1', s2)).toBe(true);
    expect(ping(b, 's2', '10.77.1.2')).toBe(0);
  });

  it('TCP works across the overlay (curl to a python3 http.server on host b)', async () => {
    b.sh('mkdir -p /run/www && echo hello-over-vxlan > /run/www/index.html');
    b.background(['ip', 'netns', 'exec', 's2', 'python3', '-m', 'http.server', '8080', '--bind', s2, '--directory', '/run/www']);
    const listening = await waitFor(() => b.exec(['ip', 'netns', 'exec', 's2', 'ss', '-Htln', 'sport = :8080']).stdout.includes('8080'), 10_000, 100);
    expect(listening).toBe(true);
    const r = a.cnm(['sandbox', 'exec', 's1', '--', 'curl', '-sS', '--max-time', '5', `http://${s2}:8080/index.html`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello-over-vxlan\n');
  });

  it('the underlay carries UDP 4789 with VNI 4242 (tcpdump, bounded by -c and timeout)', () => {
    const r = a.sh(
      [
        // Bounded by -c, by timeout, and stopped (its own PID) once the pings are done.
        'timeout 10 tcpdump -l -i ul0 -c 50 -nn -v udp port 4789 >/run/td.out 2>/run/td.err & td=$!',
        'for i in $(seq 100); do grep -q listening /run/td.err && break; sleep 0.05; done',
        `ip netns exec s1 ping -c2 -i 0.2 -W1 ${s2} >/dev/null`,
        'sleep 0.2; kill -INT $td; wait $td; cat /run/td.out',
      ].join('\n'),
      { timeoutMs: 20_000 },
    );
    expect(r.stdout).toMatch(/198\.51\.100\.1\.\d+ > 198\.51\.100\.2\.4789: VXLAN.*vni 4242/);
    expect(r.stdout).toMatch(/10\.77\.1\.2 > 10\.77\.2\.2: ICMP echo request/);
  });

  it('endpoints get the underlay MTU minus 50; the VXLAN device has learning off', () => {
    const eth0 = json<{ mtu: number }[]>(a.exec(['ip', '-n', 's1', '-j', 'link', 'show', 'eth0']).stdout)[0]!;
    expect(eth0.mtu).toBe(1450);
    const vx = a.exec(['ip', '-d', 'link', 'show', 'type', 'vxlan']).stdout;
    expect(vx).toMatch(/vxlan id 4242 local 198\.51\.100\.1 dev ul0 .*dstport 4789 nolearning/s);
    expect(inspect(a, 'ov').Options['com.docker.network.driver.mtu']).toBe('1450');
  });

  it('net inspect shows Peers like Docker, and the VNI', () => {
    const v = inspect(a, 'ov');
    expect(v).toMatchObject({ Driver: 'overlay', Scope: 'global', Peers: [{ Name: '198.51.100.2', IP: '198.51.100.2' }] });
    expect(v.Options['com.docker.network.driver.overlay.vxlanid_list']).toBe('4242');
    expect(inspect(b, 'ov').Peers).toEqual([{ Name: '198.51.100.1', IP: '198.51.100.1' }]);
  });

  it('DNS in the static-peer mode: names of sandboxes on this host resolve, those on other hosts do not', async () => {
    a.cnmOk(['sandbox', 'add', 's3', '--network', 'ov']);
    const s3 = addrOf(a, 'ov', 's3');
    const lookup = (name: string) => a.cnm(['sandbox', 'exec', 's1', '--', 'getent', 'hosts', name]);
    expect(await waitFor(() => lookup('s3').code === 0, 20_000, 100)).toBe(true);
    expect(lookup('s3').stdout).toMatch(new RegExp(`^${s3.replace(/\./g, '\\.')}\\s+s3`));
    expect(lookup('s2').code).not.toBe(0);
    a.cnmOk(['sandbox', 'rm', 's3']);
    // The kernel frees a deleted namespace's veth in the background: let it go before the next snapshot.
    expect(await waitFor(() => (links(a).match(/^veth/gm) ?? []).length === 1)).toBe(true);
  });

  it('bad overlay input: exit 2, one line, state and kernel untouched', () => {
    const before = state(a);
    const beforeLinks = links(a);
    const base = ['net', 'create', 'ov2', '--driver', 'overlay', '--subnet', '10.78.0.0/16'];
    expectFails(a.cnm([...base, '--local', '198.51.100.1']), 2, /needs --vni/);
    expectFails(a.cnm([...base, '--vni', '0', '--local', '198.51.100.1']), 2, /invalid --vni 0/);
    expectFails(a.cnm([...base, '--vni', '9', '--local', '198.51.100.9']), 2, /--local 198\.51\.100\.9 is not an address of this host/);
    expectFails(a.cnm([...base, '--vni', '9']), 2, /needs --local .* or at least one --peer/);
    expectFails(a.cnm([...base, '--vni', '9', '--peer', '198.51.100.1']), 2, /this host's own underlay address/);
    expectFails(a.cnm([...base, '--vni', '9', '--peer', 'nonsense', '--local', '198.51.100.1']), 2, /invalid --peer "nonsense"/);
    expectFails(a.cnm([...base, '--vni', '9', '--local', '198.51.100.1', '--parent', 'ul0']), 2, /--parent is for macvlan and ipvlan/);
    expectFails(a.cnm([...base, '--vni', '9', '--local', '198.51.100.1', '--ipv6']), 2, /IPv4 only/);
    expectFails(a.cnm([...base, '--vni', '9', '--local', '198.51.100.1', '--mtu', '1500']), 2, /at most 1450/);
    expectFails(a.cnm(['net', 'create', 'ov2', '--driver', 'overlay', '--vni', '9', '--local', '198.51.100.1']), 2, /needs --subnet/);
    expectFails(a.cnm([...base, '--vni', '4242', '--local', '198.51.100.1']), 4, /VNI 4242 is already used on this host/);
    expect(state(a)).toBe(before);
    expect(links(a)).toBe(beforeLinks);
  });

  it('reconcile finds nothing on a healthy overlay, and brings back a deleted VXLAN device with its flooding entries', async () => {
    expect(a.cnm(['reconcile']).stdout).toMatch(/nothing to do/);
    const id = json<{ networks: { name: string; id: string }[] }>(state(a)).networks.find((n) => n.name === 'ov')!.id;
    expect(a.exec(['ip', 'link', 'del', `cnmx${id.slice(0, 11)}`]).code).toBe(0);
    expect(ping(a, 's1', s2)).not.toBe(0);
    expect(a.cnm(['reconcile']).stdout).toMatch(/repaired: network ov: link cnmx[0-9a-f]{11} missing; fdb entries of cnmx[0-9a-f]{11} missing/);
    expect(a.exec(['bridge', 'fdb', 'show', 'dev', `cnmx${id.slice(0, 11)}`]).stdout).toMatch(/00:00:00:00:00:00 dst 198\.51\.100\.2/);
    expect(await reaches(a, 's1', s2)).toBe(true);
  });

  it('teardown leaves nothing on either host', async () => {
    for (const [h, sb] of [[a, 's1'], [b, 's2']] as const) {
      const id = json<{ networks: { name: string; id: string }[] }>(state(h)).networks.find((n) => n.name === 'ov')!.id;
      h.cnmOk(['sandbox', 'rm', '--force', sb]);
      h.cnmOk(['net', 'rm', 'ov']);
      expect(await waitFor(() => !/veth|cnm-|cnmx/.test(links(h)))).toBe(true);
      expect(h.exec(['ip', '-d', 'link', 'show', 'type', 'vxlan']).stdout).toBe('');
      expect(h.exec(['bridge', 'fdb', 'show', 'dev', 'ul0']).stdout).not.toMatch(/dst/);
      const rules = h.exec(['nft', 'list', 'table', 'inet', 'cnm']).stdout;
      expect(rules).toContain('cnm0'); // the built-in bridge stays
      expect(rules).not.toContain(id.slice(0, 11));
      const st = json<{ networks: { name: string }[] }>(state(h));
      expect(st.networks.map((n) => n.name).sort()).toEqual(['bridge', 'host', 'none']);
    }
  });
});

describe('overlay across three hosts: live peer changes', () => {
  let hosts: Host[];
  const addrs: string[] = [];

  beforeAll(async () => {
    const sw = await Host.create('switch');
    expect(sw.sh('ip link add br0 type bridge && ip link set br0 up').code).toBe(0);
    hosts = [await Host.create('a'), await Host.create('b'), await Host.create('c')];
    hosts.forEach((h, i) => plug(sw, `p${i + 1}`, h, `198.51.100.${i + 1}/24`));
    // a starts without c; b and c know everyone.
    const peersOf = [['198.51.100.2'], ['198.51.100.1', '198.51.100.3'], ['198.51.100.1', '198.51.100.2']];
    hosts.forEach((h, i) => {
      h.cnmOk(['net', 'create', 'ov', '--driver', 'overlay', '--subnet', '10.88.0.0/24', '--vni', '77', '--local', `198.51.100.${i + 1}`, ...peersOf[i]!.flatMap((p) => ['--peer', p])]);
      h.cnmOk(['sandbox', 'add', `x${i + 1}`, '--network', 'ov']);
      addrs.push(addrOf(h, 'ov', `x${i + 1}`));
    });
  });

  it('addresses are distinct on all hosts: /28 slices of the /24 by --local', () => {
    expect(addrs).toEqual(['10.88.0.18', '10.88.0.34', '10.88.0.50']);
    expect(new Set(addrs).size).toBe(3);
  });

  it('b reaches a and c; a does not reach c until c is its peer', async () => {
    const [a, b] = hosts as [Host, Host, Host];
    expect(await reaches(b, 'x2', addrs[0]!)).toBe(true);
    expect(await reaches(b, 'x2', addrs[2]!)).toBe(true);
    expect(ping(a, 'x1', addrs[2]!)).not.toBe(0);
  });

  it('net update --add-peer starts the traffic, --remove-peer stops it', async () => {
    const a = hosts[0]!;
    expect(a.cnm(['net', 'update', 'ov', '--add-peer', '198.51.100.3']).code).toBe(0);
    expect(inspect(a, 'ov').Peers.map((p) => p.IP)).toEqual(['198.51.100.2', '198.51.100.3']);
    expect(await reaches(a, 'x1', addrs[2]!)).toBe(true);
    expect(a.cnm(['net', 'update', 'ov', '--remove-peer', '198.51.100.3']).code).toBe(0);
    expect(inspect(a, 'ov').Peers.map((p) => p.IP)).toEqual(['198.51.100.2']);
    expect(a.exec(['bridge', 'fdb', 'show', 'dev', `cnmx${json<{ networks: { name: string; id: string }[] }>(state(a)).networks.find((n) => n.name === 'ov')!.id.slice(0, 11)}`]).stdout).not.toMatch(/198\.51\.100\.3/);
    expect(ping(a, 'x1', addrs[2]!)).not.toBe(0);
    expect(await reaches(a, 'x1', addrs[1]!)).toBe(true);
  });

  it('bad net update: exit codes, one line, state and fdb untouched', () => {
    const a = hosts[0]!;
    a.cnmOk(['net', 'create', 'plain', '--subnet', '10.99.0.0/24']);
    const before = state(a);
    const fdb = a.exec(['bridge', 'fdb', 'show']).stdout;
    expectFails(a.cnm(['net', 'update', 'ov', '--add-peer', '198.51.100.2']), 4, /already a peer/);
    expectFails(a.cnm(['net', 'update', 'ov', '--remove-peer', '198.51.100.9']), 3, /not a peer/);
    expectFails(a.cnm(['net', 'update', 'ov', '--add-peer', 'x.y']), 2, /invalid --peer/);
    expectFails(a.cnm(['net', 'update', 'ov']), 2, /nothing to change/);
    expectFails(a.cnm(['net', 'update', 'plain', '--add-peer', '198.51.100.3']), 2, /only overlay networks have peers/);
    expectFails(a.cnm(['net', 'update', 'nosuch', '--add-peer', '198.51.100.3']), 3, /not found/);
    expect(state(a)).toBe(before);
    expect(a.exec(['bridge', 'fdb', 'show']).stdout).toBe(fdb);
  });

  it('a failing update is rolled back (fault injected at the second line)', () => {
    const a = hosts[0]!;
    const before = state(a);
    const r = a.cnm(['net', 'update', 'ov', '--remove-peer', '198.51.100.2', '--add-peer', '198.51.100.3'], { env: { CNM_FAULT_AT: '2' } });
    expect(r.code).toBe(1);
    expect(state(a)).toBe(before);
    expect(a.exec(['bridge', 'fdb', 'show']).stdout).toMatch(/dst 198\.51\.100\.2/);
    expect(a.exec(['bridge', 'fdb', 'show']).stdout).not.toMatch(/dst 198\.51\.100\.3/);
  });
});

