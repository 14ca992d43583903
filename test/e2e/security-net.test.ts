import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epOf } from '../helpers/endpoint.js';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';

/**
 * What a hostile sandbox can do to the network outside it (issue 10, items 3,
 * 7, 8, 9), with hand-built frames (test/helpers/frames.py, raw sockets) sent
 * from inside sandboxes of throwaway hosts. Each attack is shown to fail, and
 * the honest traffic next to it to keep working.
 */
const FRAMES = resolve(__dirname, '../helpers/frames.py');

const inNs = (h: Host, ns: string, argv: string[], timeoutMs?: number) => h.exec(['ip', 'netns', 'exec', ns, ...argv], timeoutMs ? { timeoutMs } : {});
const frames = (h: Host, ns: string, ...args: string[]) => {
  const r = inNs(h, ns, ['python3', FRAMES, ...args]);
  if (r.code !== 0) throw new Error(`frames.py ${args.join(' ')}: ${r.stderr}`);
};
const curl = (h: Host, url: string, ns?: string) => {
  const argv = ['curl', '-s', '-g', '-m', '3', url];
  const r = ns ? inNs(h, ns, argv) : h.exec(argv);
  return r.code === 0 ? r.stdout.trim() : `curl exit ${r.code}`;
};
/** A tiny HTTP server that answers every GET with TEXT. */
const serve = (h: Host, ns: string | undefined, port: number, text: string, bind = '0.0.0.0') => {
  const py = [
    'import http.server, socket, sys',
    'class H(http.server.BaseHTTPRequestHandler):',
    '  def do_GET(s):',
    `    b = ${JSON.stringify(text + '\n')}.encode(); s.send_response(200); s.send_header("Content-Length", str(len(b))); s.end_headers(); s.wfile.write(b)`,
    '  def log_message(s, *a): pass',
    'class S(http.server.HTTPServer):',
    `  address_family = socket.AF_INET6 if ":" in ${JSON.stringify(bind)} else socket.AF_INET`,
    `S((${JSON.stringify(bind)}, ${port}), H).serve_forever()`,
  ].join('\n');
  h.background([...(ns ? ['ip', 'netns', 'exec', ns] : []), 'python3', '-c', py]);
};
const listening = (h: Host, ns: string | undefined, port: number) =>
  waitFor(() => new RegExp(`:${port}\\s`).test((ns ? inNs(h, ns, ['ss', '-lnt']) : h.exec(['ss', '-lnt'])).stdout), 10_000, 100);
const default6 = (h: Host, ns?: string) => (ns ? inNs(h, ns, ['ip', '-6', 'route', 'show', 'default']) : h.exec(['ip', '-6', 'route', 'show', 'default'])).stdout.trim();
const addrs6 = (h: Host, ns?: string) => (ns ? inNs(h, ns, ['ip', '-6', 'addr', 'show', 'scope', 'global']) : h.exec(['ip', '-6', 'addr', 'show', 'scope', 'global'])).stdout;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const neighMacOf = (h: Host, ip: string) => h.exec(['ip', 'neigh', 'show', ip]).stdout.match(/lladdr (\S+)/)?.[1];
/**
 * Sends gratuitous ARP for IP from sandbox NS until the host's neighbour entry
 * no longer says VICTIM_MAC (at most 4 tries, 400 ms apart: the kernel ignores
 * ARP news about an entry updated less than locktime, 1 s, ago). Whether it was poisoned.
 */
async function garp(h: Host, ns: string, ip: string, victimMac: string): Promise<boolean> {
  for (let i = 0; i < 4; i++) {
    frames(h, ns, 'garp', 'eth0', ip);
    await sleep(400);
    if (neighMacOf(h, ip) !== victimMac) return true;
  }
  return false;
}

afterAll(destroyAll);

describe('router advertisements from a sandbox (CVE-2020-13401 class)', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'plain']);
    host.cnmOk(['net', 'create', 'closed', '--internal']);
    host.cnmOk(['net', 'create', 'open', '--opt', 'spoofcheck=false']);
    for (const [sb, net] of [['rogue', 'plain'], ['victim', 'plain'], ['irogue', 'closed'], ['ivictim', 'closed'], ['orogue', 'open'], ['ovictim', 'open']]) {
      host.cnmOk(['sandbox', 'add', sb!, '--network', net!, '--dns', '127.0.0.1']);
    }
  });

  it('the bridges do not accept router adverts', () => {
    for (const net of ['plain', 'closed', 'open']) {
      const br = json<{ Options: Record<string, string>; Id: string }[]>(host.cnmOk(['net', 'inspect', net]))[0]!;
      const name = host.exec(['ip', '-br', 'link']).stdout.match(new RegExp(`^(cnm-${br.Id.slice(0, 11)})`, 'm'))?.[1];
      expect(host.exec(['cat', `/proc/sys/net/ipv6/conf/${name}/accept_ra`]).stdout.trim(), net).toBe('0');
    }
  });

  it('neither the host nor a neighbour learns a route or an address, also on --internal and spoofcheck=false networks', async () => {
    // The neighbours would take a router advert (accept_ra=1, forwarding off): the bridge must not pass one.
    for (const ns of ['victim', 'ivictim', 'ovictim']) expect(inNs(host, ns, ['cat', '/proc/sys/net/ipv6/conf/eth0/accept_ra']).stdout.trim()).toBe('1');
    frames(host, 'rogue', 'ra', 'eth0', '2001:db8:1::');
    frames(host, 'irogue', 'ra', 'eth0', '2001:db8:2::');
    frames(host, 'orogue', 'ra', 'eth0', '2001:db8:3::');
    await sleep(1500);
    expect(default6(host)).toBe('');
    expect(addrs6(host)).not.toMatch(/2001:db8/);
    for (const ns of ['victim', 'ivictim', 'ovictim']) {
      expect(default6(host, ns), ns).toBe('');
      expect(addrs6(host, ns), ns).not.toMatch(/2001:db8/);
    }
  });
});

describe('published ports from sandboxes on other networks', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    await withInternet(host);
    host.cnmOk(['net', 'create', 'one']);
    host.cnmOk(['net', 'create', 'two']);
    host.cnmOk(['sandbox', 'add', 'a2', '--network', 'one', '--dns', '127.0.0.1', '-p', '18000:80']);
    host.cnmOk(['sandbox', 'add', 'a1', '--network', 'two', '--dns', '127.0.0.1']);
    serve(host, 'a2', 80, 'I AM A2');
    expect(await listening(host, 'a2', 80)).toBe(true);
  });

  it('a sandbox on another network reaches the port through the host address', () => {
    expect(curl(host, 'http://203.0.113.1:18000/', 'a1')).toBe('I AM A2');
  });

  it('isolation is otherwise unchanged: not the sandbox address, not an unpublished port', () => {
    const a2 = epOf(host, 'a2', 'one').IPAddress;
    expect(curl(host, `http://${a2}:80/`, 'a1')).toMatch(/^curl exit/);
    expect(curl(host, 'http://203.0.113.1:18001/', 'a1')).toMatch(/^curl exit/);
  });
});

describe('--internal sandboxes and the host\'s own services', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    await withInternet(host);
    host.cnmOk(['net', 'create', 'vault', '--internal', '--ipv6']);
    host.cnmOk(['sandbox', 'add', 'i1', '--network', 'vault']);
    host.cnmOk(['sandbox', 'add', 'i2', '--network', 'vault']);
    serve(host, undefined, 9999, 'HOST SERVICE', '::');
    expect(await listening(host, undefined, 9999)).toBe(true);
  });

  it('the host listener answers the host itself (the probe works)', () => {
    expect(curl(host, 'http://127.0.0.1:9999/')).toBe('HOST SERVICE');
  });

  it('cannot reach a host listener on 0.0.0.0 / [::] through its gateway, nor any host address after adding its own route', () => {
    const ep = epOf(host, 'i1', 'vault');
    expect(curl(host, `http://${ep.Gateway}:9999/`, 'i1')).toMatch(/^curl exit/);
    const gw6 = host.exec(['ip', '-6', '-br', 'addr']).stdout.match(/(fd[0-9a-f:]+::1)\/64/)?.[1];
    expect(gw6).toBeTruthy();
    expect(curl(host, `http://[${gw6}]:9999/`, 'i1')).toMatch(/^curl exit/);
    expect(inNs(host, 'i1', ['ip', 'route', 'add', '203.0.113.0/24', 'via', ep.Gateway]).code).toBe(0);
    expect(curl(host, 'http://203.0.113.1:9999/', 'i1')).toMatch(/^curl exit/);
  });

  it('its embedded DNS still answers, over UDP and TCP, and its neighbour is reachable', () => {
    const ep = epOf(host, 'i1', 'vault');
    const i2 = epOf(host, 'i2', 'vault').IPAddress;
    expect(inNs(host, 'i1', ['dig', '+short', '+time=2', '+tries=1', `@${ep.Gateway}`, 'i2']).stdout.trim()).toBe(i2);
    expect(inNs(host, 'i1', ['dig', '+short', '+tcp', '+time=2', '+tries=1', `@${ep.Gateway}`, 'i2']).stdout.trim()).toBe(i2);
    expect(inNs(host, 'i1', ['getent', 'ahostsv4', 'i2']).stdout).toContain(i2);
    expect(inNs(host, 'i1', ['ping', '-c1', '-W2', i2]).code).toBe(0);
  });
});

describe('spoofing from a sandbox', () => {
  let host: Host;
  let internet: Host;
  const neighMac = (ip: string) => neighMacOf(host, ip);

  beforeAll(async () => {
    host = await Host.create();
    ({ internet } = await withInternet(host));
    host.cnmOk(['net', 'create', 'guarded', '--ipv6']);
    host.cnmOk(['net', 'create', 'loose', '--opt', 'spoofcheck=false']);
    for (const net of ['guarded', 'loose']) {
      const p = net === 'guarded' ? '18000' : '18001';
      host.cnmOk(['sandbox', 'add', `${net}-a2`, '--network', net, '--dns', '127.0.0.1', '-p', `${p}:80`]);
      host.cnmOk(['sandbox', 'add', `${net}-evil`, '--network', net, '--dns', '127.0.0.1']);
      serve(host, `${net}-a2`, 80, 'I AM A2');
      expect(await listening(host, `${net}-a2`, 80)).toBe(true);
    }
  });

  /** The impostor takes the victim's address, announces it, and serves the same port. */
  async function impersonate(net: string): Promise<{ victim: ReturnType<typeof epOf>; evil: ReturnType<typeof epOf> }> {
    const victim = epOf(host, `${net}-a2`, net);
    const evil = epOf(host, `${net}-evil`, net);
    // The host has spoken with the victim: its neighbour entry is the one to poison.
    expect(host.exec(['ping', '-c1', '-W2', victim.IPAddress]).code).toBe(0);
    expect(neighMac(victim.IPAddress)).toBe(victim.MacAddress);
    inNs(host, `${net}-evil`, ['ip', 'addr', 'add', `${victim.IPAddress}/32`, 'dev', 'eth0']);
    serve(host, `${net}-evil`, 80, 'I AM A2 (impostor)');
    expect(await listening(host, `${net}-evil`, 80)).toBe(true);
    await sleep(1000);
    await garp(host, `${net}-evil`, victim.IPAddress, victim.MacAddress);
    return { victim, evil };
  }

  it('gratuitous ARP does not poison the host, and the impostor does not take over the published port', async () => {
    const { victim } = await impersonate('guarded');
    expect(neighMac(victim.IPAddress)).toBe(victim.MacAddress);
    for (let i = 0; i < 3; i++) expect(curl(internet, 'http://203.0.113.1:18000/')).toBe('I AM A2');
  });

  it('with --opt spoofcheck=false the same attack passes (the option really turns it off)', async () => {
    const { victim, evil } = await impersonate('loose');
    expect(neighMac(victim.IPAddress)).toBe(evil.MacAddress);
    expect(curl(internet, 'http://203.0.113.1:18001/')).toBe('I AM A2 (impostor)');
  });

  it('a spoofed source IP or MAC is dropped; the real endpoint still sends', async () => {
    const victim = epOf(host, 'guarded-a2', 'guarded');
    const evil = epOf(host, 'guarded-evil', 'guarded');
    const links = json<{ address: string; addr_info: { local: string }[] }[]>(host.exec(['ip', '-j', 'addr']).stdout);
    const gwMac = links.find((l) => l.addr_info.some((a) => a.local === victim.Gateway))?.address ?? '';
    expect(gwMac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const cap = host.background(['timeout', '8', 'sh', '-c', 'exec socat -u UDP4-RECV:7777,reuseaddr - > /run/udp.log']);
    await sleep(500);
    frames(host, 'guarded-evil', 'udp', 'eth0', evil.MacAddress, victim.IPAddress, gwMac, victim.Gateway, '7777', 'SPOOFED-IP');
    frames(host, 'guarded-evil', 'udp', 'eth0', '02:00:00:00:be:ef', evil.IPAddress, gwMac, victim.Gateway, '7777', 'SPOOFED-MAC');
    frames(host, 'guarded-evil', 'udp', 'eth0', victim.MacAddress, evil.IPAddress, gwMac, victim.Gateway, '7777', 'VICTIM-MAC');
    frames(host, 'guarded-evil', 'udp', 'eth0', evil.MacAddress, evil.IPAddress, gwMac, victim.Gateway, '7777', 'HONEST');
    await waitFor(() => host.exec(['cat', '/run/udp.log']).stdout.includes('HONEST'), 3000);
    cap.kill('SIGKILL');
    const got = host.exec(['cat', '/run/udp.log']).stdout;
    expect(got).toContain('HONEST');
    expect(got).not.toMatch(/SPOOFED-IP|SPOOFED-MAC|VICTIM-MAC/);
    // The victim's MAC was not learned on the impostor's port: the bridge still sends its frames to the victim.
    expect(curl(host, `http://${victim.IPAddress}:80/`)).toBe('I AM A2');
  });

  it('IPv6: a neighbour advert for the victim\'s address is dropped; IPv6 between honest endpoints works', async () => {
    const victim = epOf(host, 'guarded-a2', 'guarded');
    const v6 = victim.GlobalIPv6Address!;
    expect(v6).toBeTruthy();
    expect(host.exec(['ping', '-6', '-c1', '-W2', v6]).code).toBe(0);
    expect(inNs(host, 'guarded-evil', ['ping', '-6', '-c1', '-W2', v6]).code).toBe(0);
    const mac6 = () => host.exec(['ip', '-6', 'neigh', 'show', v6]).stdout.match(/lladdr (\S+)/)?.[1];
    expect(mac6()).toBe(victim.MacAddress);
    frames(host, 'guarded-evil', 'na', 'eth0', v6);
    await sleep(300);
    expect(mac6()).toBe(victim.MacAddress);
  });

  it('VLAN-tagged frames are dropped (they would hide from the checks); without the check they pass', async () => {
    const leaked = async (net: string) => {
      const log = `/run/vlan-${net}.log`;
      host.background(['ip', 'netns', 'exec', `${net}-a2`, 'sh', '-c', `exec timeout 8 tcpdump -enli eth0 -c 1 vlan > ${log} 2>${log}.err`]);
      expect(await waitFor(() => host.exec(['cat', `${log}.err`]).stdout.includes('listening on'), 5000, 100)).toBe(true);
      frames(host, `${net}-evil`, 'vlan', 'eth0', 'ff:ff:ff:ff:ff:ff');
      await waitFor(() => host.exec(['cat', log]).stdout.includes('802.1Q'), 3500, 100);
      return host.exec(['cat', log]).stdout.includes('802.1Q');
    };
    expect(await leaked('loose')).toBe(true);
    expect(await leaked('guarded')).toBe(false);
  });

  it('the elements carry the endpoint\'s ID and go with it', () => {
    const tag = `cnm:ep:${epOf(host, 'guarded-evil', 'guarded').EndpointID.slice(0, 12)}`;
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).toContain(tag);
    host.cnmOk(['sandbox', 'rm', '--force', 'guarded-evil']);
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).not.toContain(tag);
  });
});

describe('reconcile knows the guard', () => {
  let host: Host;
  const veth = (sb: string) => host.exec(['ip', '-br', 'link']).stdout.match(new RegExp(`^(veth${epOf(host, sb, 'g').EndpointID.slice(0, 11)})`, 'm'))?.[1];
  const poisoned = async () => {
    const victim = epOf(host, 'v', 'g');
    host.exec(['ip', 'neigh', 'flush', 'all']);
    expect(host.exec(['ping', '-c1', '-W2', victim.IPAddress]).code).toBe(0);
    await sleep(1000);
    return garp(host, 'e', victim.IPAddress, victim.MacAddress);
  };
  const reconcile = () => host.cnmOk(['reconcile']);

  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'g']);
    host.cnmOk(['sandbox', 'add', 'v', '--network', 'g', '--dns', '127.0.0.1']);
    host.cnmOk(['sandbox', 'add', 'e', '--network', 'g', '--dns', '127.0.0.1']);
  });

  it('a deleted table comes back whole: the spoof that passed without it fails again', async () => {
    expect(await poisoned()).toBe(false);
    expect(host.exec(['nft', 'delete', 'table', 'bridge', 'cnm']).code).toBe(0);
    expect(await poisoned()).toBe(true);
    expect(reconcile()).toMatch(/repaired: bridge cnm/);
    expect(await poisoned()).toBe(false);
    expect(reconcile()).toMatch(/nothing to do/);
  });

  it('a port taken out of its group is put back; a missing element is added; one no endpoint owns is removed', async () => {
    const port = veth('e')!;
    const group = () => json<{ group: string }[]>(host.exec(['ip', '-j', 'link', 'show', port]).stdout)[0]!.group;
    expect(group()).toBe('1668181249');
    expect(host.exec(['ip', 'link', 'set', 'dev', port, 'group', 'default']).code).toBe(0);
    expect(host.exec(['nft', 'delete', 'element', 'bridge', 'cnm', 'guarded', `{ "${port}" }`]).code).toBe(0);
    expect(await poisoned()).toBe(true);
    host.exec(['nft', 'add', 'element', 'bridge', 'cnm', 'ep_ip4', '{ "veth00000000000" . 10.9.9.9 comment "cnm:ep:000000000000" }']);
    const out = reconcile();
    expect(out).toMatch(new RegExp(`${port} is in group default`));
    expect(out).toMatch(/set guarded has 0 elements of cnm:ep:/);
    expect(out).toMatch(/cnm:ep:000000000000/);
    expect(group()).toBe('1668181249');
    expect(host.exec(['nft', 'list', 'set', 'bridge', 'cnm', 'ep_ip4']).stdout).not.toContain('10.9.9.9');
    expect(await poisoned()).toBe(false);
    expect(reconcile()).toMatch(/nothing to do/);
  });
});
