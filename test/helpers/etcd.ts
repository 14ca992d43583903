/**
 * A real etcd (Debian's etcd-server) in a throwaway "store host" that is also
 * the switch of a simulated underlay (bridge br0, 198.51.100.1/24): hosts are
 * plugged into it with an address of 198.51.100.0/24 and reach the store at
 * 198.51.100.1:2379. Its data dir (and, for TLS, the certificates openssl
 * makes) live in a temp dir; etcd is stopped by its PID.
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNM, Host, waitFor } from './host.js';

export const STORE_IP = '198.51.100.1';
/** The underlay switch's own MAC (locally administered), fixed: see create(). */
export const SWITCH_MAC = '02:00:00:00:53:01';

export interface Certs {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** A client certificate signed by another CA: etcd must refuse it. */
  rogueCert: string;
  rogueKey: string;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate for the store's address, and client certificates (one from a foreign CA). */
function makeCerts(dir: string): Certs {
  const ca = (name: string) => openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  const leaf = (name: string, by: string, ext: string) => {
    openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    chmodSync(join(dir, `${name}.key`), 0o600);
  };
  ca('ca');
  ca('rogue-ca');
  // clientAuth too: etcd's JSON gateway dials etcd's own gRPC port with the server certificate.
  leaf('server', 'ca', `subjectAltName=IP:${STORE_IP}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const p = (f: string) => join(dir, f);
  return { dir, ca: p('ca.crt'), cert: p('client.crt'), key: p('client.key'), rogueCert: p('rogue.crt'), rogueKey: p('rogue.key') };
}

export class EtcdStore {
  private proc: ChildProcess | undefined;
  private next = 11;

  private constructor(
    readonly host: Host,
    readonly dir: string,
    readonly certs: Certs | undefined,
  ) {}

  /** Starts the store host, its underlay switch and etcd (with client-certificate auth when tls). */
  static async create(opts: { tls?: boolean } = {}): Promise<EtcdStore> {
    const host = await Host.create('store');
    // br0's MAC is set, not left to the kernel: a bridge without one takes the lowest MAC of its ports,
    // so it changed whenever a host's port came with a lower one, and a host that had learnt the old
    // one (another host's port's) sent to a MAC the switch takes as not its own: every store request
    // of that host timed out until its neighbour entry aged (the "etcd no answer in time" stall).
    const r = host.sh(`ip link add br0 type bridge && ip link set br0 address ${SWITCH_MAC} && ip addr add ${STORE_IP}/24 dev br0 && ip link set br0 up`);
    if (r.code !== 0) throw new Error(`store host: ${r.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), 'cnm-etcd-'));
    const store = new EtcdStore(host, dir, opts.tls ? makeCerts(dir) : undefined);
    await store.start();
    return store;
  }

  /** The URL `cnm cluster join` takes. */
  get url(): string {
    return `${this.certs ? 'etcds' : 'etcd'}://${STORE_IP}:2379`;
  }

  /** The cnm options for the client certificate (empty without TLS). */
  get tlsArgs(): string[] {
    return this.certs ? ['--cacert', this.certs.ca, '--cert', this.certs.cert, '--key', this.certs.key] : [];
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts etcd (again, on the same data dir) and waits until it serves. */
  async start(): Promise<void> {
    const scheme = this.certs ? 'https' : 'http';
    const tls = this.certs
      ? ['--cert-file', join(this.dir, 'server.crt'), '--key-file', join(this.dir, 'server.key'), '--trusted-ca-file', this.certs.ca, '--client-cert-auth']
      : [];
    this.proc = this.host.background([
      'etcd', '--name', 'store', '--data-dir', join(this.dir, 'data'),
      '--listen-client-urls', `${scheme}://${STORE_IP}:2379`, '--advertise-client-urls', `${scheme}://${STORE_IP}:2379`,
      '--listen-peer-urls', 'http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380',
      '--initial-cluster', 'store=http://127.0.0.1:2380', '--log-level', 'error', ...tls,
    ]);
    const ok = await waitFor(() => this.etcdctl(['endpoint', 'health']).code === 0, 15_000, 100);
    if (!ok) throw new Error(`etcd did not come up: ${this.etcdctl(['endpoint', 'health']).stderr}`);
  }

  /** Stops etcd by its PID and waits until it is gone. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((ok) => p.once('exit', () => ok()));
    p.kill('SIGKILL');
    await gone;
  }

  /** etcdctl (v3) against the store, from inside the store host. */
  etcdctl(args: string[]): { code: number | null; stdout: string; stderr: string } {
    const scheme = this.certs ? 'https' : 'http';
    const tls = this.certs ? ['--cacert', this.certs.ca, '--cert', this.certs.cert, '--key', this.certs.key] : [];
    return this.host.exec(['etcdctl', `--endpoints=${scheme}://${STORE_IP}:2379`, '--dial-timeout=1s', '--command-timeout=2s', ...tls, ...args], {
      env: { ETCDCTL_API: '3' },
    });
  }

  /** A counter or gauge of etcd's /metrics (e.g. etcd_debugging_mvcc_events_total: events sent to all watchers so far). */
  metric(name: string): number {
    const tls = this.certs ? ['--cacert', this.certs.ca, '--cert', this.certs.cert, '--key', this.certs.key] : [];
    const r = this.host.exec(['curl', '-sf', ...tls, `${this.certs ? 'https' : 'http'}://${STORE_IP}:2379/metrics`], { timeoutMs: 5000 });
    const line = r.stdout.split('\n').find((l) => l.startsWith(`${name} `));
    if (line === undefined) throw new Error(`etcd /metrics has no ${name} (curl: ${r.code} ${r.stderr.trim()})`);
    return Number(line.slice(name.length + 1));
  }

  /** Every key under prefix with its value, as etcdctl prints them (key line, value line). */
  dump(prefix = '/cnm/'): Map<string, string> {
    const lines = this.etcdctl(['get', '--prefix', prefix]).stdout.split('\n');
    const out = new Map<string, string>();
    for (let i = 0; i + 1 < lines.length; i += 2) out.set(lines[i]!, lines[i + 1]!);
    return out;
  }

  /** Plugs the named hosts into the underlay, in order, and joins each to the store. */
  async joinHosts(names: string[], joinArgs: string[] = []): Promise<{ hosts: Host[]; ips: string[] }> {
    const hosts: Host[] = [];
    const ips: string[] = [];
    for (const n of names) {
      const { host, ip } = await this.addHost(n);
      hosts.push(host);
      ips.push(ip);
      host.cnmOk(['cluster', 'join', this.url, '--name', n, ...this.tlsArgs, ...joinArgs]);
    }
    return { hosts, ips };
  }

  /** A new host plugged into the underlay; its address (198.51.100.11, .12, ...), or ip again for one replacing a destroyed host. */
  async addHost(name: string, ip = `198.51.100.${this.next++}`): Promise<{ host: Host; ip: string }> {
    const port = `p${ip.split('.')[3]}`;
    // A destroyed host's port goes with its namespace, which the kernel tears down a moment later.
    if (!(await waitFor(() => this.host.exec(['ip', 'link', 'show', port]).code !== 0, 10_000, 100))) throw new Error(`plug: ${port} is still there`);
    const host = await Host.create(name);
    const r = this.host.sh(`ip link add ${port} type veth peer name ul0 netns /proc/${host.pid}/ns/net && ip link set ${port} master br0 up`);
    if (r.code !== 0) throw new Error(`plug: ${r.stderr}`);
    const s = host.sh(`ip addr add ${ip}/24 dev ul0 && ip link set ul0 up`);
    if (s.code !== 0) throw new Error(`plug: ${s.stderr}`);
    return { host, ip };
  }

  /**
   * What the store host and the given hosts see of the underlay and the store, for a failure
   * message (the stall once seen: every store request of some hosts timed out for the rest of a
   * file; its cause, a stale neighbour entry for a switch whose MAC moved, is fixed in create()). Per host it tells the candidate causes apart:
   * gRPC straight to etcd (etcdctl) against etcd's JSON gateway (curl) against cnm's own client;
   * cnm's client again with the host's agent stopped (SIGSTOP, then SIGCONT); and the host's
   * sockets, neighbours, routes and firewall. Bounded: every probe has a timeout of a few seconds.
   */
  diagnose(hosts: Host[]): string {
    const out: string[] = [`etcd pid ${this.pid ?? 'none'}: ${this.pid ? this.host.exec(['kill', '-0', String(this.pid)]).code === 0 ? 'alive' : 'gone' : ''}`];
    const health = this.etcdctl(['endpoint', 'health']);
    out.push(`health from the store host: ${(health.stdout + health.stderr).trim()}`);
    const on = (h: Host, argv: string[]) => h.exec(argv, { timeoutMs: 5000 }).stdout.trim();
    out.push(`store sockets:\n${on(this.host, ['ss', '-tnp', '( sport = :2379 )'])}`);
    out.push(`store links/neigh/fdb:\n${on(this.host, ['ip', '-br', 'link'])}\n${on(this.host, ['ip', 'neigh'])}\n${on(this.host, ['bridge', 'fdb', 'show', 'br', 'br0'])}`);
    const cnmTimed = (h: Host) => {
      const t0 = Date.now();
      const r = h.exec([CNM, 'net', 'ls', '-q'], { timeoutMs: 12_000 });
      return `exit ${r.code} in ${Date.now() - t0} ms ${r.stderr.trim().slice(0, 160)}`;
    };
    for (const h of hosts) {
      const curl = h.exec(['curl', '-sS', '-m', '3', '-X', 'POST', '-d', '{"key":"Lw=="}', `http://${STORE_IP}:2379/v3/kv/range`], { timeoutMs: 5000 });
      out.push(`-- ${h.name}: gateway (curl) ${curl.code} ${(curl.stdout + curl.stderr).trim().slice(0, 160)}`);
      const grpc = h.exec(['etcdctl', `--endpoints=http://${STORE_IP}:2379`, '--dial-timeout=2s', '--command-timeout=3s', 'get', '/cnm/v1/config'], { timeoutMs: 6000, env: { ETCDCTL_API: '3' } });
      out.push(`gRPC (etcdctl) ${grpc.code} ${(grpc.stdout + grpc.stderr).trim().slice(0, 160)}`);
      out.push(`cnm net ls: ${cnmTimed(h)}`);
      const agent = on(h, ['cat', '/var/lib/cnm/cluster-agent.pid']);
      if (/^\d+$/.test(agent)) {
        h.exec(['kill', '-STOP', agent]);
        out.push(`cnm net ls with the agent (${agent}) stopped: ${cnmTimed(h)}`);
        h.exec(['kill', '-CONT', agent]);
      } else out.push('no agent');
      out.push(`ping: ${h.exec(['ping', '-c1', '-W1', STORE_IP], { timeoutMs: 5000 }).code === 0 ? 'ok' : 'fails'}`);
      out.push(`neigh/links/routes:\n${on(h, ['ip', 'neigh'])}\n${on(h, ['ip', '-br', 'link'])}\n${on(h, ['ip', 'route'])}`);
      out.push(`sockets to the store:\n${on(h, ['ss', '-tnp', '( dport = :2379 )'])}`);
      out.push(`nft:\n${on(h, ['nft', 'list', 'ruleset']).slice(0, 4000)}`);
    }
    return out.join('\n');
  }

  /** Stops etcd and removes its temp dir (the store host goes with destroyAll). */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
