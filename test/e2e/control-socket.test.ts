/**
 * The DNS server's control socket (core/exec/control-socket.ts), which sends
 * set-element batches for short-lived commands: only root in the server's own
 * network namespace gets a batch sent; garbage, huge, slow or too many clients
 * do not stop DNS answers nor the server; a stopped or killed server costs a
 * command its bound wait at most, never its success; the socket goes with the
 * server. And the spoof check holds when the server did the work: a spoofed
 * frame is dropped after an add, and nothing of the endpoint is left after rm.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/core/exec/control-socket.js';
import type { SetElements } from '../../src/core/plan.js';
import { CNM, Host, destroyAll, json, waitFor } from '../helpers/host.js';
import { answerOrder } from '../helpers/answer-order.js';

afterAll(destroyAll);

const CTL = '/run/cnm/dns.ctl';
const FRAMES = resolve(__dirname, '../helpers/frames.py');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VIA_SERVER = /^\+ netlink nft -f - +\(\d+\.\d ms, done, by the DNS server\)$/m;
const VIA_OWN = /^\+ netlink nft -f - +\(\d+\.\d ms, done\)$/m;

interface EpView {
  EndpointID: string;
  IPAddress: string;
  MacAddress: string;
  Gateway: string;
}
const epOf = (h: Host, sb: string): EpView => {
  const v = json<{ NetworkSettings: { Networks: Record<string, EpView> } }[]>(h.cnmOk(['sandbox', 'inspect', sb]))[0]!;
  return v.NetworkSettings.Networks.n!;
};
const inNs = (h: Host, ns: string, argv: string[]) => h.exec(['ip', 'netns', 'exec', ns, ...argv]);

/** A request adding one element to the guarded set, as a client would send it. */
const probe = (ns: number): string => {
  const changes: SetElements[] = [{ verb: 'add', family: 'bridge', table: 'cnm', set: 'guarded', elements: [{ key: [{ type: 'ifname', value: 'vethprobe' }], comment: 'cnm:ep:probe' }] }];
  return Buffer.from(encodeRequest({ ns, deadline: Date.now() + 10_000, changes })).toString('base64');
};

describe('the control socket', () => {
  let host: Host;
  let ns: number;
  const serverPid = () => Number(host.exec(['cat', '/run/cnm/dns.pid']).stdout.trim());
  const guarded = () => host.exec(['nft', 'list', 'set', 'bridge', 'cnm', 'guarded']).stdout;
  /** Sends base64 bytes as the given user (argv prefix) and returns the answer as hex, '' when none. */
  const talk = (b64: string, as: string[] = []) =>
    host.exec(['sh', '-c', `base64 -d | ${as.map((w) => `'${w}'`).join(' ')} socat -t2 - UNIX-CONNECT:${CTL} | od -An -tx1`], { input: b64 }).stdout.replace(/\s+/g, ' ').trim();

  beforeAll(async () => {
    host = await Host.create();
    ns = Number(/\[(\d+)\]/.exec(host.netnsId())![1]);
    host.cnmOk(['net', 'create', 'n', '--subnet', '10.77.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'v', '--network', 'n']);
    host.cnmOk(['sandbox', 'add', 'e', '--network', 'n']);
  });

  it('is a socket of mode 0600 owned by root in the run dir', () => {
    expect(host.exec(['stat', '-c', '%a %U %F', CTL]).stdout.trim()).toBe('600 root socket');
  });

  it('sends a request of root with CAP_NET_ADMIN in its own namespaces; refuses any other uid, a sandbox, a root without the capability, a request for another namespace', () => {
    const nobody = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'];
    // The file mode keeps other users out...
    const denied = host.exec([...nobody, 'socat', '-t1', '-', `UNIX-CONNECT:${CTL}`]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Permission denied/);
    // ...and a non-root process that can pass it (CAP_DAC_OVERRIDE) is closed on without an answer.
    expect(talk(probe(ns), [...nobody, '--inh-caps', '+dac_override', '--ambient-caps', '+dac_override'])).toBe('');
    expect(guarded()).not.toContain('vethprobe');
    // Root in a sandbox (it shares the filesystem), claiming the host's namespace: closed on, nothing sent.
    expect(host.exec(['ip', 'netns', 'exec', 'e', 'sh', '-c', `base64 -d | socat -t2 - UNIX-CONNECT:${CTL} | od -An -tx1`], { input: probe(ns) }).stdout.trim()).toBe('');
    // Root without CAP_NET_ADMIN: the same.
    expect(talk(probe(ns), ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin'])).toBe('');
    expect(guarded()).not.toContain('vethprobe');
    // Root, but its request means another namespace's table: refused, not sent.
    expect(talk(probe(ns + 1))).toBe('00 00 00 01 00 00 00 00');
    expect(guarded()).not.toContain('vethprobe');
    // The same request from root in this namespace is sent.
    expect(talk(probe(ns))).toBe('00 00 00 00 00 00 00 00');
    expect(guarded()).toContain('"vethprobe" comment "cnm:ep:probe"');
    expect(host.exec(['nft', 'delete element bridge cnm guarded { "vethprobe" }']).code).toBe(0);
  });

  // setns(2) moves one thread: a command does its work inside a namespace it made on its main thread
  // while the server checks its connection (the add reads its answer afterwards), so /proc/PID/ns/net
  // may show the sandbox's namespace then. Any thread of the peer in the host's namespace will do (it
  // could send the batch itself); a process with every thread in a sandbox is still closed on.
  it('checks the peer by any of its threads: a main thread inside a sandbox with another thread in the host is served', () => {
    const script = [
      'import base64, ctypes, os, socket, sys, threading',
      'stay = threading.Event()',
      "if sys.argv[1] == 'thread': threading.Thread(target=stay.wait, daemon=True).start()",
      "if ctypes.CDLL(None, use_errno=True).setns(os.open('/run/netns/e', os.O_RDONLY), 0x40000000) != 0: sys.exit('setns failed')",
      's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
      's.connect(sys.argv[2])',
      "answer = b''",
      'try:',
      '    s.sendall(base64.b64decode(sys.stdin.read()))',
      '    while chunk := s.recv(64): answer += chunk',
      'except (BrokenPipeError, ConnectionResetError): pass  # closed on',
      "print(os.readlink('/proc/self/ns/net'), answer.hex())",
    ].join('\n');
    const ask = (mode: string) => host.exec(['python3', '-c', script, mode, CTL], { input: probe(ns) }).stdout.trim();
    const eNs = host.exec(['ip', 'netns', 'exec', 'e', 'readlink', '/proc/self/ns/net']).stdout.trim();
    expect(ask('alone')).toBe(eNs);
    expect(guarded()).not.toContain('vethprobe');
    expect(ask('thread')).toBe(`${eNs} 0000000000000000`);
    expect(guarded()).toContain('"vethprobe" comment "cnm:ep:probe"');
    expect(host.exec(['nft', 'delete element bridge cnm guarded { "vethprobe" }']).code).toBe(0);
  });

  it('garbage, oversized, slow and too many clients stop neither DNS answers nor the server', async () => {
    const pid = serverPid();
    const v = epOf(host, 'v');
    const dig = () => inNs(host, 'e', ['dig', '+short', '+time=2', '+tries=1', `@${v.Gateway}`, 'v']).stdout.trim();
    expect(dig()).toBe(v.IPAddress);
    // Garbage and a header that claims 4 GB (followed by 8 MB) are refused at once, with an answer.
    expect(talk(Buffer.from('GET / HTTP/1.0\r\n\r\n').toString('base64'))).toBe('00 00 00 01 00 00 00 00');
    host.exec(['sh', '-c', `{ printf 'cnm\\001\\377\\377\\377\\377'; head -c 8000000 /dev/zero; } | socat -t2 - UNIX-CONNECT:${CTL} >/dev/null`]);
    // 24 clients that connect and say nothing (the server keeps 16) and half a request that never ends.
    for (let i = 0; i < 24; i++) host.background(['sh', '-c', `sleep 4 | socat -t4 - UNIX-CONNECT:${CTL}`]);
    host.background(['sh', '-c', `{ base64 -d <<'EOF' | head -c 40; sleep 4; } | socat -t4 - UNIX-CONNECT:${CTL}\n${probe(ns)}\nEOF`]);
    await sleep(200);
    for (let i = 0; i < 5; i++) {
      expect(dig()).toBe(v.IPAddress);
      await sleep(200);
    }
    // Once the silent ones are closed on (1 s after each connected), commands go through the server again.
    const held = () => host.sh("ss -xH | grep -c 'ESTAB.*dns\\.ctl' || true").stdout.trim();
    expect(await waitFor(() => held() === '0', 15_000, 100)).toBe(true);
    expect(serverPid()).toBe(pid);
    // A request the server takes after its deadline (a loaded machine: 200 ms) is refused and sent by the
    // client itself, as it should be; a server still holding the hostile clients' places refuses every one.
    // So of three tries of an add and its rm, one must go through the server both ways.
    const through: boolean[] = [];
    for (let i = 0; i < 3 && !through.some(Boolean); i++) {
      const rs = [['sandbox', 'add', 'w', '--network', 'n', '--debug'], ['sandbox', 'rm', 'w', '--debug']].map((cmd) => host.cnm(cmd));
      for (const r of rs) expect(r.code, r.stderr).toBe(0);
      through.push(rs.every((r) => VIA_SERVER.test(r.stderr)));
    }
    expect(through.some(Boolean), host.exec(['cat', '/run/cnm/dns.log']).stdout).toBe(true);
    expect(guarded()).not.toContain('vethprobe');
    const log = host.exec(['cat', '/run/cnm/dns.log']).stdout;
    expect(log).toMatch(/control connections refused \(more than 16 at once\)/);
    expect(log).toMatch(/control requests refused \(garbage\): not a cnm control request/);
    expect(log).toMatch(/control requests refused \(too large\): request of 4294967295 bytes/);
    expect(serverPid()).toBe(pid);
  });

  it('an rm writes its state while the server sends its batch: the answer is read after the state is saved, and the elements are gone', () => {
    host.cnmOk(['sandbox', 'add', 's0', '--network', 'n']);
    const tag = `cnm:ep:${epOf(host, 's0').EndpointID.slice(0, 12)}`;
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).toContain(tag);
    const r = host.exec(['strace', '-qq', '-e', 'trace=connect,sendto,recvfrom,renameat2,umount2,unlinkat', '-e', 'signal=none', CNM, 'sandbox', 'rm', 's0']);
    expect(r.code, r.stderr).toBe(0);
    const calls = r.stderr.split('\n');
    const at = (re: RegExp) => calls.findIndex((l) => re.test(l));
    const connected = at(/connect\(\d+, \{sa_family=AF_UNIX, sun_path="\/run\/cnm\/dns\.ctl"\}/);
    const unmounted = at(/umount2\("\/run\/netns\/s0"/);
    const unlinked = at(/unlinkat\(AT_FDCWD, "\/run\/netns\/s0", 0\)/);
    const asked = at(/sendto\(\d+, "cnm\\1/);
    const saved = at(/renameat2\(.*"\/var\/lib\/cnm\/state\.json"/);
    const answered = at(/recvfrom\(\d+, "\\0\\0\\0\\0\\0\\0\\0\\0", 8/);
    // Connected before the namespace goes (the server accepts it and checks the peer meanwhile),
    // the batch sent only once it is gone: nothing of the sandbox is unguarded while it could still send.
    expect(connected, r.stderr).toBeGreaterThanOrEqual(0);
    expect(unmounted, r.stderr).toBeGreaterThan(connected);
    expect(unlinked, r.stderr).toBeGreaterThan(unmounted);
    expect(asked, r.stderr).toBeGreaterThan(unlinked);
    expect(saved, r.stderr).toBeGreaterThan(asked);
    expect(answered, r.stderr).toBeGreaterThan(saved);
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).not.toContain(tag);
  });

  it('an add reads the answer after its work inside the namespace it made; with an adopted one (a running process) before any work there', async () => {
    const order = (argv: string[]) => {
      const r = host.exec(['strace', '-qq', '-e', 'trace=connect,recvfrom,setns', '-e', 'signal=none', CNM, ...argv]);
      expect(r.code, r.stderr).toBe(0);
      const { asked, answered, inside } = answerOrder(r.stderr);
      expect(asked, r.stderr).toBeGreaterThanOrEqual(0);
      expect(answered, r.stderr).toBeGreaterThan(asked);
      expect(inside, r.stderr).toBeGreaterThan(asked);
      return { answered, inside };
    };
    const tagOf = (sb: string) => `cnm:ep:${epOf(host, sb).EndpointID.slice(0, 12)}`;
    // A namespace the add made: nothing runs there yet, so its address and routes go in while the server sends.
    const made = order(['sandbox', 'add', 'o1', '--network', 'n']);
    expect(made.answered).toBeGreaterThan(made.inside);
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).toContain(tagOf('o1'));
    // A running process's namespace: its interface comes up only once the elements are in.
    const sleeper = host.background(['unshare', '--net', 'sleep', '30']);
    try {
      expect(await waitFor(() => host.exec(['readlink', `/proc/${sleeper.pid}/ns/net`]).stdout.trim() !== host.netnsId(), 5000, 20)).toBe(true);
      const adopted = order(['sandbox', 'add', 'o2', '--network', 'n', '--pid', String(sleeper.pid)]);
      expect(adopted.answered).toBeLessThan(adopted.inside);
      expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).toContain(tagOf('o2'));
    } finally {
      sleeper.kill('SIGKILL');
    }
    host.cnmOk(['sandbox', 'rm', 'o1', 'o2', '--force']);
  });

  it("the server tells the peer's capabilities by capget, without having the kernel write out its /proc status", async () => {
    host.cnmOk(['sandbox', 'add', 's9', '--network', 'n']);
    const pid = serverPid();
    const trace = host.background(['strace', '-f', '-qq', '-e', 'trace=openat,capget,sendto', '-e', 'signal=none', '-o', '/run/ctl.trace', '-p', String(pid)]);
    const calls = () => host.exec(['cat', '/run/ctl.trace']).stdout;
    try {
      // strace says nothing when it has attached: wait until the server has a tracer.
      expect(await waitFor(() => /^TracerPid:\s+[1-9]/m.test(host.exec(['cat', `/proc/${pid}/status`]).stdout), 5000, 20)).toBe(true);
      const rm = host.cnm(['sandbox', 'rm', 's9', '--debug']);
      expect(rm.code, rm.stderr).toBe(0);
      expect(rm.stderr).toMatch(VIA_SERVER);
      // Its answer (8 bytes of zeros) is sent after the peer check.
      expect(await waitFor(() => /sendto\(\d+, "\\0\\0\\0\\0\\0\\0\\0\\0", 8/.test(calls()), 5000, 20)).toBe(true);
    } finally {
      trace.kill('SIGINT');
    }
    expect(calls()).toMatch(/capget\(\{version=_LINUX_CAPABILITY_VERSION_3, pid=\d+\}/);
    expect(calls()).not.toMatch(/\/proc\/\d+\/status/);
  });

  it('a stopped server: the command waits its bound, sends the batch itself and succeeds; the late request is refused unsent', async () => {
    host.cnmOk(['sandbox', 'add', 's1', '--network', 'n']);
    const tag = `cnm:ep:${epOf(host, 's1').EndpointID.slice(0, 12)}`;
    const pid = serverPid();
    expect(host.exec(['kill', '-STOP', String(pid)]).code).toBe(0);
    let rm;
    try {
      rm = host.cnm(['sandbox', 'rm', 's1', '--debug']);
    } finally {
      host.exec(['kill', '-CONT', String(pid)]);
    }
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(VIA_OWN);
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).not.toContain(tag);
    // Woken, the server finds the request late, or its sender gone: either way it sends nothing.
    const late = /control requests refused \(past its deadline\)|control connections refused \(the peer is gone\)/;
    expect(await waitFor(() => late.test(host.exec(['cat', '/run/cnm/dns.log']).stdout), 5000)).toBe(true);
    expect(serverPid()).toBe(pid);
  });

  it('a killed server leaves its socket: commands fall back at once and succeed; the next server takes the path over; dns stop removes it', async () => {
    const pid = serverPid();
    expect(host.exec(['kill', '-KILL', String(pid)]).code).toBe(0);
    expect(await waitFor(() => host.exec(['kill', '-0', String(pid)]).code !== 0, 5000)).toBe(true);
    expect(host.exec(['test', '-S', CTL]).code).toBe(0);
    const add = host.cnm(['sandbox', 'add', 's2', '--network', 'n', '--debug']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toMatch(VIA_OWN);
    // That add started a new server, which took the path over.
    expect(serverPid()).not.toBe(pid);
    const rm = host.cnm(['sandbox', 'rm', 's2', '--debug']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(VIA_SERVER);
    host.cnmOk(['dns', 'stop']);
    expect(host.exec(['test', '-e', CTL]).code).not.toBe(0);
  });
});

describe('the spoof check when the DNS server sends the elements', () => {
  let host: Host;

  beforeAll(async () => {
    host = await Host.create();
    host.cnmOk(['net', 'create', 'n', '--subnet', '10.78.0.0/24']);
    host.cnmOk(['sandbox', 'add', 'victim', '--network', 'n']);
  });

  it('a spoofed frame is dropped after an add; after rm nothing of the endpoint is left', async () => {
    const add = host.cnm(['sandbox', 'add', 'evil', '--network', 'n', '--debug']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toMatch(VIA_SERVER);
    const victim = epOf(host, 'victim');
    const evil = epOf(host, 'evil');
    const links = json<{ address: string; addr_info: { local: string }[] }[]>(host.exec(['ip', '-j', 'addr']).stdout);
    const gwMac = links.find((l) => l.addr_info.some((a) => a.local === victim.Gateway))?.address ?? '';
    const cap = host.background(['timeout', '8', 'sh', '-c', 'exec socat -u UDP4-RECV:7777,reuseaddr - > /run/udp.log']);
    await sleep(500);
    const send = (smac: string, sip: string, text: string) => {
      const r = inNs(host, 'evil', ['python3', FRAMES, 'udp', 'eth0', smac, sip, gwMac, victim.Gateway, '7777', text]);
      expect(r.code, r.stderr).toBe(0);
    };
    send(evil.MacAddress, victim.IPAddress, 'SPOOFED-IP');
    send('02:00:00:00:be:ef', evil.IPAddress, 'SPOOFED-MAC');
    send(evil.MacAddress, evil.IPAddress, 'HONEST');
    await waitFor(() => host.exec(['cat', '/run/udp.log']).stdout.includes('HONEST'), 3000);
    cap.kill('SIGKILL');
    const got = host.exec(['cat', '/run/udp.log']).stdout;
    expect(got).toContain('HONEST');
    expect(got).not.toMatch(/SPOOFED/);

    const tag = `cnm:ep:${evil.EndpointID.slice(0, 12)}`;
    const veth = `veth${evil.EndpointID.slice(0, 11)}`;
    expect(host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout).toContain(tag);
    const rm = host.cnm(['sandbox', 'rm', 'evil', '--debug']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stderr).toMatch(VIA_SERVER);
    const table = host.exec(['nft', 'list', 'table', 'bridge', 'cnm']).stdout;
    expect(table).not.toContain(tag);
    expect(table).not.toContain(veth);
    expect(table).toContain(`veth${victim.EndpointID.slice(0, 11)}`);
  });
});
