/**
 * Issue 17: scripts written for Docker work on cnm. Each block runs the
 * commands of one item of the issue in a throwaway host and checks what a
 * Docker user would see: inspect shapes, Go templates, help and spellings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host, destroyAll, json, waitFor, withInternet } from '../helpers/host.js';
import { digIn } from '../helpers/dig.js';

afterAll(destroyAll);

interface SbInspect {
  Id: string;
  Name: string;
  Config: { Hostname: string };
  HostConfig: { Dns: string[]; DnsSearch: string[]; DnsOptions: string[]; ExtraHosts: string[]; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> };
  NetworkSettings: {
    SandboxID: string;
    SandboxKey: string;
    Ports: Record<string, { HostIp: string; HostPort: string }[]>;
    Networks: Record<string, Record<string, unknown> & { IPAddress: string; IPPrefixLen: number; Gateway: string; NetworkID: string; EndpointID: string; MacAddress: string }>;
  };
}

describe('sandbox inspect in docker inspect\'s shape; --format is Go\'s text/template', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.71.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'web', '--network', 'front', '-p', '8080:80', '--alias', 'www', '--hostname', 'webhost']);
  });

  it('{{json .NetworkSettings.Ports}} prints the published ports (it printed <no value>)', () => {
    expect(host.cnmOk(['sandbox', 'inspect', 'web', '--format', '{{json .NetworkSettings.Ports}}'])).toBe('{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}\n');
  });

  it('has NetworkSettings, Config and HostConfig with the fields Docker has, and the values are the kernel\'s', () => {
    const [sb] = json<SbInspect[]>(host.cnmOk(['sandbox', 'inspect', 'web']));
    const net = sb!.NetworkSettings.Networks.front!;
    expect(Object.keys(net)).toEqual(expect.arrayContaining(['NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'MacAddress', 'Aliases', 'DNSNames']));
    expect(net.Gateway).toBe('10.71.0.1');
    expect(net.IPPrefixLen).toBe(24);
    expect(net.Aliases).toEqual(['www']);
    expect(net.DNSNames).toEqual(['web', 'www', sb!.Id.slice(0, 12)]);
    // What inspect says is what the kernel has: the address and MAC on eth0 in the namespace.
    const link = host.exec(['ip', '-n', 'web', '-br', 'link', 'show', 'eth0']).stdout;
    expect(link).toContain(net.MacAddress);
    expect(host.exec(['ip', '-n', 'web', '-br', 'addr', 'show', 'eth0']).stdout).toContain(`${net.IPAddress}/24`);
    expect(sb!.NetworkSettings.SandboxID).toBe(sb!.Id);
    expect(sb!.NetworkSettings.SandboxKey).toBe('/run/netns/web');
    expect(sb!.Config.Hostname).toBe('webhost');
    expect(sb!.HostConfig.PortBindings).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
    for (const k of ['Dns', 'DnsSearch', 'DnsOptions', 'ExtraHosts'] as const) expect(Array.isArray(sb!.HostConfig[k])).toBe(true);
    expect(host.cnmOk(['net', 'inspect', 'front', '--format', '{{.Id}}']).trim()).toBe(net.NetworkID);
  });

  it('docker inspect\'s documented templates work on a sandbox', () => {
    const ip = host.cnmOk(['sandbox', 'inspect', 'web', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}']).trim();
    expect(ip).toMatch(/^10\.71\.0\.\d+$/);
    expect(host.exec(['ping', '-c1', '-W2', ip]).code).toBe(0);
    expect(host.cnmOk(['sandbox', 'inspect', 'web', '--format', '{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}'])).toBe('80/tcp -> 8080\n');
    expect(host.cnmOk(['sandbox', 'inspect', 'web', '--format', '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}'])).toBe('8080\n');
    expect(host.cnmOk(['sandbox', 'inspect', 'web', '--format', '{{if .NetworkSettings.Ports}}published{{else}}none{{end}} {{upper .Name}} {{printf "%-5s|" .Config.Hostname}}'])).toBe('published WEB webhost|\n');
  });

  it('a field that does not exist is exit 2, one line naming it and what exists (not <no value>)', () => {
    const r = host.cnm(['sandbox', 'inspect', 'web', '--format', '{{json .NetworkSettings.Portz}}']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('cnm: invalid --format "{{json .NetworkSettings.Portz}}": .NetworkSettings.Portz does not exist (.NetworkSettings has: SandboxID, SandboxKey, Ports, Networks)\n');
    const n = host.cnm(['net', 'ls', '--format', '{{.Nmae}}']);
    expect(n.code).toBe(2);
    expect(n.stderr).toMatch(/^cnm: invalid --format "\{\{\.Nmae\}\}": \.Nmae does not exist \(\. has: ID, Name, Id, .*\)\n$/);
  });

  it("net ls --format 'table {{.Name}}\\t{{.Driver}}' prints a header row and aligned columns", () => {
    const out = host.cnmOk(['net', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}']);
    expect(out).toBe('NAME      DRIVER\nbridge    bridge\nhost      host\nnone      none\nfront     bridge\n');
    const ids = host.cnmOk(['net', 'ls', '--format', 'table {{.ID}}\\t{{.Name}}']).split('\n');
    expect(ids[0]).toBe('NETWORK ID     NAME');
    expect(ids[1]).toMatch(/^[0-9a-f]{12} {3}bridge$/);
    expect(host.cnmOk(['sandbox', 'ls', '--format', 'table {{.Name}}\t{{.Config.Hostname}}'])).toBe('NAME      HOSTNAME\nweb       webhost\n');
  });

  it('--format json prints one JSON object per line', () => {
    const lines = host.cnmOk(['net', 'ls', '--format', 'json']).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { Name: string }).Name)).toEqual(['bridge', 'host', 'none', 'front']);
  });
});

describe('help and mistakes', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
  });

  it('cnm net, cnm net --help, cnm help net list the group\'s subcommands (exit 0)', () => {
    const outs = [['net'], ['net', '--help'], ['help', 'net'], ['network']].map((a) => host.cnm(a));
    for (const r of outs) {
      expect(r.code).toBe(0);
      for (const sub of ['create', 'rm', 'ls', 'inspect', 'prune', 'update']) expect(r.stdout).toMatch(new RegExp(`^  cnm net ${sub}\\b`, 'm'));
      expect(r.stdout).toContain("Run 'cnm ");
    }
    expect(outs[0]!.stdout).toBe(outs[1]!.stdout);
    expect(outs[0]!.stdout).toBe(outs[2]!.stdout);
    for (const noun of ['sandbox', 'endpoint', 'dns']) expect(host.cnmOk([noun])).toContain(`cnm ${noun} `);
  });

  it('cnm help COMMAND is that command\'s help; cnm help is the whole list', () => {
    expect(host.cnmOk(['help', 'net', 'create'])).toBe(host.cnmOk(['net', 'create', '--help']));
    expect(host.cnmOk(['help'])).toBe(host.cnmOk(['--help']));
    const r = host.cnm(['help', 'bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("cnm: unknown command \"bogus\"; see 'cnm --help'\n");
  });

  it('help shows value names (--subnet CIDR), never #0', () => {
    const h = host.cnmOk(['net', 'create', '--help']);
    expect(h).toMatch(/^ {2}--subnet CIDR {2,}Subnet/m);
    expect(h).toMatch(/^ {2}--driver,-d DRIVER {2,}/m);
    expect(h).toMatch(/^ {2}--state-dir DIR {2,}/m);
    for (const args of [['net', 'create', '--help'], ['sandbox', 'add', '--help'], ['--help']]) expect(host.cnmOk(args)).not.toContain('#0');
  });

  it('an unknown command or option suggests the nearest one and names the help (exit 2)', () => {
    const cases: [string[], string][] = [
      [['net', 'creat', 'x'], `cnm: unknown command "net creat"; did you mean "net create"? See 'cnm net --help'\n`],
      [['nte', 'ls'], `cnm: unknown command "nte"; did you mean "net"? See 'cnm --help'\n`],
      [['net', 'create', 'x', '--subnt', '10.9.0.0/24'], `cnm: unknown option "--subnt" for 'cnm net create'; did you mean "--subnet"? See 'cnm net create --help'\n`],
      [['net', 'create'], `cnm: wrong arguments for 'cnm net create': expected cnm net create NAME; see 'cnm net create --help'\n`],
    ];
    for (const [args, err] of cases) {
      const r = host.cnm(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(err);
    }
    // Nothing was made by the mistakes.
    expect(host.cnmOk(['net', 'ls', '--format', '{{.Name}}'])).toBe('bridge\nhost\nnone\n');
  });

  it('-p8080:80 and --network=front parse as in Docker, and the port answers', async () => {
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.72.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'web', '--network=front', '-p8080:80', '--dns', '127.0.0.1']);
    expect(host.cnmOk(['port', 'web'])).toBe('80/tcp -> 0.0.0.0:8080\n');
    host.background(['ip', 'netns', 'exec', 'web', 'sh', '-c', 'cd /run && exec python3 -u -m http.server 80 >/dev/null 2>&1']);
    expect(await waitFor(() => /:80\s/.test(host.exec(['ip', 'netns', 'exec', 'web', 'ss', '-lnt']).stdout), 15_000, 100)).toBe(true);
    expect(host.exec(['curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8080/']).stdout).toBe('200');
    // After `--`, nothing is rewritten: the command gets -p8080 as it was typed.
    expect(host.cnmOk(['sandbox', 'exec', 'web', '--', 'echo', '-p8080:80'])).toBe('-p8080:80\n');
  });
});

describe('spellings Docker users type', () => {
  let host: Host;
  const ping = (from: string, to: string) => host.exec(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W2', to]).code;
  const ipOn = (sb: string, net: string) =>
    host.cnmOk(['sandbox', 'inspect', sb, '--format', `{{with index .NetworkSettings.Networks "${net}"}}{{.IPAddress}}{{end}}`]).trim();
  beforeAll(async () => {
    host = await Host.create();
  });

  it('built-in networks have the same IDs from the first read on; an ID copied from the first net ls works', () => {
    const first = host.cnmOk(['net', 'ls', '-q']);
    expect(host.cnmOk(['net', 'ls', '-q'])).toBe(first);
    const bridgeId = first.split('\n')[0]!;
    // Made for real by the first change: the IDs stay what the reads showed.
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.73.0.0/24', '--label', 'tier=web']);
    expect(host.cnmOk(['net', 'ls', '-q']).startsWith(first)).toBe(true);
    expect(host.cnmOk(['net', 'inspect', bridgeId.slice(0, 12), '--format', '{{.Name}}'])).toBe('bridge\n');
  });

  it('any unique ID prefix resolves, however short; an ambiguous one is exit 2', () => {
    const ids = host.cnmOk(['net', 'ls', '-q']).trim().split('\n');
    const frontId = host.cnmOk(['net', 'inspect', 'front', '--format', '{{.Id}}']).trim();
    let n = 1;
    while (ids.filter((i) => i.startsWith(frontId.slice(0, n))).length > 1) n++;
    expect(host.cnmOk(['net', 'inspect', frontId.slice(0, n), '--format', '{{.Name}}'])).toBe('front\n');
    const shared = '0123456789abcdef'.split('').find((c) => ids.filter((i) => i.startsWith(c)).length > 1);
    if (shared) expect(host.cnm(['net', 'inspect', shared]).code).toBe(2);
  });

  it('net connect NET SANDBOX and net disconnect NET SANDBOX [-f]; --mac-address', () => {
    host.cnmOk(['net', 'create', 'back', '--subnet', '10.74.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'a', '--network', 'front', '--label', 'tier=web', '--label', 'ci']);
    host.cnmOk(['sandbox', 'add', 'b', '--network', 'back']);
    expect(ping('a', ipOn('b', 'back'))).not.toBe(0);
    host.cnmOk(['net', 'connect', 'back', 'a', '--mac-address', '02:00:00:00:aa:01']);
    expect(ping('a', ipOn('b', 'back'))).toBe(0);
    expect(host.exec(['ip', '-n', 'a', 'link', 'show', 'eth1']).stdout).toContain('02:00:00:00:aa:01');
    host.cnmOk(['network', 'disconnect', 'back', 'a']);
    expect(host.exec(['ip', '-n', 'a', 'link', 'show', 'eth1']).code).not.toBe(0);
    expect(host.cnm(['net', 'disconnect', 'back', 'a']).code).toBe(3);
    expect(host.cnm(['net', 'disconnect', '-f', 'back', 'a']).code).toBe(0);
  });

  it('--filter label=/name=/driver=/type= on ls, --no-trunc, sandbox --label', () => {
    expect(host.cnmOk(['net', 'ls', '--filter', 'label=tier', '--format', '{{.Name}}'])).toBe('front\n');
    expect(host.cnmOk(['net', 'ls', '--filter', 'label=tier=db', '--format', '{{.Name}}'])).toBe('');
    expect(host.cnmOk(['net', 'ls', '--filter', 'name=ro', '--format', '{{.Name}}'])).toBe('front\n');
    expect(host.cnmOk(['net', 'ls', '--filter', 'driver=bridge', '--filter', 'type=custom', '--format', '{{.Name}}'])).toBe('front\nback\n');
    expect(host.cnmOk(['net', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}'])).toBe('bridge\nhost\nnone\n');
    const r = host.cnm(['net', 'ls', '--filter', 'colour=red']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key "colour"');
    expect(host.cnmOk(['net', 'ls', '--no-trunc', '--format', '{{.ID}}']).split('\n')[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(host.cnmOk(['net', 'ls', '--no-trunc']).split('\n')[1]).toMatch(/^[0-9a-f]{64} /);
    expect(host.cnmOk(['sandbox', 'ls', '--filter', 'label=tier=web', '--format', '{{.Name}} {{json .Config.Labels}}'])).toBe('a {"tier":"web","ci":""}\n');
    expect(host.cnmOk(['sandbox', 'ls', '--filter', 'network=back', '--format', '{{.Name}}'])).toBe('b\n');
  });

  it('ls -q and the ID column show the 12-character short ID, whole with --no-trunc; the short one resolves', () => {
    for (const noun of ['net', 'sandbox', 'endpoint']) {
      const short = host.cnmOk([noun, 'ls', '-q']).trim().split('\n');
      const whole = host.cnmOk([noun, 'ls', '-q', '--no-trunc']).trim().split('\n');
      expect(short.length, noun).toBeGreaterThan(0);
      for (const l of short) expect(l, `${noun} ls -q`).toMatch(/^[0-9a-f]{12}$/);
      for (const l of whole) expect(l, `${noun} ls -q --no-trunc`).toMatch(/^[0-9a-f]{64}$/);
      expect(whole.map((l) => l.slice(0, 12))).toEqual(short);
      const rows = host.cnmOk([noun, 'ls']).trim().split('\n').slice(1);
      expect(rows.map((r) => r.split(' ')[0])).toEqual(short);
      const wideRows = host.cnmOk([noun, 'ls', '--no-trunc']).trim().split('\n').slice(1);
      expect(wideRows.map((r) => r.split(' ')[0])).toEqual(whole);
    }
    const frontId = host.cnmOk(['net', 'ls', '-q', '--filter', 'name=front']).trim();
    expect(host.cnmOk(['net', 'inspect', frontId, '--format', '{{.Name}}'])).toBe('front\n');
    const aId = host.cnmOk(['sandbox', 'ls', '-q', '--filter', 'name=a']).trim();
    expect(host.cnmOk(['sandbox', 'inspect', aId, '--format', '{{.Name}}'])).toBe('a\n');
  });

  it('net prune -f --filter label=K prunes only what matches', () => {
    host.cnmOk(['net', 'create', 'idle-ci', '--label', 'ci=1']);
    host.cnmOk(['net', 'create', 'idle-keep']);
    expect(host.cnmOk(['net', 'prune', '-f', '--filter', 'label=ci'])).toBe('idle-ci\n');
    expect(host.cnmOk(['net', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}'])).toBe('front\nback\nidle-keep\n');
    expect(host.exec(['ip', 'link', 'show', 'type', 'bridge']).stdout.split('\n').filter((l) => /cnm-/.test(l)).length).toBe(3);
  });

  it('sandbox ls shows a sandbox whose namespace is gone as such (STATUS)', () => {
    host.cnmOk(['sandbox', 'add', 'gone', '--network', 'none']);
    host.exec(['ip', 'netns', 'del', 'gone']);
    const table = host.cnmOk(['sandbox', 'ls']);
    expect(table.split('\n')[0]).toMatch(/^SANDBOX ID\s+NAME\s+STATUS\s+NETWORKS/);
    expect(table).toMatch(/ gone +netns missing /);
    expect(table).toMatch(/ a +up /);
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Name}} {{.Status}}', '--filter', 'name=gone'])).toBe('gone netns missing\n');
    // --dry-run is a report of what it would do (as the docs say), not shell; nothing changes.
    expect(host.cnmOk(['sandbox', 'restore', 'gone', '--dry-run'])).toBe(
      'would repair: sandbox gone: namespace gone is gone -> recreate it (same addresses)\n1 problem(s) found; nothing changed (dry run)\n',
    );
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Status}}', '--filter', 'name=gone'])).toBe('netns missing\n');
    expect(host.cnmOk(['sandbox', 'restore', '--help'])).toContain('Report what would be recreated and repaired');
    host.cnmOk(['sandbox', 'restore', 'gone']);
    expect(host.cnmOk(['sandbox', 'ls', '--format', '{{.Status}}', '--filter', 'name=gone'])).toBe('up\n');
  });
});

describe('-q and --format print nothing when nothing matches (as Docker)', () => {
  it('net ls, sandbox ls, endpoint ls: -q and a plain --format print nothing at all, not an empty line; a table keeps its header', async () => {
    const host = await Host.create();
    for (const noun of ['net', 'sandbox', 'endpoint']) {
      const none = noun === 'net' ? ['--filter', 'name=nothing-has-this'] : [];
      expect(host.cnmOk([noun, 'ls', '-q', ...none]), `${noun} ls -q`).toBe('');
      expect(host.cnmOk([noun, 'ls', '--format', '{{json .}}', ...none]), `${noun} ls --format`).toBe('');
    }
    expect(host.cnmOk(['net', 'ls', '--filter', 'name=nothing-has-this', '--format', 'table {{.Name}}'])).toBe('NAME\n');
    host.cnmOk(['sandbox', 'add', 'lonely', '--network', 'none']);
    expect(host.cnmOk(['port', 'lonely'])).toBe('');
    expect(host.cnmOk(['sandbox', 'ls', '-q'])).toMatch(/^[0-9a-f]{12}\n$/);
  });
});

describe('--dns keeps the embedded DNS; --dns-search, --dns-option, --add-host, host.cnm.internal, net create --dns', () => {
  let host: Host;
  // The host's own resolv.conf names no resolver: only the upstreams given with --dns can answer.
  const env = { CNM_HOST_RESOLV_CONF: '/run/host-resolv.conf' };
  const cnm = (args: string[]) => host.cnmOk(args, { env });
  const getent = (sb: string, name: string) => host.exec(['ip', 'netns', 'exec', sb, 'getent', 'hosts', name], { timeoutMs: 20_000 });
  beforeAll(async () => {
    host = await Host.create();
    const { internet } = await withInternet(host);
    internet.background(['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=53', '--listen-address=203.0.113.254', '--bind-interfaces', '--no-resolv', '--no-hosts', '--user=root', '--pid-file=', '--address=/example.test/203.0.113.77']);
    host.exec(['sh', '-c', `: > ${env.CNM_HOST_RESOLV_CONF}`]);
    expect(await waitFor(() => /203\.0\.113\.77/.test(host.exec(['dig', '+short', '+time=1', '+tries=1', '@203.0.113.254', 'a.example.test']).stdout), 5000)).toBe(true);
    cnm(['net', 'create', 'front', '--subnet', '10.75.0.0/24']);
    cnm(['sandbox', 'add', 'b', '--network', 'front']);
  });

  it('sandbox add --dns 203.0.113.254: the embedded server stays the resolver (names resolve at once) and forwards the rest there', () => {
    cnm(['sandbox', 'add', 'a', '--network', 'front', '--dns', '203.0.113.254']);
    const rc = host.exec(['cat', '/etc/netns/a/resolv.conf']).stdout;
    expect(rc).toMatch(/^nameserver 10\.75\.0\.1$/m);
    expect(rc).not.toContain('203.0.113.254');
    const t0 = Date.now();
    expect(getent('a', 'b').stdout).toMatch(/^10\.75\.0\.\d+\s+b$/m);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(digIn(host, 'a', 'www.example.test').answers).toEqual(['203.0.113.77']);
    // b gave no --dns and the host has no resolver: the same name fails for it (the upstream is a's own).
    expect(digIn(host, 'b', 'www.example.test').status).toBe('SERVFAIL');
    expect(json<{ HostConfig: { Dns: string[] } }[]>(cnm(['sandbox', 'inspect', 'a']))[0]!.HostConfig.Dns).toEqual(['203.0.113.254']);
  });

  it('net create --dns IP: the network\'s sandboxes forward there', () => {
    cnm(['net', 'create', 'resolved', '--subnet', '10.76.0.0/24', '--dns', '203.0.113.254']);
    cnm(['sandbox', 'add', 'c', '--network', 'resolved']);
    expect(digIn(host, 'c', 'api.example.test').answers).toEqual(['203.0.113.77']);
    expect(host.cnm(['net', 'create', 'bad', '--dns', 'nine.nine']).code).toBe(2);
    // net inspect shows them (cnm's own Dns, beside EnableDNS); a network without them has none.
    expect(host.cnmOk(['net', 'inspect', 'resolved', '--format', '{{.EnableDNS}} {{json .Dns}}'])).toBe('true ["203.0.113.254"]\n');
    expect(host.cnmOk(['net', 'inspect', 'front', '--format', '{{json .Dns}}'])).toBe('[]\n');
    expect(host.cnmOk(['net', 'ls', '--filter', 'name=resolved', '--format', '{{join .Dns ","}}'])).toBe('203.0.113.254\n');
  });

  it('--dns-search and --dns-option (ndots honoured instead of ndots:0): a short name is tried in the search domain', () => {
    cnm(['sandbox', 'add', 'd', '--network', 'front', '--dns', '203.0.113.254', '--dns-search', 'example.test', '--dns-option', 'ndots:2', '--dns-option', 'timeout:1']);
    const rc = host.exec(['cat', '/etc/netns/d/resolv.conf']).stdout;
    expect(rc).toContain('search example.test\n');
    expect(rc).toContain('options ndots:2 timeout:1\n');
    expect(rc).not.toContain('ndots:0');
    expect(getent('d', 'shop').stdout).toMatch(/^203\.0\.113\.77\s+shop\.example\.test/m);
    // Without them, the embedded server's default: ndots:0 and no search.
    expect(host.exec(['cat', '/etc/netns/b/resolv.conf']).stdout).toContain('options ndots:0');
    expect(host.cnm(['sandbox', 'add', 'x', '--dns-option', 'ndots 2']).code).toBe(2);
  });

  it('--add-host NAME:IP goes into the hosts file; host.cnm.internal (and Docker\'s and Podman\'s names) is the gateway', () => {
    cnm(['sandbox', 'add', 'e', '--network', 'front', '--add-host', 'db.local:10.9.8.7', '--add-host', 'gw.local:host-gateway']);
    expect(getent('e', 'db.local').stdout).toMatch(/^10\.9\.8\.7\s+db\.local$/m);
    expect(getent('e', 'gw.local').stdout).toMatch(/^10\.75\.0\.1\s+gw\.local$/m);
    for (const n of ['host.cnm.internal', 'host.docker.internal', 'host.containers.internal']) {
      expect(getent('e', n).stdout).toMatch(/^10\.75\.0\.1\s/m);
    }
    // And the host answers there: ping the name.
    expect(host.exec(['ip', 'netns', 'exec', 'e', 'ping', '-c1', '-W2', 'host.cnm.internal']).code).toBe(0);
    expect(json<{ HostConfig: { ExtraHosts: string[] } }[]>(cnm(['sandbox', 'inspect', 'e']))[0]!.HostConfig.ExtraHosts).toEqual(['db.local:10.9.8.7', 'gw.local:host-gateway']);
    expect(host.cnm(['sandbox', 'add', 'y', '--add-host', 'nocolon']).code).toBe(2);
  });
});

describe('sandbox exec like docker exec', () => {
  let host: Host;
  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'front', '--subnet', '10.77.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'web', '--network', 'front', '--hostname', 'webhost']);
  });

  it('hostname inside prints the sandbox\'s host name; the host\'s own is untouched', () => {
    const before = host.exec(['hostname']).stdout;
    expect(host.cnmOk(['sandbox', 'exec', 'web', '--', 'hostname'])).toBe('webhost\n');
    expect(host.cnmOk(['sandbox', 'exec', 'web', '--', 'cat', '/proc/sys/kernel/hostname'])).toBe('webhost\n');
    expect(host.exec(['hostname']).stdout).toBe(before);
    // Still the sandbox's network namespace: its own address.
    expect(host.cnmOk(['sandbox', 'exec', 'web', '--', 'ip', '-br', 'addr', 'show', 'eth0'])).toMatch(/10\.77\.0\.\d+\/24/);
  });

  it('a command that is not found exits 127, like a shell; the command\'s own code and signals pass through', () => {
    const r = host.cnm(['sandbox', 'exec', 'web', '--', 'no-such-command', 'x']);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('cnm: no-such-command: command not found\n');
    expect(host.cnm(['sandbox', 'exec', 'web', '--', '/nowhere/tool']).code).toBe(127);
    expect(host.cnm(['sandbox', 'exec', 'web', '--', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(host.cnm(['sandbox', 'exec', 'web', '--', 'sh', '-c', 'kill -TERM $$']).code).toBe(143);
  });

  it('a sandbox whose namespace is gone: one line naming restore (not iproute2\'s message, exit 255)', () => {
    host.exec(['ip', 'netns', 'del', 'web']);
    const r = host.cnm(['sandbox', 'exec', 'web', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`cnm: sandbox "web" has no network namespace (/run/netns/web is gone, after a reboot or an ip netns del); run 'cnm sandbox restore web'\n`);
    host.cnmOk(['sandbox', 'restore', 'web']);
    expect(host.cnmOk(['sandbox', 'exec', 'web', '--', 'hostname'])).toBe('webhost\n');
  });
});

describe('--opt is honoured or refused', () => {
  let host: Host;
  const ipOf = (sb: string) => host.cnmOk(['sandbox', 'inspect', sb, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}']).trim();
  const ping = (from: string, to: string) => host.exec(['ip', 'netns', 'exec', from, 'ping', '-c1', '-W2', to]).code;
  beforeAll(async () => {
    host = await Host.create();
  });

  it('an unknown --opt key is exit 2, listing the known ones; nothing is made', () => {
    const r = host.cnm(['net', 'create', 'n', '--opt', 'com.docker.network.bridge.enable_frobs=true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cnm: unknown --opt "com.docker.network.bridge.enable_frobs" for a bridge network (known: com.docker.network.bridge.name, com.docker.network.bridge.enable_icc, com.docker.network.bridge.enable_ip_masquerade, com.docker.network.bridge.host_binding_ipv4, com.docker.network.driver.mtu, spoofcheck)\n');
    expect(host.cnm(['net', 'create', 'n', '--opt', 'com.docker.network.bridge.enable_icc=maybe']).code).toBe(2);
    expect(host.cnmOk(['net', 'ls', '--filter', 'type=custom', '-q']).trim()).toBe('');
  });

  it('host_binding_ipv4: -p without an address publishes on that host address only (curl to it answers, to another host address not); an address given in -p wins', async () => {
    const host = await Host.create(); // its own: another test here wires the shared host to an internet
    const { internet } = await withInternet(host);
    host.exec(['ip', 'addr', 'add', '203.0.113.2/24', 'dev', 'eth0']); // a second address of this host
    const opt = 'com.docker.network.bridge.host_binding_ipv4';
    expect(host.cnm(['net', 'create', 'bad', '-o', `${opt}=nope`]).stderr).toBe(`cnm: invalid --opt ${opt}=nope: an IPv4 address (of this host, or 0.0.0.0 for every address)\n`);
    host.cnmOk(['net', 'create', 'bound', '--subnet', '10.82.0.0/24', '-o', `${opt}=203.0.113.2`]);
    expect(host.cnmOk(['net', 'inspect', 'bound', '--format', `{{index .Options "${opt}"}}`])).toBe('203.0.113.2\n');
    host.cnmOk(['sandbox', 'add', 'b1', '--network', 'bound', '--dns', '127.0.0.1', '-p', '8090:80', '-p', '203.0.113.1:8091:80']);
    host.background(['ip', 'netns', 'exec', 'b1', 'sh', '-c', 'cd /run && exec python3 -u -m http.server 80 >/run/b1-http.log 2>&1']);
    expect(await waitFor(() => / 0\.0\.0\.0:80 /.test(host.exec(['ip', 'netns', 'exec', 'b1', 'ss', '-lnt']).stdout), 15_000, 100)).toBe(true);
    expect(host.cnmOk(['port', 'b1'])).toBe('80/tcp -> 203.0.113.1:8091\n80/tcp -> 203.0.113.2:8090\n');
    const curl = (url: string) => internet.exec(['curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', url]).stdout;
    expect(curl('http://203.0.113.2:8090/')).toBe('200');
    expect(curl('http://203.0.113.1:8090/')).toBe('000'); // not on every address
    expect(curl('http://203.0.113.1:8091/')).toBe('200'); // the address -p names
    expect(curl('http://203.0.113.2:8091/')).toBe('000');
    // A default that is not an address of this host is refused when a port would use it, saying whose it is.
    host.cnmOk(['net', 'create', 'elsewhere', '--subnet', '10.83.0.0/24', '-o', `${opt}=192.0.2.9`]);
    const r = host.cnm(['sandbox', 'add', 'b2', '--network', 'elsewhere', '-p', '8092:80']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cnm: cannot publish "8092:80" on 192.0.2.9 (network "elsewhere"'s ${opt}): not an address of this host (see 'ip addr')\n`);
  });

  it('com.docker.network.bridge.name names the bridge; driver.mtu sets the MTU', () => {
    host.cnmOk(['net', 'create', 'named', '--subnet', '10.78.0.0/24', '-o', 'com.docker.network.bridge.name=br-named', '-o', 'com.docker.network.driver.mtu=1400']);
    expect(host.exec(['ip', '-d', 'link', 'show', 'br-named']).stdout).toMatch(/mtu 1400 .*\n(.*\n)*\s+bridge /);
    expect(host.exec(['ip', '-br', 'addr', 'show', 'br-named']).stdout).toContain('10.78.0.1/24');
    host.cnmOk(['sandbox', 'add', 'n1', '--network', 'named']);
    expect(host.exec(['ip', 'link', 'show', 'master', 'br-named']).stdout).toMatch(/veth/);
    expect(host.exec(['ip', '-n', 'n1', 'link', 'show', 'eth0']).stdout).toContain('mtu 1400');
    expect(host.cnm(['net', 'create', 'again', '-o', 'com.docker.network.bridge.name=br-named']).code).toBe(4);
  });

  it('a bridge name with a dot (br.lan): its settings are its own, in --dry-run too, and reconcile finds them', () => {
    // The dots of a sysctl key are separators but for an interface's name: br.lan's accept_ra is not net/ipv6/conf/br/lan.
    const dry = host.cnmOk(['net', 'create', 'dotted', '--subnet', '10.84.0.0/24', '-o', 'com.docker.network.bridge.name=br.lan', '--dry-run']);
    expect(dry).toContain('sysctl -qw net/ipv6/conf/br.lan/accept_ra=0\n');
    host.cnmOk(['net', 'create', 'dotted', '--subnet', '10.84.0.0/24', '-o', 'com.docker.network.bridge.name=br.lan']);
    expect(host.exec(['cat', '/proc/sys/net/ipv6/conf/br.lan/accept_ra']).stdout.trim()).toBe('0');
    host.cnmOk(['sandbox', 'add', 'dot1', '--network', 'dotted']);
    expect(ping('dot1', '10.84.0.1')).toBe(0);
    const found = json<{ findings: { object: string }[] }>(host.cnmOk(['reconcile', '--dry-run', '--json'])).findings;
    expect(found.filter((f) => /dotted|dot1/.test(f.object))).toEqual([]);
    host.cnmOk(['sandbox', 'rm', 'dot1']);
    host.cnmOk(['net', 'rm', 'dotted']);
  });

  it('enable_icc=false: sandboxes on the network cannot reach each other, but reach the gateway', () => {
    host.cnmOk(['net', 'create', 'noicc', '--subnet', '10.79.0.0/24', '-o', 'com.docker.network.bridge.enable_icc=false']);
    host.cnmOk(['sandbox', 'add', 'i1', '--network', 'noicc']);
    host.cnmOk(['sandbox', 'add', 'i2', '--network', 'noicc']);
    expect(ping('i1', '10.79.0.1')).toBe(0);
    expect(ping('i1', ipOf('i2'))).not.toBe(0);
    host.cnmOk(['net', 'create', 'icc', '--subnet', '10.80.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'j1', '--network', 'icc']);
    host.cnmOk(['sandbox', 'add', 'j2', '--network', 'icc']);
    expect(ping('j1', ipOf('j2'))).toBe(0);
  });

  it('enable_ip_masquerade=false: what leaves the network keeps its source address', async () => {
    const { internet } = await withInternet(host);
    host.cnmOk(['net', 'create', 'nomasq', '--subnet', '10.81.0.0/24', '-o', 'com.docker.network.bridge.enable_ip_masquerade=false']);
    host.cnmOk(['sandbox', 'add', 'm1', '--network', 'nomasq']);
    host.cnmOk(['sandbox', 'add', 'm2', '--network', 'icc']);
    // The internet answers 10.81/10.80 through the host, so a reply comes back either way; what differs is the source it sees.
    internet.exec(['ip', 'route', 'add', '10.0.0.0/8', 'via', '203.0.113.1']);
    const seen = async (sb: string) => {
      internet.exec(['rm', '-f', '/run/cap.txt']);
      internet.background(['sh', '-c', 'exec timeout 8 tcpdump -l -n -c 1 -i any "icmp and dst host 203.0.113.254" > /run/cap.txt 2>/dev/null']);
      await new Promise((ok) => setTimeout(ok, 1000));
      host.exec(['ip', 'netns', 'exec', sb, 'ping', '-c1', '-W2', '203.0.113.254']);
      await waitFor(() => internet.exec(['cat', '/run/cap.txt']).stdout.includes('>'), 8000, 100);
      return internet.exec(['cat', '/run/cap.txt']).stdout;
    };
    expect(await seen('m1')).toMatch(/IP 10\.81\.0\.\d+ > 203\.0\.113\.254/);
    expect(await seen('m2')).toMatch(/IP 203\.0\.113\.1 > 203\.0\.113\.254/);
  });
});
