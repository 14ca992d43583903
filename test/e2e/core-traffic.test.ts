import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

interface SbView {
  NetworkSettings: { Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string; Interface: string }> };
}

afterAll(destroyAll);

function ipOf(host: Host, sb: string, net: string): string {
  return json<SbView[]>(host.cnmOk(['sandbox', 'inspect', sb]))[0]!.NetworkSettings.Networks[net]!.IPAddress;
}

describe('default bridge network', () => {
  let host: Host;
  let internet: Host;
  beforeAll(async () => {
    host = await Host.create();
    ({ internet } = await withInternet(host));
    host.cnmOk(['sandbox', 'add', 'one']);
    host.cnmOk(['sandbox', 'add', 'two']);
  });

  it('is the Linux bridge cnm0 on 172.17.0.0/16 and sandboxes join it by default', () => {
    const [net] = json<{ Driver: string; IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: object }[]>(
      host.cnmOk(['net', 'inspect', 'bridge']),
    );
    expect(net!.IPAM.Config[0]).toMatchObject({ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' });
    expect(Object.keys(net!.Containers)).toHaveLength(2);
    const br = json<{ ifname: string; linkinfo: { info_kind: string } }[]>(host.exec(['ip', '-j', '-d', 'link', 'show', 'cnm0']).stdout);
    expect(br[0]!.linkinfo.info_kind).toBe('bridge');
  });

  it('two sandboxes reach each other by IP', () => {
    expect(host.cnm(['sandbox', 'exec', 'one', '--', 'ping', '-c1', '-W2', ipOf(host, 'two', 'bridge')]).code).toBe(0);
  });

  it('outbound traffic is masqueraded: the internet server sees the host uplink address', async () => {
    // A TCP server in the internet namespace that answers with the address it sees.
    internet.background(['ncat', '-l', '-k', '-p', '7000', '--sh-exec', 'echo "$NCAT_REMOTE_ADDR"']);
    expect(await waitFor(() => /:7000/.test(internet.exec(['ss', '-ltn']).stdout), 20_000)).toBe(true);
    const r = host.cnm(['sandbox', 'exec', 'one', '--', 'ncat', '--recv-only', '-w', '3', '203.0.113.254', '7000']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('203.0.113.1');
  });

  it('unsolicited traffic from the internet to a sandbox address is dropped', () => {
    internet.exec(['ip', 'route', 'add', '172.17.0.0/16', 'via', '203.0.113.1']);
    expect(internet.exec(['ping', '-c1', '-W1', ipOf(host, 'one', 'bridge')]).code).not.toBe(0);
    // ...while the host itself reaches its sandboxes.
    expect(host.exec(['ping', '-c1', '-W1', ipOf(host, 'one', 'bridge')]).code).toBe(0);
  });
});

describe('host and none networks', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['sandbox', 'add', 'h', '--network', 'host']);
    host.cnmOk(['sandbox', 'add', 'n', '--network', 'none']);
  });

  it('a host sandbox sees the host interfaces and shares its namespace', () => {
    const inside = host.cnmOk(['sandbox', 'exec', 'h', '--', 'readlink', '/proc/self/ns/net']).trim();
    expect(inside).toBe(host.netnsId());
    expect(host.cnmOk(['sandbox', 'exec', 'h', '--', 'ip', '-br', 'link'])).toContain('cnm0');
  });

  it('a none sandbox has only loopback, and it is up', () => {
    const links = json<{ ifname: string; operstate: string; flags: string[] }[]>(host.exec(['ip', '-n', 'n', '-j', 'link']).stdout);
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect(links[0]!.flags).toContain('UP');
    expect(host.cnm(['sandbox', 'exec', 'n', '--', 'ping', '-c1', '-W1', '127.0.0.1']).code).toBe(0);
  });

  it('host and none sandboxes cannot join other networks (exit 4)', () => {
    host.cnmOk(['net', 'create', 'extra']);
    for (const sb of ['h', 'n']) {
      const r = host.cnm(['endpoint', 'connect', sb, 'extra']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^cnm: .*cannot be connected to other networks\n$/);
    }
  });

  it('removing a host sandbox leaves the host namespace alone', () => {
    host.cnmOk(['sandbox', 'rm', 'h']);
    expect(host.exec(['ip', 'link', 'show', 'cnm0']).code).toBe(0);
    expect(host.exec(['ip', 'netns', 'list']).stdout).not.toMatch(/^h\b/m);
  });
});

describe('internal networks', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    await withInternet(host);
    host.cnmOk(['net', 'create', 'vault', '--internal']);
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'vault']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'vault']);
  });

  it('peers on the network reach each other', () => {
    expect(host.cnm(['sandbox', 'exec', 'a', '--', 'ping', '-c1', '-W2', ipOf(host, 'b', 'vault')]).code).toBe(0);
  });

  it('there is no way out: no default route, and forwarding out is dropped', () => {
    expect(host.exec(['ip', '-n', 'a', 'route', 'show', 'default']).stdout.trim()).toBe('');
    // Even with a route added by hand, the firewall drops what would leave the network.
    const [net] = json<{ IPAM: { Config: { Gateway: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'vault']));
    host.exec(['ip', '-n', 'a', 'route', 'add', 'default', 'via', net!.IPAM.Config[0]!.Gateway]);
    expect(host.cnm(['sandbox', 'exec', 'a', '--', 'ping', '-c1', '-W1', '203.0.113.254']).code).not.toBe(0);
    expect(host.exec(['nft', 'list', 'table', 'inet', 'cnm']).stdout).not.toMatch(/masquerade.*\n.*vault/);
  });
});

describe('IPv6', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'six', '--ipv6']);
    host.cnmOk(['net', 'create', 'cafe', '--subnet', 'fd00:cafe::/64']);
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'six', '--network', 'cafe']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'cafe', '--ip6', 'fd00:cafe::42']);
  });

  it('a dual-stack network has a ULA /64 next to its IPv4 subnet', () => {
    const [net] = json<{ EnableIPv6: boolean; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'six']));
    expect(net!.EnableIPv6).toBe(true);
    expect(net!.IPAM.Config.map((c) => c.Subnet)).toEqual([expect.stringMatching(/^172\./), expect.stringMatching(/^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/)]);
  });

  it('two sandboxes reach each other over IPv6', () => {
    const b6 = json<SbView[]>(host.cnmOk(['sandbox', 'inspect', 'b']))[0]!.NetworkSettings.Networks.cafe!.GlobalIPv6Address;
    expect(b6).toBe('fd00:cafe::42');
    const a6 = json<SbView[]>(host.cnmOk(['sandbox', 'inspect', 'a']))[0]!.NetworkSettings.Networks.six!.GlobalIPv6Address;
    expect(a6).toMatch(/^fd[0-9a-f]{2}:/);
    expect(host.exec(['ip', '-n', 'a', '-6', 'route', 'show', 'default']).stdout).toMatch(/via fd[0-9a-f:]+::1 dev eth0/);
  });

  it('forwarded IPv6 works both ways: out to the simulated internet, and in to a published port', async () => {
    // The reply is forwarded by the host onto the bridge with a foreign source address: the kernel
    // then needs a link-local address on the bridge to solicit the sandbox's neighbour entry.
    const { internet } = await withInternet(host);
    host.sh('ip addr add 2001:db8:1::1/64 dev eth0 nodad && ip -6 route add default via 2001:db8:1::254');
    internet.sh('ip addr add 2001:db8:1::254/64 dev eth0 nodad');
    expect(host.cnm(['sandbox', 'exec', 'a', '--', 'ping', '-6', '-c1', '-W2', '2001:db8:1::254']).code).toBe(0);
    const a6 = json<SbView[]>(host.cnmOk(['sandbox', 'inspect', 'a']))[0]!.NetworkSettings.Networks.six!.GlobalIPv6Address;
    expect(host.exec(['ping', '-6', '-c1', '-W2', a6]).code).toBe(0);
    // Inbound: a new connection from the internet DNATed to a sandbox the host has no neighbour entry for.
    host.cnmOk(['sandbox', 'add', 'srv6', '--network', 'six', '--dns', '127.0.0.1', '-p', '8086:80']);
    host.exec(['ip', 'netns', 'exec', 'srv6', 'sh', '-c', 'ncat -6 -l -k -p 80 --sh-exec "echo hello6" >/dev/null 2>&1 &']);
    await waitFor(() => /:80\b/.test(host.exec(['ip', 'netns', 'exec', 'srv6', 'ss', '-ltn']).stdout));
    const r = internet.exec(['ncat', '-6', '--recv-only', '-w', '3', '2001:db8:1::1', '8086']);
    expect(r.stdout.trim()).toBe('hello6');
  });
});

describe('--ip6 outside the subnet and --ip pins', () => {
  it('a pinned --ip is used, and the next automatic address skips it', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'pin', '--subnet', '10.88.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'x', '--network', 'pin', '--ip', '10.88.0.2']);
    host.cnmOk(['sandbox', 'add', 'y', '--network', 'pin']);
    expect(ipOf(host, 'x', 'pin')).toBe('10.88.0.2');
    expect(ipOf(host, 'y', 'pin')).toBe('10.88.0.3');
    expect(host.exec(['ip', '-n', 'x', '-br', 'addr', 'show', 'eth0']).stdout).toContain('10.88.0.2/24');
  });
});

describe('adopting a namespace', () => {
  it('--pid joins a running process namespace; sandbox rm leaves it alive', async () => {
    const host = await Host.create();
    const holder = host.background(['unshare', '--net', 'sleep', '300']);
    // nsenter and unshare exec what follows them, so the holder's PID is the sleep's, in its own namespace
    // once it runs sleep. Never a machine-wide pgrep: test hosts share the PID namespace with all else.
    const pid = holder.pid ?? 0;
    expect(await waitFor(() => host.exec(['cat', `/proc/${pid}/comm`]).stdout.trim() === 'sleep')).toBe(true);
    expect(host.exec(['readlink', `/proc/${pid}/ns/net`]).stdout.trim()).not.toBe(host.netnsId());
    expect(pid).toBeGreaterThan(0);
    host.cnmOk(['sandbox', 'add', 'adopted', '--pid', String(pid)]);
    const ip4 = ipOf(host, 'adopted', 'bridge');
    expect(host.exec(['nsenter', '-t', String(pid), '-n', 'ip', '-br', 'addr', 'show', 'eth0']).stdout).toContain(ip4);
    expect(host.cnm(['sandbox', 'exec', 'adopted', '--', 'ping', '-c1', '-W2', '172.17.0.1']).code).toBe(0);
    host.cnmOk(['sandbox', 'rm', 'adopted']);
    // The process and its namespace live on; cnm's interface is gone from it.
    expect(host.exec(['kill', '-0', String(pid)]).code).toBe(0);
    expect(host.exec(['nsenter', '-t', String(pid), '-n', 'ip', '-br', 'link']).stdout).not.toContain('eth0');
    expect(await waitFor(() => !/veth/.test(host.exec(['ip', '-br', 'link']).stdout))).toBe(true);
    holder.kill();
  });
});

describe('adopting a namespace file', () => {
  it('--netns PATH joins a namespace made elsewhere; sandbox rm leaves it alive and clean', async () => {
    const host = await Host.create();
    host.exec(['ip', 'netns', 'add', 'foreign']);
    host.cnmOk(['sandbox', 'add', 'adopted', '--netns', '/run/netns/foreign']);
    const addr = ipOf(host, 'adopted', 'bridge');
    // The same namespace under both names: what cnm set up is visible through the foreign one.
    expect(host.exec(['ip', '-n', 'foreign', '-br', 'addr', 'show', 'eth0']).stdout).toContain(addr);
    expect(host.exec(['ping', '-c1', '-W2', addr]).code).toBe(0);
    host.cnmOk(['sandbox', 'rm', 'adopted']);
    expect(host.exec(['ip', 'netns', 'list']).stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['foreign']);
    expect(host.exec(['ip', '-n', 'foreign', '-br', 'link']).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['lo']);
  });
});

describe('sandbox exec', () => {
  it('passes the exit code through and sees the sandbox files', async () => {
    const host = await Host.create();
    host.cnmOk(['sandbox', 'add', 's', '--network', 'none', '--hostname', 'box']);
    expect(host.cnm(['sandbox', 'exec', 's', '--', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(host.cnmOk(['sandbox', 'exec', 's', '--', 'cat', '/etc/hostname']).trim()).toBe('box');
    expect(host.cnmOk(['sandbox', 'exec', 's', '--', 'cat', '/etc/resolv.conf'])).toMatch(/^nameserver /m);
    expect(host.cnm(['sandbox', 'exec', 'nope', '--', 'true']).code).toBe(3);
  });
});

describe('sandbox rm with processes inside', () => {
  it('is refused (exit 4) unless --force, which kills them; a dry run shows the kill and changes nothing', async () => {
    const host = await Host.create();
    host.cnmOk(['sandbox', 'add', 'busy', '--network', 'none']);
    host.exec(['ip', 'netns', 'exec', 'busy', 'sh', '-c', 'sleep 300 >/dev/null 2>&1 &']);
    let pid = 0;
    expect(await waitFor(() => (pid = Number(host.exec(['ip', 'netns', 'pids', 'busy']).stdout.trim().split('\n')[0])) > 0)).toBe(true);
    const r = host.cnm(['sandbox', 'rm', 'busy']);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`cnm: sandbox "busy" has running processes (pid ${pid}); stop them or use --force\n`);
    // Nothing changed: the sandbox, its namespace and its process are all still there.
    expect(host.cnmOk(['sandbox', 'ls', '-q']).trim()).not.toBe('');
    expect(host.exec(['ip', 'netns', 'pids', 'busy']).stdout.trim()).toBe(String(pid));
    const dry = host.cnmOk(['sandbox', 'rm', '--force', '--dry-run', 'busy']);
    expect(dry.split('\n')[0]).toBe(`kill -9 ${pid}`);
    expect(dry).toContain('ip netns del busy');
    expect(host.exec(['kill', '-0', String(pid)]).code).toBe(0);
    host.cnmOk(['sandbox', 'rm', '--force', 'busy']);
    expect(await waitFor(() => host.exec(['kill', '-0', String(pid)]).code !== 0)).toBe(true);
    expect(host.cnmOk(['sandbox', 'ls', '-q']).trim()).toBe('');
  });

  it('several at once: each is refused over its own processes, the others go; --force kills each one\'s', async () => {
    const host = await Host.create();
    for (const n of ['busy1', 'idle', 'busy2']) host.cnmOk(['sandbox', 'add', n, '--network', 'none']);
    const pids: Record<string, number> = {};
    for (const n of ['busy1', 'busy2']) {
      host.exec(['ip', 'netns', 'exec', n, 'sh', '-c', 'sleep 300 >/dev/null 2>&1 &']);
      expect(await waitFor(() => (pids[n] = Number(host.exec(['ip', 'netns', 'pids', n]).stdout.trim().split('\n')[0])) > 0)).toBe(true);
    }
    const r = host.cnm(['sandbox', 'rm', 'busy1', 'idle', 'busy2']);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('idle\n');
    expect(r.stderr).toBe(['busy1', 'busy2'].map((n) => `cnm: sandbox "${n}" has running processes (pid ${pids[n]}); stop them or use --force\n`).join(''));
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']).trim().split('\n').sort()).toEqual(['busy1', 'busy2']);
    expect(host.cnmOk(['sandbox', 'rm', '--force', '--dry-run', 'busy2', 'busy1']).split('\n').slice(0, 2)).toEqual([`kill -9 ${pids.busy2}`, `kill -9 ${pids.busy1}`]);
    host.cnmOk(['sandbox', 'rm', '--force', 'busy1', 'busy2']);
    for (const n of ['busy1', 'busy2']) expect(await waitFor(() => host.exec(['kill', '-0', String(pids[n])]).code !== 0)).toBe(true);
    expect(host.cnmOk(['sandbox', 'ls', '-q']).trim()).toBe('');
  });
});

describe('net rm --force', () => {
  it('disconnects every sandbox in one batch per namespace and leaves the sandboxes alive', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'doomed', '--no-dns']);
    for (const n of ['x', 'y', 'z']) host.cnmOk(['sandbox', 'add', n, '--network', 'doomed']);
    const r = host.cnm(['net', 'rm', '--force', 'doomed', '--debug']);
    expect(r.code).toBe(0);
    // The three endpoints' host-side work is one `ip -batch`, the network's another: not one per endpoint.
    expect(r.stderr.split('\n').filter((l) => /^\+ (ip|netlink (?!nft))/.test(l))).toHaveLength(2);
    expect(await waitFor(() => !/veth|cnm-/.test(host.exec(['ip', '-br', 'link']).stdout))).toBe(true);
    for (const n of ['x', 'y', 'z']) {
      expect(host.exec(['ip', '-n', n, '-br', 'link']).stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['lo']);
      expect(host.cnmOk(['sandbox', 'exec', n, '--', 'cat', '/etc/hosts'])).not.toMatch(/^172\./m);
    }
    expect(host.cnmOk(['net', 'ls', '--format', '{{.Name}}']).split('\n')).not.toContain('doomed');
  });
});

describe('net prune', () => {
  it('removes every user network without endpoints, in one batch, and keeps the rest', async () => {
    const host = await Host.create();
    for (const n of ['idle1', 'idle2', 'used']) host.cnmOk(['net', 'create', n, '--no-dns']);
    host.cnmOk(['sandbox', 'add', 'keeper', '--network', 'used']);
    const ids = Object.fromEntries(
      ['idle1', 'idle2', 'used'].map((n) => [n, json<{ Id: string }[]>(host.cnmOk(['net', 'inspect', n]))[0]!.Id.slice(0, 11)]),
    );
    const r = host.cnm(['net', 'prune', '--debug']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['idle1', 'idle2']);
    expect(r.stderr.split('\n').filter((l) => /^\+ (ip|netlink (?!nft))/.test(l))).toHaveLength(1);
    expect(host.cnmOk(['net', 'ls', '--format', '{{.Name}}']).trim().split('\n').sort()).toEqual(['bridge', 'host', 'none', 'used']);
    const links = host.exec(['ip', '-br', 'link']).stdout;
    expect(links).not.toContain(`cnm-${ids.idle1}`);
    expect(links).not.toContain(`cnm-${ids.idle2}`);
    expect(links).toContain(`cnm-${ids.used}`);
    const rules = host.exec(['nft', 'list', 'table', 'inet', 'cnm']).stdout;
    expect(rules).not.toContain(`n-${ids.idle1}`);
    expect(rules).toContain(`n-${ids.used}`);
    expect(host.cnm(['sandbox', 'exec', 'keeper', '--', 'ping', '-c1', '-W2', json<{ IPAM: { Config: { Gateway: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'used']))[0]!.IPAM.Config[0]!.Gateway]).code).toBe(0);
    expect(host.cnmOk(['net', 'prune']).trim()).toBe('');
  });
});

describe('removing several objects at once', () => {
  it('sandbox rm and net rm remove what they can, in one batch, and report the rest (like docker rm)', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'n1', '--no-dns']);
    host.cnmOk(['net', 'create', 'n2', '--no-dns']);
    for (const sb of ['a', 'b', 'c']) host.cnmOk(['sandbox', 'add', sb, '--network', 'n1']);
    const r = host.cnm(['sandbox', 'rm', 'a', 'ghost', 'b', '--debug']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('a\nb\n');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('cnm: '))).toEqual([`cnm: sandbox "ghost" not found; see 'cnm sandbox ls'`]);
    expect(r.stderr.split('\n').filter((l) => /^\+ (ip|netlink (?!nft))/.test(l))).toHaveLength(1); // both namespaces in one ip -batch
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}}']).trim()).toBe('c');
    expect(host.exec(['ip', 'netns', 'list']).stdout.trim()).toMatch(/^c\b/);

    const n = host.cnm(['net', 'rm', 'n2', 'bridge', 'n1']);
    expect(n.code).toBe(2);
    expect(n.stdout).toBe('n2\n');
    expect(n.stderr).toBe(
      'cnm: network "bridge" is built in and cannot be removed\n' +
        'cnm: network "n1" has 1 endpoint(s) attached; disconnect them or use --force\n',
    );
    expect(host.cnmOk(['net', 'ls', '--format', '{{.Name}}']).trim().split('\n')).toEqual(['bridge', 'host', 'none', 'n1']);
  });
});

describe('network and endpoint options, as a user would combine them', () => {
  it('--gateway, --ip-range, --mtu and --label shape the network; --mac pins the interface', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'shaped', '--subnet', '10.90.0.0/24', '--gateway', '10.90.0.254', '--ip-range', '10.90.0.128/25', '--mtu', '1400', '--label', 'tier=web', '--no-dns']);
    const [net] = json<{ IPAM: { Config: unknown[] }; Labels: Record<string, string>; Options: Record<string, string> }[]>(host.cnmOk(['net', 'inspect', 'shaped']));
    expect(net!.IPAM.Config).toEqual([{ Subnet: '10.90.0.0/24', Gateway: '10.90.0.254', IPRange: '10.90.0.128/25' }]);
    expect(net!.Labels).toEqual({ tier: 'web' });
    expect(net!.Options['com.docker.network.driver.mtu']).toBe('1400');
    const bridge = net!.Options['com.docker.network.bridge.name']!;
    expect(host.exec(['ip', '-br', 'addr', 'show', bridge]).stdout).toContain('10.90.0.254/24');
    expect(json<{ mtu: number }[]>(host.exec(['ip', '-j', 'link', 'show', bridge]).stdout)[0]!.mtu).toBe(1400);

    host.cnmOk(['sandbox', 'add', 's1', '--network', 'shaped']);
    host.cnmOk(['sandbox', 'add', 's2', '--network', 'shaped', '--mac', '02:00:00:aa:bb:cc']);
    expect(ipOf(host, 's1', 'shaped')).toBe('10.90.0.128');
    const eth0 = json<{ mtu: number; address: string }[]>(host.exec(['ip', '-n', 's2', '-j', 'link', 'show', 'eth0']).stdout)[0]!;
    expect(eth0).toMatchObject({ mtu: 1400, address: '02:00:00:aa:bb:cc' });
    expect(host.exec(['ip', '-n', 's1', 'route', 'show', 'default']).stdout).toContain('via 10.90.0.254 dev eth0');
    expect(host.cnm(['sandbox', 'exec', 's1', '--', 'ping', '-c1', '-W2', ipOf(host, 's2', 'shaped')]).code).toBe(0);
  });

  it('disconnecting the network that gives the default route hands it to the next one; eth0 is reused', async () => {
    const host = await Host.create();
    host.cnmOk(['net', 'create', 'first', '--subnet', '10.91.0.0/24', '--no-dns']);
    host.cnmOk(['net', 'create', 'second', '--subnet', '10.92.0.0/24', '--no-dns']);
    host.cnmOk(['sandbox', 'add', 'm', '--network', 'first', '--network', 'second']);
    const defaultRoute = () => host.exec(['ip', '-n', 'm', 'route', 'show', 'default']).stdout.trim();
    expect(defaultRoute()).toBe('default via 10.91.0.1 dev eth0');
    host.cnmOk(['endpoint', 'disconnect', 'm', 'first']);
    expect(defaultRoute()).toBe('default via 10.92.0.1 dev eth1');
    host.cnmOk(['endpoint', 'connect', 'm', 'first']);
    const [sb] = json<SbView[]>(host.cnmOk(['sandbox', 'inspect', 'm']));
    expect(sb!.NetworkSettings.Networks.first!.Interface).toBe('eth0');
    expect(defaultRoute()).toBe('default via 10.92.0.1 dev eth1');
  });
});
