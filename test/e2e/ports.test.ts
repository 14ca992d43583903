import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

/**
 * Port publishing with real traffic: a simulated internet host (203.0.113.254)
 * behind the host's uplink (203.0.113.1), sandboxes on the default bridge.
 * Sandboxes get --dns 127.0.0.1: the throwaway host has no resolver, and
 * python's http.server looks its own name up before it listens.
 */
describe('port publishing without a proxy', () => {
  let host: Host;
  let internet: Host;

  const ruleCount = () =>
    json<{ nftables: Record<string, unknown>[] }>(host.exec(['nft', '-j', 'list', 'ruleset']).stdout).nftables.filter((o) => 'rule' in o).length;
  const mapElements = (map: string) => {
    const r = host.exec(['nft', '-j', 'list', 'map', 'inet', 'cnm', map]);
    if (r.code !== 0) return -1;
    const m = json<{ nftables: { map?: { elem?: unknown[] } }[] }>(r.stdout).nftables.find((o) => o.map);
    return m?.map?.elem?.length ?? 0;
  };
  const curl = (h: Host, url: string, ns?: string) => {
    const argv = ['curl', '-s', '-g', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url];
    return h.exec(ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv).stdout;
  };
  const listening = (ns: string, port: number, proto = 't') =>
    waitFor(() => new RegExp(`:${port}\\s`).test(host.exec(['ip', 'netns', 'exec', ns, 'ss', `-ln${proto}`]).stdout), 15_000, 100);
  const idOf = (name: string) => json<{ Id: string }[]>(host.cnmOk(['sandbox', 'inspect', name]))[0]!.Id;

  beforeAll(async () => {
    host = await Host.create();
    ({ internet } = await withInternet(host));
    host.cnmOk(['sandbox', 'add', 'web', '--dns', '127.0.0.1', '-p', '8080:80']);
    host.background(['ip', 'netns', 'exec', 'web', 'sh', '-c', 'cd /run && exec python3 -u -m http.server 80 >/run/web-http.log 2>&1']);
    expect(await listening('web', 80)).toBe(true);
    host.cnmOk(['sandbox', 'add', 'other', '--dns', '127.0.0.1']);
  });
  afterAll(destroyAll);

  it('tcp: answers the internet on the uplink address, and the server sees the client\'s own address', () => {
    expect(curl(internet, 'http://203.0.113.1:8080/')).toBe('200');
    expect(host.exec(['cat', '/run/web-http.log']).stdout).toMatch(/^203\.0\.113\.254 - - .*"GET \/ HTTP/m);
    // Only the published port is let in: the neighbouring port does not reach the sandbox.
    expect(curl(internet, 'http://203.0.113.1:8081/')).toBe('000');
  });

  it('tcp: answers the host itself on 127.0.0.1 and on its uplink address', () => {
    expect(curl(host, 'http://127.0.0.1:8080/')).toBe('200');
    expect(curl(host, 'http://203.0.113.1:8080/')).toBe('200');
  });

  it('tcp: another sandbox reaches it through the host address (hairpin), with and without br_netfilter', () => {
    const knob = '/proc/sys/net/bridge/bridge-nf-call-iptables';
    const hasKnob = host.exec(['test', '-e', knob]).code === 0;
    for (const v of hasKnob ? ['0', '1'] : ['']) {
      if (v) host.exec(['sh', '-c', `echo ${v} > ${knob}`]);
      expect(curl(host, 'http://203.0.113.1:8080/', 'other'), `bridge-nf-call-iptables=${v}`).toBe('200');
    }
  });

  it('cnm port and sandbox inspect show the binding like docker port', () => {
    expect(host.cnmOk(['port', 'web'])).toBe('80/tcp -> 0.0.0.0:8080\n');
    expect(host.cnmOk(['port', 'web', '80/tcp'])).toBe('0.0.0.0:8080\n');
    expect(json(host.cnmOk(['port', 'web', '--json']))).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
    expect(json<{ NetworkSettings: { Ports: unknown } }[]>(host.cnmOk(['sandbox', 'inspect', 'web']))[0]!.NetworkSettings.Ports).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
    const r = host.cnm(['port', 'web', '81']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^cnm: .*\n$/);
  });

  it('udp with socat on a random host port that cnm port reports; the client address is preserved', async () => {
    host.cnmOk(['sandbox', 'add', 'udpbox', '--dns', '127.0.0.1', '-p', '5353/udp']);
    host.background(['ip', 'netns', 'exec', 'udpbox', 'socat', 'UDP4-RECVFROM:5353,fork', 'SYSTEM:echo pong-$SOCAT_PEERADDR']);
    expect(await listening('udpbox', 5353, 'u')).toBe(true);
    const line = host.cnmOk(['port', 'udpbox', '5353/udp']).trim();
    const m = /^0\.0\.0\.0:(\d+)$/.exec(line);
    expect(m, line).not.toBeNull();
    const port = Number(m![1]);
    const [lo, hi] = host.exec(['cat', '/proc/sys/net/ipv4/ip_local_port_range']).stdout.trim().split(/\s+/).map(Number);
    expect(port).toBeGreaterThanOrEqual(lo!);
    expect(port).toBeLessThanOrEqual(hi!);
    const ask = () => internet.exec(['sh', '-c', `echo ping | socat -T2 - UDP4:203.0.113.1:${port}`]).stdout.trim();
    let answer = '';
    await waitFor(() => (answer = ask()) !== '', 10_000, 200);
    expect(answer).toBe('pong-203.0.113.254');
  });

  it('a 1,000-port range is published in one call, and the rule count does not grow with it', async () => {
    host.cnmOk(['sandbox', 'add', 'ranger', '--dns', '127.0.0.1']);
    host.cnmOk(['sandbox', 'publish', 'ranger', '7000:7000']);
    const single = ruleCount();
    const singleElems = mapElements('dnat4');
    host.cnmOk(['sandbox', 'unpublish', 'ranger', '7000:7000']);
    const out = host.cnmOk(['sandbox', 'publish', 'ranger', '10000-10999:10000-10999']);
    expect(out.trim().split('\n')).toHaveLength(1000);
    expect(ruleCount()).toBe(single);
    expect(mapElements('dnat4')).toBe(singleElems);
    expect(host.cnmOk(['port', 'ranger']).trim().split('\n')).toHaveLength(1000);
    // A port inside the range answers on the same number: the kernel keeps it.
    host.background(['ip', 'netns', 'exec', 'ranger', 'socat', 'TCP4-LISTEN:10500,fork,reuseaddr', 'SYSTEM:echo range-$SOCAT_PEERADDR']);
    expect(await listening('ranger', 10500)).toBe(true);
    expect(internet.exec(['socat', '-T2', '-', 'TCP4:203.0.113.1:10500'], { input: '' }).stdout.trim()).toBe('range-203.0.113.254');
  });

  it('a range published under other numbers maps port to port', async () => {
    host.cnmOk(['sandbox', 'publish', 'ranger', '20000-20002:30000-30002']);
    expect(host.cnmOk(['port', 'ranger', '30001'])).toBe('0.0.0.0:20001\n');
    host.background(['ip', 'netns', 'exec', 'ranger', 'socat', 'TCP4-LISTEN:30001,fork,reuseaddr', 'SYSTEM:echo shifted']);
    expect(await listening('ranger', 30001)).toBe(true);
    expect(internet.exec(['socat', '-T2', '-', 'TCP4:203.0.113.1:20001'], { input: '' }).stdout.trim()).toBe('shifted');
  });

  it('publish and unpublish on a live sandbox', () => {
    expect(curl(internet, 'http://203.0.113.1:9090/')).toBe('000');
    expect(host.cnmOk(['sandbox', 'publish', 'web', '9090:80', '127.0.0.1:9091:80'])).toBe('80/tcp -> 0.0.0.0:9090\n80/tcp -> 127.0.0.1:9091\n');
    expect(curl(internet, 'http://203.0.113.1:9090/')).toBe('200');
    expect(curl(host, 'http://127.0.0.1:9091/')).toBe('200');
    // Published on 127.0.0.1 only: not on the uplink.
    expect(curl(internet, 'http://203.0.113.1:9091/')).toBe('000');
    host.cnmOk(['sandbox', 'unpublish', 'web', '9090:80', '127.0.0.1:9091:80']);
    expect(curl(internet, 'http://203.0.113.1:9090/')).toBe('000');
    expect(curl(host, 'http://127.0.0.1:9091/')).toBe('000');
    expect(curl(internet, 'http://203.0.113.1:8080/')).toBe('200');
    expect(host.cnmOk(['port', 'web'])).toBe('80/tcp -> 0.0.0.0:8080\n');
    const r = host.cnm(['sandbox', 'unpublish', 'web', '9090:80']);
    expect(r.code).toBe(3);
  });

  it('IPv6: a dual-stack sandbox is published on both families and answers on the host\'s IPv6 address; [::1] is refused', async () => {
    host.cnmOk(['net', 'create', 'dual', '--ipv6']);
    host.cnmOk(['sandbox', 'add', 'six', '--network', 'dual', '--dns', '127.0.0.1', '-p', '8086:80']);
    expect(host.cnmOk(['port', 'six'])).toBe('80/tcp -> 0.0.0.0:8086\n80/tcp -> [::]:8086\n');
    host.background(['ip', 'netns', 'exec', 'six', 'sh', '-c', 'cd /run && exec python3 -u -m http.server --bind :: 80 >/run/six-http.log 2>&1']);
    expect(await listening('six', 80)).toBe(true);
    const [net] = json<{ IPAM: { Config: { Subnet: string; Gateway?: string }[] } }[]>(host.cnmOk(['net', 'inspect', 'dual']));
    const gw6 = net!.IPAM.Config.find((c) => c.Subnet.includes(':'))!.Gateway!;
    // The host's own IPv6 address (its address on the bridge) is DNATed like the IPv4 ones.
    expect(curl(host, `http://[${gw6}]:8086/`)).toBe('200');
    expect(host.exec(['cat', '/run/six-http.log']).stdout).toContain(`${gw6} - - `);
    expect(curl(internet, 'http://203.0.113.1:8086/')).toBe('200');
    const r = host.cnm(['sandbox', 'publish', 'six', '[::1]:8087:80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cnm: .*IPv6 loopback.*\n$/);
    host.cnmOk(['sandbox', 'rm', '--force', 'six']);
    host.cnmOk(['net', 'rm', 'dual']);
  });

  it('ports belong to the sandbox: kept inactive across a disconnect of its last outside network, back on reconnect', async () => {
    host.cnmOk(['net', 'create', 'out1']);
    host.cnmOk(['sandbox', 'add', 'mover', '--network', 'out1', '--dns', '127.0.0.1', '-p', '8095:80']);
    host.background(['ip', 'netns', 'exec', 'mover', 'sh', '-c', 'cd /run && exec python3 -u -m http.server 80 >/run/mover-http.log 2>&1']);
    expect(await listening('mover', 80)).toBe(true);
    expect(curl(internet, 'http://203.0.113.1:8095/')).toBe('200');
    const off = host.cnm(['endpoint', 'disconnect', 'mover', 'out1']);
    expect(off.code).toBe(0);
    expect(off.stderr).toMatch(/^cnm: note: sandbox "mover" keeps its published ports \(0\.0\.0\.0:8095->80\/tcp\), inactive until it connects to a network leading outside\n$/);
    expect(curl(internet, 'http://203.0.113.1:8095/')).toBe('000');
    const [sb] = json<{ HostConfig: { PortBindings: Record<string, unknown> }; NetworkSettings: { Ports: Record<string, unknown> } }[]>(host.cnmOk(['sandbox', 'inspect', 'mover']));
    expect(Object.keys(sb!.HostConfig.PortBindings)).toEqual(['80/tcp']);
    expect(sb!.NetworkSettings.Ports).toEqual({});
    expect(host.cnmOk(['port', 'mover'])).toBe('');
    // Still the sandbox's: the host port stays reserved for it.
    const taken = host.cnm(['sandbox', 'publish', 'other', '8095:80']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('mover');
    expect(host.cnmOk(['reconcile', '--dry-run'])).not.toMatch(/ports/);
    const on = host.cnm(['endpoint', 'connect', 'mover', 'out1']);
    expect(on.code).toBe(0);
    expect(on.stderr).toBe('');
    expect(curl(internet, 'http://203.0.113.1:8095/')).toBe('200');
    expect(host.cnmOk(['reconcile', '--dry-run'])).not.toMatch(/ports/);
    // Removed while inactive: nothing of it stays, the other sandbox's ports go on answering.
    host.cnmOk(['endpoint', 'disconnect', 'mover', 'out1']);
    host.cnmOk(['sandbox', 'rm', '--force', 'mover']);
    expect(host.exec(['nft', 'list', 'ruleset']).stdout).not.toContain('8095');
    expect(curl(internet, 'http://203.0.113.1:8080/')).toBe('200');
    host.cnmOk(['net', 'rm', 'out1']);
  });

  const snapshot = () => ({
    state: host.exec(['cat', '/var/lib/cnm/state.json']).stdout,
    rules: host.exec(['nft', 'list', 'ruleset']).stdout,
  });

  it.each([
    ['port 0', '0:80'],
    ['sandbox port 0', '8080:0'],
    ['port > 65535', '65536:80'],
    ['sandbox port > 65535', '8080:70000'],
    ['inverted range', '90-80'],
    ['mismatched ranges', '8000-8002:9000-9001'],
    ['unknown protocol', '80/icmp'],
    ['bad host IP', '999.1.1.1:8080:80'],
    ['IPv6 host without brackets', '::1:8080:80'],
  ])('bad spec (%s) is exit 2, one line, nothing changed', (_why, spec) => {
    const before = snapshot();
    for (const argv of [['sandbox', 'add', 'bad', '-p', spec], ['sandbox', 'publish', 'web', '9999:80', spec]]) {
      const r = host.cnm(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^cnm: [^\n]+\n$/);
      expect(r.stdout).toBe('');
    }
    expect(snapshot()).toEqual(before);
    expect(host.exec(['ip', 'netns', 'list']).stdout).not.toMatch(/\bbad\b/);
  });

  it('conflicts (published already, or a host socket listens) are exit 4 before any change', async () => {
    host.background(['socat', 'TCP4-LISTEN:7777,reuseaddr', 'SYSTEM:true']);
    expect(await waitFor(() => /:7777\s/.test(host.exec(['ss', '-lnt']).stdout), 10_000, 100)).toBe(true);
    const before = snapshot();
    for (const argv of [
      ['sandbox', 'publish', 'other', '8080:80'],
      ['sandbox', 'publish', 'other', '9999:80', '7777:80'],
      ['sandbox', 'publish', 'other', '10990-11010:10990-11010'],
      ['sandbox', 'add', 'late', '-p', '8080:80'],
    ]) {
      const r = host.cnm(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/^cnm: [^\n]+\n$/);
    }
    expect(snapshot()).toEqual(before);
  });

  it('after sandbox rm nothing of the mapping remains (nft and state)', () => {
    const ids = ['web', 'udpbox', 'ranger'].map((n) => idOf(n).slice(0, 12));
    host.cnmOk(['sandbox', 'rm', '--force', 'web', 'udpbox', 'ranger', 'other']);
    const rules = host.exec(['nft', 'list', 'ruleset']).stdout;
    for (const id of ids) expect(rules).not.toContain(`cnm:sb:${id}`);
    expect(rules).not.toMatch(/ports-|dnat[46]|cnm:ports/);
    const state = json<{ sandboxes: unknown[] }>(host.exec(['cat', '/var/lib/cnm/state.json']).stdout);
    expect(state.sandboxes).toEqual([]);
    expect(curl(internet, 'http://203.0.113.1:8080/')).toBe('000');
  });
});
