/**
 * The embedded DNS server: UDP and TCP port 53 on the gateway address of
 * every DNS-enabled network, in cnm's own (host) namespace. A query is only
 * answered when its source is an endpoint address of the network whose
 * gateway it reached: that names the asking sandbox, and so its view.
 *
 * It follows the state without restarting: a stat of state.json (at most once
 * a millisecond) before answering, so a name connected or disconnected a
 * moment ago is already right; fs.watch on the state dir, re-reading once the
 * writes have settled (SETTLE_MS), and a poll once a second as a fallback,
 * which re-reads only a state that has not changed for a whole tick (or has
 * not been read for STALE_MS). A re-read costs milliseconds of CPU with 1,000
 * sandboxes (the whole state parsed, the zone built): done at every write, or
 * every second of a burst of writes, it ran beside the commands that wrote; a
 * burst now costs one re-read, after it, unless a query asks first (then that
 * query's). Sockets of gateways that stay are never touched, so a reload
 * drops no query. With --idle-exit it leaves when no DNS network
 * with endpoints is left, or when it is the last process of the throwaway
 * mount namespace it was started in.
 *
 * Hostile or broken askers cost it nothing lasting: socket errors are counted
 * and logged (rate-limited), never fatal, and a listener whose socket was
 * torn down under it (probe.ts finds out) is bound again; TCP connections live
 * under the caps of conns.ts (per sandbox, in all, idle, lifetime) and stop
 * being read while their unread replies pass a bound, so memory stays bounded
 * whatever a client does.
 *
 * As the host's one long-lived cnm process, it also sends set-element batches
 * for short-lived commands over its control socket (exec/control-server.ts),
 * so that they never wait for the kernel to free deleted elements at exit.
 */
import { type Stats, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { CnmError, ConflictError } from '../errors.js';
import { ControlSocket } from '../exec/control-server.js';
import { netlinkLibc } from '../exec/netlink/socket.js';
import { clusterRecordsFile, dnsRunFile, stateFile } from '../paths.js';
import { Store } from '../store.js';
import { type Codec, loadCodec, respond } from './answer.js';
import { BUDGET_MS, forward, upstreams } from './forward.js';
import { claim, orphaned, unclaim, writeAddrs } from './lifecycle.js';
import { type Conn, ConnTable, TCP_LIMITS } from './conns.js';
import { tcpAlive, udpAlive } from './probe.js';
import { type Client, type ListenAddr, type RemoteName, type Zone, buildZone, canonical, clientKey, emptyZone, idle } from './records.js';
import { Settle } from './settle.js';
import { Tally } from './tally.js';
import { type UdpPort, bindUdp } from './udp.js';
import { RCODE, cacheKey, errorReply, fitUdp, replyFor, sameQuestion, udpLimit } from './wire.js';

export interface ServeOptions {
  stateDir: string;
  /** Exit when no DNS network with endpoints is left (the auto-started server). */
  idleExit: boolean;
  port?: number;
  log: (line: string) => void;
}

interface Listener {
  at: ListenAddr;
  udp?: UdpPort;
  tcp?: Server;
  bound: boolean;
  /** Why the listener is known to be broken (closed under us, or a probe was refused). */
  broken?: string;
  closing?: boolean;
}

const IDLE_GRACE_MS = 1000;
const POLL_MS = 1000;
/** How long the state dir must be quiet after a change before the watcher re-reads it. */
const SETTLE_MS = 250;
/** The longest the view goes without a re-read while the state keeps changing and nobody asks. */
const STALE_MS = 30_000;
const CACHE_MAX = 4096;
const MAX_FORWARDS = 512;
/** Every this many ticks each listener is probed from outside (a connect and a datagram). */
const PROBE_EVERY = 5;
const PROBE_MS = 500;
/** Bytes of a TCP stream kept while its queries are not read: two whole messages and a read's worth. */
const TCP_READ_MAX = 2 * (2 + 65535) + 65536;

function fingerprint(st: Stats | undefined): string {
  return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : 'none';
}

export class DnsServer {
  private zone: Zone = emptyZone();
  private readonly conns = new ConnTable<Socket>();
  readonly tally: Tally;
  private seen = '';
  /** When the state was last read (performance.now()). */
  private readAt = 0;
  /** The fingerprints at the last poll tick. */
  private polled = '';
  private lastCheck = 0;
  private readonly listeners = new Map<string, Listener>();
  private readonly cache = new Map<string, Buffer>();
  private forwards = 0;
  private servers: { list: string[]; at: number } = { list: [], at: 0 };
  private watcher?: FSWatcher;
  private readonly settle = new Settle(SETTLE_MS, () => this.refresh());
  private poll?: NodeJS.Timeout;
  private idleSince?: number;
  private stopping = false;
  private readonly store: Store;
  private readonly port: number;
  /** The control socket, when this process can send batches (the binary, as root). */
  private control?: ControlSocket;
  private resolveDone!: (code: number) => void;

  constructor(
    private readonly codec: Codec,
    private readonly opts: ServeOptions,
  ) {
    this.store = new Store(opts.stateDir);
    this.port = opts.port ?? 53;
    this.tally = new Tally(opts.log);
  }

  /** Runs until stopped (signal) or idle; resolves with the exit code. */
  run(): Promise<number> {
    const done = new Promise<number>((r) => (this.resolveDone = r));
    this.reload(true);
    try {
      this.watcher = watch(this.opts.stateDir, { persistent: false }, (_ev, file) => {
        if (!file || String(file).startsWith('state.json') || String(file).startsWith('cluster-records')) this.settle.poke();
      });
      this.watcher.on('error', () => {});
    } catch {
      /* no state dir yet: the poll covers it */
    }
    let ticks = 0;
    this.poll = setInterval(() => {
      this.sweep();
      this.heal();
      this.pollRefresh();
      if (++ticks % PROBE_EVERY === 0) void this.probe();
      if (this.opts.idleExit && ticks % 5 === 0 && orphaned()) {
        this.opts.log('cnm dns: the namespace this server was started in is gone; exiting');
        this.shutdown(0);
      }
    }, POLL_MS);
    return done;
  }

  /** Re-reads the state when state.json (or the cluster agent's records) changed; true when it did. */
  private refresh(force = false, fp = this.fingerprints()): boolean {
    if (this.stopping) return false;
    const changed = force || fp !== this.seen;
    if (changed) this.reload(false, fp);
    else this.bindMissing();
    this.checkIdle();
    return changed;
  }

  /**
   * The poll's refresh: while the state changes from one tick to the next (a burst of writes)
   * it is left to the watcher's settle and to queries, which re-read it themselves.
   */
  private pollRefresh(): void {
    if (this.stopping) return;
    const fp = this.fingerprints();
    const moving = fp !== this.polled;
    this.polled = fp;
    if (moving && fp !== this.seen && performance.now() - this.readAt < STALE_MS) this.bindMissing();
    else this.refresh(false, fp);
  }

  /** Binds a gateway that was not up yet. */
  private bindMissing(): void {
    if (this.listeners.size < this.zone.listen.length) this.sync();
  }

  private fingerprints(): string {
    return `${fingerprint(statOr(stateFile(this.opts.stateDir)))}|${fingerprint(statOr(clusterRecordsFile(this.opts.stateDir)))}`;
  }

  private reload(first: boolean, fp?: string): void {
    try {
      this.seen = fp ?? this.fingerprints();
      this.readAt = performance.now();
      this.zone = buildZone(this.store.read(), readRemoteNames(this.opts.stateDir));
      this.cache.clear();
    } catch (e) {
      // A state file caught mid-way or refused: keep answering from the last good view.
      this.opts.log(`cnm dns: cannot read the state (${(e as Error).message}); keeping the last view`);
      if (first) this.zone = emptyZone();
    }
    this.sync();
  }

  /** Binds new gateways, closes gone ones; sockets that stay are left alone. */
  private sync(): void {
    const want = new Map(this.zone.listen.map((l) => [l.address, l]));
    for (const [addr, l] of this.listeners) {
      const next = want.get(addr);
      if (next) {
        // Bound, or binding now. An address that passed to another network (removed and made
        // again) keeps its sockets: a query that arrived on them is answered on them.
        l.at = next;
        continue;
      }
      this.close(l);
      this.listeners.delete(addr);
    }
    const pending: Promise<void>[] = [];
    for (const [addr, at] of want) if (!this.listeners.has(addr)) pending.push(this.bind(at));
    void Promise.all(pending).then(() => this.publish());
  }

  private publish(): void {
    if (this.stopping) return;
    try {
      writeAddrs([...this.listeners.values()].filter((l) => l.bound).map((l) => l.at.address));
    } catch (e) {
      this.opts.log(`cnm dns: cannot write the addresses file: ${(e as Error).message}`);
    }
  }

  private async bind(at: ListenAddr): Promise<void> {
    const l: Listener = { at, bound: false };
    this.listeners.set(at.address, l);
    let udp: UdpPort | undefined;
    const tcp = createServer({ pauseOnConnect: false }, (sock) => this.onTcp(at, sock));
    const onUdpError = (e: Error) => {
      this.tally.count(`socket errors on udp ${at.address}`, e.message, Date.now());
      if ((e as NodeJS.ErrnoException).code === 'ECONNABORTED') l.broken ??= 'udp socket aborted'; // torn down under us
    };
    const ok = await Promise.all([
      bindUdp(at.family, at.address, this.port, (msg, src, port) => this.onUdp(udp!, at, msg, src, port), onUdpError).then(
        (u) => {
          udp = u;
          return true;
        },
        (e: Error) => {
          this.opts.log(`cnm dns: udp ${at.address}:${this.port}: ${e.message}`);
          return false;
        },
      ),
      new Promise<boolean>((done) => {
        tcp.once('error', (e) => {
          this.opts.log(`cnm dns: tcp ${at.address}:${this.port}: ${e.message}`);
          done(false);
        });
        tcp.listen({ host: at.address, port: this.port, ipv6Only: at.family === 6, exclusive: true }, () => done(true));
      }),
    ]);
    tcp.on('error', (e) => this.tally.count(`socket errors on tcp ${at.address}`, e.message, Date.now()));
    tcp.on('close', () => {
      if (!l.closing) l.broken ??= 'tcp listener closed';
    });
    l.udp = udp;
    l.tcp = tcp;
    if (ok[0] && ok[1] && this.listeners.get(at.address) === l && !this.stopping) {
      l.bound = true;
      this.opts.log(`cnm dns: listening on ${at.address}:${this.port}`);
    } else {
      // The address is not there yet (or taken): drop it; the next poll tries again.
      this.close(l);
      if (this.listeners.get(at.address) === l) this.listeners.delete(at.address);
    }
  }

  private close(l: Listener): void {
    l.closing = true;
    try {
      l.udp?.close();
    } catch {
      /* not bound */
    }
    l.tcp?.close();
  }

  /** Closes TCP connections past their idle or lifetime limit. */
  private sweep(): void {
    for (const c of this.conns.expired(Date.now())) {
      this.conns.drop(c);
      c.handle.destroy();
    }
  }

  /** Drops listeners whose socket broke under us; sync() binds them again. */
  private heal(): void {
    let broken = false;
    for (const [addr, l] of this.listeners) {
      if (!l.bound) continue;
      const why = l.broken ?? (l.udp?.broken() ? 'udp socket closed' : undefined);
      if (!why) continue;
      this.opts.log(`cnm dns: the listener on ${addr} broke (${why}); binding it again`);
      this.close(l);
      this.listeners.delete(addr);
      broken = true;
    }
    if (broken) this.sync();
  }

  /** Asks each bound listener from outside whether it is still there (see probe.ts). */
  private async probe(): Promise<void> {
    await Promise.all(
      [...this.listeners.values()]
        .filter((l) => l.bound && !l.broken)
        .map(async (l) => {
          const [tcp, udp] = await Promise.all([tcpAlive(l.at.address, this.port, PROBE_MS), udpAlive(l.at.address, this.port, PROBE_MS)]);
          if (!tcp) l.broken ??= 'tcp listener gone';
          if (!udp) l.broken ??= 'udp socket gone';
        }),
    );
  }

  /** The asker of a query, re-reading a state that changed since (at most once a millisecond). */
  private client(at: ListenAddr, src: string): Client | undefined {
    const now = performance.now();
    if (now - this.lastCheck >= 1) {
      this.lastCheck = now;
      this.refresh();
    }
    // After the refresh: the network that holds the address now (it may have been removed and made again).
    const net = this.listeners.get(at.address)?.at.networkId ?? at.networkId;
    const c = this.zone.clients.get(clientKey(net, src));
    if (c || !src.includes(':')) return c;
    const canon = canonical(src);
    return canon ? this.zone.clients.get(clientKey(net, canon)) : undefined;
  }

  /** The reply to a query, or 'forward', or undefined (drop). */
  private local(client: Client, msg: Buffer): Buffer | 'forward' | undefined {
    const key = cacheKey(msg);
    const ck = key === undefined ? undefined : `${client.sandboxId}|${key}`;
    const hit = ck === undefined ? undefined : this.cache.get(ck);
    if (hit) return replyFor(hit, msg);
    const out = respond(this.codec, this.zone, client, msg);
    if (out.kind === 'drop') return undefined;
    if (out.kind === 'forward') return 'forward';
    if (out.cacheable && ck !== undefined && sameQuestion(out.packet, msg)) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(ck, out.packet);
    }
    return out.packet;
  }

  /** Forwards to the sandbox's own upstreams (--dns, net create --dns), else the host's. */
  private async upstream(client: Client, msg: Buffer, tcp: boolean): Promise<Buffer> {
    if (this.forwards >= MAX_FORWARDS) return errorReply(msg, RCODE.SERVFAIL);
    const now = Date.now();
    if (now - this.servers.at > 2000) {
      this.servers = { list: upstreams(new Set(this.zone.listen.map((l) => l.address))), at: now };
    }
    this.forwards++;
    try {
      const list = client.upstreams.length > 0 ? client.upstreams : this.servers.list;
      return (await forward(msg, list, tcp, BUDGET_MS)) ?? errorReply(msg, RCODE.SERVFAIL);
    } finally {
      this.forwards--;
    }
  }

  private onUdp(sock: UdpPort, at: ListenAddr, msg: Buffer, src: string, port: number): void {
    try {
      const client = this.client(at, src);
      if (!client) return; // not a sandbox of this network: no answer at all
      const r = this.local(client, msg);
      if (r === undefined) return;
      const limit = udpLimit(msg);
      if (r !== 'forward') {
        sock.send(fitUdp(r, limit), port, src);
        return;
      }
      void this.upstream(client, msg, false).then((reply) => {
        if (!this.stopping) sock.send(fitUdp(reply, limit), port, src);
      });
    } catch (e) {
      this.opts.log(`cnm dns: internal error on a query from ${src}: ${(e as Error).message}`);
    }
  }

  private onTcp(at: ListenAddr, sock: Socket): void {
    const src = (sock.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    const client = this.client(at, src);
    if (!client) {
      sock.destroy();
      return;
    }
    const conn = this.conns.admit(client.sandboxId, sock, Date.now());
    if (typeof conn === 'string') {
      const cap = conn === 'client' ? `per-sandbox cap of ${TCP_LIMITS.perClient}` : `cap of ${TCP_LIMITS.total} in all`;
      this.tally.count(`tcp connections refused (${cap})`, `from ${src} on ${at.address}`, Date.now());
      sock.destroy();
      return;
    }
    sock.on('close', () => this.conns.drop(conn));
    sock.on('error', () => sock.destroy()); // a reset by the asker: nothing to report
    this.serveTcp(conn, sock, client, src);
  }

  /**
   * Reads length-framed queries and writes the replies in order of readiness.
   * While more than writeHigh reply bytes wait (an asker that does not read),
   * it stops reading and parsing until the socket drains; past writeMax, or
   * with more unparsed bytes than two messages, the connection is closed.
   */
  private serveTcp(conn: Conn<Socket>, sock: Socket, client: Client, src: string): void {
    let buf: Buffer = Buffer.alloc(0);
    let inflight = 0;
    let paused = false;
    const write = (reply: Buffer) => {
      if (sock.destroyed) return;
      if (sock.writableLength > TCP_LIMITS.writeMax) {
        this.tally.count('tcp connections closed (replies not read)', `from ${src}`, Date.now());
        sock.destroy();
        return;
      }
      const frame = Buffer.alloc(2 + reply.length);
      frame.writeUInt16BE(reply.length, 0);
      reply.copy(frame, 2);
      sock.write(frame);
    };
    const pump = () => {
      while (buf.length >= 2 && !sock.destroyed) {
        if (sock.writableLength > TCP_LIMITS.writeHigh) {
          if (!paused) {
            paused = true;
            sock.pause();
            sock.once('drain', () => {
              paused = false;
              sock.resume();
              pump();
            });
          }
          return;
        }
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) return;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        conn.lastQuery = Date.now();
        try {
          const r = this.local(client, msg);
          if (r === undefined) continue;
          if (r !== 'forward') {
            write(r);
            continue;
          }
          if (inflight >= TCP_LIMITS.inflight) return void sock.destroy(); // a pipelining flood of forwards
          inflight++;
          void this.upstream(client, msg, true).then((reply) => {
            inflight--;
            write(reply);
          });
        } catch (e) {
          this.opts.log(`cnm dns: internal error on a TCP query from ${src}: ${(e as Error).message}`);
          sock.destroy();
          return;
        }
      }
    };
    sock.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      if (buf.length > TCP_READ_MAX) {
        this.tally.count('tcp connections closed (queries not consumed)', `from ${src}`, Date.now());
        sock.destroy();
        return;
      }
      if (!paused) pump();
    });
  }

  private checkIdle(): void {
    if (!this.opts.idleExit || this.stopping) return;
    if (!idle(this.zone)) {
      this.idleSince = undefined;
      return;
    }
    const now = Date.now();
    this.idleSince ??= now;
    if (now - this.idleSince >= IDLE_GRACE_MS) void this.idleExit();
  }

  /**
   * Gives up the pid file first, then looks at the state once more: a sandbox
   * added in between either saw no pid file (and started a new server) or is
   * in this last read (and this server claims its place back).
   */
  private async idleExit(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await unclaim();
    let busy = false;
    try {
      busy = !idle(buildZone(this.store.read()));
    } catch {
      busy = false;
    }
    if (busy && (await claim()).ok) {
      this.stopping = false;
      this.idleSince = undefined;
      this.refresh(true);
      return;
    }
    this.shutdown(0, false);
  }

  /** Closes everything and resolves run() with `code`. */
  shutdown(code: number, release = true): void {
    this.stopping = true;
    clearInterval(this.poll);
    this.settle.cancel();
    this.watcher?.close();
    for (const l of this.listeners.values()) this.close(l);
    this.listeners.clear();
    for (const c of this.conns.all()) c.handle.destroy();
    this.control?.close();
    const finish = () => this.resolveDone(code);
    if (release) void unclaim().then(finish, finish);
    else finish();
  }

  /** Opens the control socket, where this process can send batches itself (the binary, as root, netlink not turned off). */
  async openControl(): Promise<void> {
    const c = netlinkLibc();
    if (!c) return;
    const control = await ControlSocket.listen(c, dnsRunFile('ctl'), this.opts.log, (kind, detail) => this.tally.count(kind, detail, Date.now()));
    if (this.stopping) control?.close();
    else this.control = control;
  }

  reloadNow(): void {
    this.refresh(true);
  }
}

/** The names of endpoints on other cluster hosts (none when this host is not in a cluster). */
function readRemoteNames(stateDir: string): RemoteName[] {
  try {
    const v: unknown = JSON.parse(readFileSync(clusterRecordsFile(stateDir), 'utf8'));
    return Array.isArray(v) ? (v as RemoteName[]) : [];
  } catch {
    return [];
  }
}

function statOr(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** `cnm dns serve`: claims the pid file, serves until a signal (or idle), releases it. */
export async function serve(opts: ServeOptions): Promise<number> {
  const codec = await loadCodec();
  const claimed = await claim();
  if (!claimed.ok) {
    if (opts.idleExit) return 0; // a concurrent start won: exactly one server
    throw new ConflictError(`the DNS server is already running (pid ${claimed.pid}); stop it with 'cnm dns stop'`);
  }
  const server = new DnsServer(codec, opts);
  const onStop = () => server.shutdown(0);
  // A fault in one query's path (or one the runtime raises from a socket) must not end the server for
  // every network: it is counted and logged like the socket errors, and the server goes on.
  const onFault = (e: unknown) => server.tally.count('internal errors', e instanceof Error ? e.message : String(e), Date.now());
  process.on('uncaughtException', onFault);
  process.on('unhandledRejection', onFault);
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => server.reloadNow());
  await server.openControl();
  try {
    return await server.run();
  } catch (e) {
    await unclaim();
    throw e instanceof CnmError ? e : new CnmError(`DNS server failed: ${(e as Error).message}`);
  }
}
