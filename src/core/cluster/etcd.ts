/**
 * A small etcd v3 client over the JSON gateway (`/v3/kv/range`, `/v3/kv/txn`,
 * `/v3/lease/*`, `/v3/watch`, etcd 3.4+): keys and values are base64 on the
 * wire and plain strings here, int64 revisions come as decimal strings and
 * become numbers (they stay far below 2^53), lease IDs stay strings (they do
 * not). Every failure to reach or use the store is a StoreError naming the
 * store (exit 1): the command stops before it changes anything locally.
 * Endpoints are tried in order; the first that answers serves the request.
 */
import { CnmError } from '../errors.js';
import { fromUtf8, utf8 } from '../utf8.js';
import { phase } from '../runner.js';
import { type Reply, type Transport, httpTransport, type TlsFiles } from './transport.js';

/** An answer to come: read() reads it; `written` is false when the request is known not to have left this host. */
export interface Later<T> {
  readonly written: boolean;
  read(): Promise<T>;
}

export class StoreError extends CnmError {}

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** The lease the key is attached to ("0" or absent: none). */
  lease?: string;
}

export type Compare =
  | { key: string; target: 'CREATE'; result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL'; createRevision: number }
  | { key: string; target: 'MOD'; result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL'; modRevision: number }
  | { key: string; target: 'VALUE'; result: 'EQUAL' | 'NOT_EQUAL'; value: string };

export type RequestOp =
  | { put: { key: string; value: string; lease?: string } }
  | { range: { key: string; prefix?: boolean } }
  | { del: { key: string; prefix?: boolean } };

export interface Txn {
  compare: Compare[];
  success: RequestOp[];
  failure?: RequestOp[];
}

/** One response of a txn, in the order of the ops of the branch that ran (ranges give their keys). */
export interface TxnResponse {
  kvs: KeyValue[];
  deleted: number;
}

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  responses: TxnResponse[];
}

/** What a watch follows: one key, or every key under a prefix. */
export interface WatchRange {
  key: string;
  prefix?: boolean;
}

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
}

export interface ClientOptions {
  /** Base URLs: http://IP:PORT or https://IP:PORT. */
  endpoints: string[];
  tls?: TlsFiles;
  timeoutMs?: number;
  transport?: Transport;
  /** What errors call the store ("etcd://198.51.100.1:2379"). */
  label: string;
}

/** Base64 of bytes, through btoa: no Buffer (Bun builds it on its first use in a run, see utf8.ts). */
function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}

/** Only ASCII: its UTF-8 bytes are its characters, so btoa and atob take and give it as it is. */
const ascii = /^[\x00-\x7f]*$/;
const enc = (s: string) => (ascii.test(s) ? btoa(s) : base64(utf8(s)));
function dec(s: string | undefined): string {
  if (s === undefined) return '';
  const bin = atob(s);
  if (ascii.test(bin)) return bin;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return fromUtf8(bytes);
}
const num = (s: string | number | undefined) => (s === undefined ? 0 : Number(s));

/** etcd's range_end for a prefix (the first key after every key that starts with it), base64 of its bytes. */
function encEnd(prefix: string): string {
  // ASCII (cnm's keys): its last byte plus one is its last character's code plus one, at most 0x80, which btoa takes as that byte.
  if (prefix !== '' && ascii.test(prefix)) return btoa(`${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`);
  const b = utf8(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const out = b.slice(0, i + 1);
      out[i] = out[i]! + 1;
      return base64(out);
    }
  }
  return enc('\0');
}

interface WireKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}

function kvOf(w: WireKv): KeyValue {
  const kv: KeyValue = { key: dec(w.key), value: dec(w.value), createRevision: num(w.create_revision), modRevision: num(w.mod_revision), version: num(w.version) };
  if (w.lease !== undefined && w.lease !== '0') kv.lease = w.lease;
  return kv;
}

function wireRange(key: string, prefix?: boolean): Record<string, string> {
  return prefix ? { key: enc(key), range_end: encEnd(key) } : { key: enc(key) };
}

function wireOp(op: RequestOp): Record<string, unknown> {
  if ('put' in op) {
    const p: Record<string, string> = { key: enc(op.put.key), value: enc(op.put.value) };
    if (op.put.lease !== undefined) p.lease = op.put.lease;
    return { request_put: p };
  }
  if ('range' in op) return { request_range: wireRange(op.range.key, op.range.prefix) };
  return { request_delete_range: wireRange(op.del.key, op.del.prefix) };
}

function wireCompare(c: Compare): Record<string, string> {
  const out: Record<string, string> = { key: enc(c.key), target: c.target, result: c.result };
  if (c.target === 'CREATE') out.create_revision = String(c.createRevision);
  else if (c.target === 'MOD') out.mod_revision = String(c.modRevision);
  else out.value = enc(c.value);
  return out;
}

interface WireHeader {
  header?: { revision?: string };
}

export class EtcdClient {
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  /** How many requests this client sent (the benchmark counts round trips per command). */
  requests = 0;

  constructor(private readonly opts: ClientOptions) {
    this.transport = opts.transport ?? httpTransport(opts.tls);
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  get label(): string {
    return this.opts.label;
  }

  /** POSTs to each endpoint in turn until one answers; etcd's own errors are not retried elsewhere. */
  async call<T>(path: string, body: unknown): Promise<T> {
    return this.from<T>(0, path, JSON.stringify(body), 'no endpoint');
  }

  /** call() from the endpoint at index `first` on (those before it did not answer: `why`). */
  private async from<T>(first: number, path: string, text: string, why: string): Promise<T> {
    for (const base of this.opts.endpoints.slice(first)) {
      this.requests++;
      let reply;
      try {
        reply = await this.transport.post(`${base}${path}`, text, this.timeoutMs);
      } catch (e) {
        why = reachError(e);
        if (base.startsWith('https:') && /EPROTO|ECONNRESET|CERT|SSL|TLS|handshake|self.signed|verify/i.test(why)) {
          throw new StoreError(`the cluster store ${this.label} refused the TLS connection (${why}): it accepts a client certificate its CA signed; check --cacert, --cert and --key`);
        }
        continue;
      }
      return this.answer<T>(path, reply);
    }
    throw new StoreError(`the cluster store ${this.label} is unreachable (${why}); check that etcd runs and this host can reach it`);
  }

  /** An endpoint's reply: its JSON, or the store's refusal. */
  private answer<T>(path: string, reply: Reply): T {
    phase(`store ${path} (${this.requests} request(s) so far)`);
    let parsed: { error?: string; message?: string; code?: number } & T;
    try {
      parsed = JSON.parse(reply.text) as typeof parsed;
    } catch {
      throw new StoreError(`the cluster store ${this.label} answered ${path} with status ${reply.status} and no JSON; is it etcd 3.4 or newer?`);
    }
    if (reply.status !== 200 || parsed.error !== undefined) {
      const msg = parsed.message ?? parsed.error ?? `status ${reply.status}`;
      throw new StoreError(`the cluster store ${this.label} refused ${path}: ${msg}`);
    }
    return parsed;
  }

  async range(key: string, prefix = false): Promise<{ kvs: KeyValue[]; revision: number }> {
    const r = await this.call<WireHeader & { kvs?: WireKv[] }>('/v3/kv/range', wireRange(key, prefix));
    return { kvs: (r.kvs ?? []).map(kvOf), revision: num(r.header?.revision) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return (await this.range(key)).kvs[0];
  }

  async put(key: string, value: string, lease?: string): Promise<number> {
    const body: Record<string, string> = { key: enc(key), value: enc(value) };
    if (lease !== undefined) body.lease = lease;
    const r = await this.call<WireHeader>('/v3/kv/put', body);
    return num(r.header?.revision);
  }

  async delete(key: string, prefix = false): Promise<number> {
    const r = await this.call<{ deleted?: string }>('/v3/kv/deleterange', wireRange(key, prefix));
    return num(r.deleted);
  }

  async txn(t: Txn): Promise<TxnResult> {
    return txnResult(await this.call<WireTxnResult>('/v3/kv/txn', wireTxn(t)));
  }

  /**
   * A transaction written to the first endpoint at once where the transport can (send()), its
   * answer read when the returned function is called: the caller works meanwhile, and no promise
   * is left pending (a rejection nobody awaits yet would end the process). When that endpoint
   * does not answer, the others are asked in turn then, as call() does; where the transport
   * cannot write at once, the transaction is posted as txn() does (written, as far as is known).
   */
  txnLater(t: Txn): Later<TxnResult> {
    const path = '/v3/kv/txn';
    const text = JSON.stringify(wireTxn(t));
    const base = this.opts.endpoints[0];
    const sending = base === undefined ? undefined : this.transport.send?.(`${base}${path}`, text, this.timeoutMs);
    if (!sending) {
      const reply = this.txn(t).then((r) => ({ r }), (e: unknown) => ({ e }));
      return {
        written: true,
        async read() {
          const got = await reply;
          if ('e' in got) throw got.e;
          return got.r;
        },
      };
    }
    this.requests++;
    return {
      written: sending.written,
      read: async () => {
        let reply;
        try {
          reply = await sending.read();
        } catch (e) {
          return txnResult(await this.from<WireTxnResult>(1, path, text, reachError(e)));
        }
        return txnResult(this.answer<WireTxnResult>(path, reply));
      },
    };
  }

  /** A new lease; its ID (a decimal string: lease IDs do not fit a double). */
  async grant(ttlSeconds: number): Promise<string> {
    const r = await this.call<{ ID?: string }>('/v3/lease/grant', { TTL: String(ttlSeconds) });
    if (!r.ID) throw new StoreError(`the cluster store ${this.label} granted no lease`);
    return r.ID;
  }

  /** Renews a lease: its TTL in seconds, 0 when the lease is gone (expired or revoked). */
  async keepAlive(id: string): Promise<number> {
    const r = await this.call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: id });
    return num(r.result?.TTL);
  }

  /** Ends a lease and deletes every key attached to it; a lease already gone is fine. */
  async revoke(id: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
    } catch (e) {
      if (!(e instanceof StoreError && /lease not found/.test(e.message))) throw e;
    }
  }

  /**
   * Watches keys (each a key or a prefix) from a revision on, all on one stream (one
   * create_request per line of the body: the gateway sends each to etcd's watch stream), calling
   * onEvents for each batch, until signal aborts or the stream ends. Resolves with the revision
   * to resume from (the last seen + 1); throws StoreError when the store is unreachable or the
   * revision was compacted (then re-read and watch anew).
   */
  async watch(ranges: readonly WatchRange[], fromRevision: number, onEvents: (events: WatchEvent[], revision: number) => void, signal: AbortSignal): Promise<number> {
    if (!this.transport.stream) throw new StoreError('this transport cannot watch');
    const body = ranges.map((w) => JSON.stringify({ create_request: { ...wireRange(w.key, w.prefix), start_revision: String(fromRevision) } })).join('\n');
    let next = fromRevision;
    let failure: string | undefined;
    type WireWatch = { result?: WireHeader & { events?: { type?: string; kv: WireKv }[]; compact_revision?: string; canceled?: boolean }; error?: { message?: string } };
    const onLine = (line: string) => {
      let m: WireWatch;
      try {
        m = JSON.parse(line) as WireWatch;
      } catch {
        return;
      }
      if (m.error) failure = m.error.message ?? 'watch failed';
      const r = m.result;
      if (!r) return;
      if (r.compact_revision && num(r.compact_revision) > 0) failure = `revision ${fromRevision} was compacted (at ${r.compact_revision})`;
      if (r.canceled) return;
      const events = (r.events ?? []).map((e) => ({ type: e.type === 'DELETE' ? ('DELETE' as const) : ('PUT' as const), kv: kvOf(e.kv) }));
      const rev = num(r.header?.revision);
      if (events.length > 0) {
        next = Math.max(next, ...events.map((e) => e.kv.modRevision + 1));
        onEvents(events, rev);
      }
    };
    for (const base of this.opts.endpoints) {
      this.requests++;
      try {
        await this.transport.stream(`${base}/v3/watch`, body, onLine, signal);
        if (failure) throw new StoreError(`watching the cluster store ${this.label}: ${failure}`);
        return next;
      } catch (e) {
        if (e instanceof StoreError || signal.aborted) {
          if (signal.aborted) return next;
          throw e;
        }
        failure = reachError(e);
      }
    }
    throw new StoreError(`the cluster store ${this.label} is unreachable (${failure ?? 'no endpoint'})`);
  }
}

/** A short reason from a fetch/socket failure (Bun and Node word them differently). */
type WireResponse = { response_range?: { kvs?: WireKv[] }; response_delete_range?: { deleted?: string } };
type WireTxnResult = WireHeader & { succeeded?: boolean; responses?: WireResponse[] };

// Index loops, not Array map: a cluster add builds one transaction and reads one answer, and map's
// calls there made JavaScriptCore compile map on its JIT thread in every cluster add.
function wireTxn(t: Txn): Record<string, unknown> {
  const compare: Record<string, string>[] = [];
  for (let i = 0; i < t.compare.length; i++) compare.push(wireCompare(t.compare[i]!));
  const success: Record<string, unknown>[] = [];
  for (let i = 0; i < t.success.length; i++) success.push(wireOp(t.success[i]!));
  const failure: Record<string, unknown>[] = [];
  for (let i = 0; i < (t.failure?.length ?? 0); i++) failure.push(wireOp(t.failure![i]!));
  return { compare, success, failure };
}

function txnResult(r: WireTxnResult): TxnResult {
  const responses: TxnResponse[] = [];
  const wire = r.responses ?? [];
  for (let i = 0; i < wire.length; i++) {
    const x = wire[i]!;
    const kvs: KeyValue[] = [];
    const got = x.response_range?.kvs ?? [];
    for (let j = 0; j < got.length; j++) kvs.push(kvOf(got[j]!));
    responses.push({ kvs, deleted: num(x.response_delete_range?.deleted) });
  }
  return { succeeded: r.succeeded === true, revision: num(r.header?.revision), responses };
}

function reachError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause;
  const code = (e as Error & { code?: string }).code ?? cause?.code;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'no answer in time';
  if (code) return code === 'ConnectionRefused' ? 'ECONNREFUSED' : code;
  return (cause?.message ?? e.message).split('\n')[0]!;
}

export { type TlsFiles } from './transport.js';
