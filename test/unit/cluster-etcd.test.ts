/**
 * The etcd gateway client against replies recorded from etcd 3.4.23
 * (Debian's etcd-server), and the key layout and transactions it sends.
 */
import { describe, expect, it } from 'vitest';
import { EtcdClient, StoreError } from '../../src/core/cluster/etcd.js';
import { claimNetwork, keys, leaf } from '../../src/core/cluster/keys.js';
import { absent, get, put, unchangedSince } from '../../src/core/cluster/txn.js';
import { type Transport, httpReply } from '../../src/core/cluster/transport.js';

const H = '"header":{"cluster_id":"14841639068965178418","member_id":"10276657743932975437","revision":"3","raft_term":"2"}';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A transport that answers each request with the next recorded reply and keeps what was sent. */
function recorded(replies: (string | Error)[], lines: string[] = []) {
  const sent: { url: string; body: unknown }[] = [];
  const t: Transport = {
    async post(url, body) {
      sent.push({ url, body: JSON.parse(body) });
      const r = replies.shift();
      if (r === undefined) throw new Error('no more recorded replies');
      if (r instanceof Error) throw r;
      return { status: /"error"/.test(r) ? 400 : 200, text: r };
    },
    async stream(url, body, onLine) {
      sent.push({ url, body: body.split('\n').map((l) => JSON.parse(l) as unknown) });
      for (const l of lines) onLine(l);
    },
  };
  return { t, sent };
}

const client = (t: Transport, endpoints = ['http://198.51.100.1:2379']) => new EtcdClient({ endpoints, transport: t, label: 'etcd://198.51.100.1:2379' });

describe('the gateway client', () => {
  it('range decodes base64 keys and values and numeric revisions', async () => {
    const { t, sent } = recorded([`{${H},"kvs":[{"key":"L2NubS92MS94","create_revision":"2","mod_revision":"2","version":"1","value":"aGVsbG8="}],"count":"1"}`]);
    const r = await client(t).range('/cnm/v1/x');
    expect(sent[0]).toEqual({ url: 'http://198.51.100.1:2379/v3/kv/range', body: { key: b64('/cnm/v1/x') } });
    expect(r).toEqual({ revision: 3, kvs: [{ key: '/cnm/v1/x', value: 'hello', createRevision: 2, modRevision: 2, version: 1 }] });
  });

  it('keys and values beyond ASCII go as the base64 of their UTF-8 bytes, and come back the same', async () => {
    const key = '/cnm/v1/x/ünï-ß';
    const value = JSON.stringify({ aliases: ['wébé', '鯨', '🐳'] });
    const { t, sent } = recorded([`{${H}}`, `{${H},"kvs":[{"key":"${b64(key)}","create_revision":"2","mod_revision":"2","version":"1","value":"${b64(value)}"}],"count":"1"}`, `{${H}}`]);
    const c = client(t);
    await c.put(key, value);
    expect(sent[0]!.body).toEqual({ key: b64(key), value: b64(value) });
    expect(await c.get(key)).toMatchObject({ key, value });
    // The range end of a prefix whose last character takes two bytes: its last byte plus one.
    await c.range('/cnm/v1/é', true);
    expect(sent[2]!.body).toEqual({ key: b64('/cnm/v1/é'), range_end: Buffer.from([...Buffer.from('/cnm/v1/é').subarray(0, -1), 0xaa]).toString('base64') });
  });

  it('a prefix range ends at the prefix with its last byte plus one', async () => {
    const { t, sent } = recorded([`{${H}}`]);
    expect((await client(t).range('/cnm/v1/hosts/', true)).kvs).toEqual([]);
    expect(sent[0]!.body).toEqual({ key: b64('/cnm/v1/hosts/'), range_end: b64('/cnm/v1/hosts0') });
  });

  it('a create-if-absent txn that succeeds, then one that fails and reads the holder', async () => {
    const { t, sent } = recorded([
      `{${H},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]}`,
      `{${H},"responses":[{"response_range":{"header":{"revision":"3"},"kvs":[{"key":"L2E=","create_revision":"3","mod_revision":"3","version":"1","value":"MQ=="}],"count":"1"}}]}`,
    ]);
    const c = client(t);
    const txn = { compare: [absent('/a')], success: [put('/a', '1')], failure: [get('/a')] };
    expect(await c.txn(txn)).toEqual({ succeeded: true, revision: 3, responses: [{ kvs: [], deleted: 0 }] });
    const lost = await c.txn(txn);
    expect(lost.succeeded).toBe(false);
    expect(lost.responses[0]!.kvs[0]).toMatchObject({ key: '/a', value: '1', modRevision: 3 });
    expect(sent[0]!.body).toEqual({
      compare: [{ key: b64('/a'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
      success: [{ request_put: { key: b64('/a'), value: b64('1') } }],
      failure: [{ request_range: { key: b64('/a') } }],
    });
  });

  it('a compare-and-swap sends the mod_revision it read', async () => {
    const { t, sent } = recorded([`{${H},"succeeded":true,"responses":[]}`]);
    await client(t).txn({ compare: [unchangedSince('/cnm/v1/cursor/front', 7)], success: [put('/cnm/v1/cursor/front', '10.0.0.3')] });
    expect((sent[0]!.body as { compare: unknown[] }).compare[0]).toEqual({ key: b64('/cnm/v1/cursor/front'), target: 'MOD', result: 'EQUAL', mod_revision: '7' });
  });

  it('leases: grant keeps the ID a string, keepalive says 0 once the lease is gone, revoke tolerates a gone lease', async () => {
    const { t, sent } = recorded([
      `{${H},"ID":"7587899160985528072","TTL":"5"}`,
      `{"result":{${H},"ID":"7587899160985528072","TTL":"5"}}`,
      `{"result":{${H},"ID":"7587899160985528072"}}`,
      `{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}`,
    ]);
    const c = client(t);
    const id = await c.grant(5);
    expect(id).toBe('7587899160985528072');
    expect(await c.keepAlive(id)).toBe(5);
    expect(await c.keepAlive(id)).toBe(0);
    await c.revoke(id);
    expect(sent.map((s) => s.url.replace(/^.*:2379/, ''))).toEqual(['/v3/lease/grant', '/v3/lease/keepalive', '/v3/lease/keepalive', '/v3/lease/revoke']);
    expect(sent[0]!.body).toEqual({ TTL: '5' });
  });

  it("etcd's own error is one StoreError naming the store and the request", async () => {
    const { t } = recorded([`{"error":"etcdserver: requested lease not found","message":"etcdserver: requested lease not found","code":5}`]);
    await expect(client(t).put('/b', '1', '123')).rejects.toThrow(
      new StoreError('the cluster store etcd://198.51.100.1:2379 refused /v3/kv/put: etcdserver: requested lease not found'),
    );
  });

  it('an unreachable endpoint falls through to the next; none reachable is exit 1 naming the store', async () => {
    const refused = Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const ok = recorded([refused, `{${H}}`]);
    await client(ok.t, ['http://198.51.100.1:2379', 'http://198.51.100.2:2379']).range('/x');
    expect(ok.sent.map((s) => s.url)).toEqual(['http://198.51.100.1:2379/v3/kv/range', 'http://198.51.100.2:2379/v3/kv/range']);
    const down = recorded([refused]);
    const err = await client(down.t).range('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).exitCode).toBe(1);
    expect((err as StoreError).message).toBe(
      'the cluster store etcd://198.51.100.1:2379 is unreachable (ECONNREFUSED); check that etcd runs and this host can reach it',
    );
  });

  it('watch hands over PUT and DELETE events and resumes after the last revision', async () => {
    const lines = [
      `{"result":{${H},"created":true}}`,
      `{"result":{${H.replace('"3"', '"5"')},"events":[{"kv":{"key":"L3cvMQ==","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}}]}}`,
      `{"result":{${H.replace('"3"', '"6"')},"events":[{"type":"DELETE","kv":{"key":"L3cvMQ==","mod_revision":"6"}}]}}`,
    ];
    const { t, sent } = recorded([], lines);
    const seen: string[] = [];
    const next = await client(t).watch([{ key: '/w/', prefix: true }], 4, (evs) => seen.push(...evs.map((e) => `${e.type} ${e.kv.key} ${e.kv.value}`)), new AbortController().signal);
    expect(seen).toEqual(['PUT /w/1 1', 'DELETE /w/1 ']);
    expect(next).toBe(7);
    expect(sent[0]!.body).toEqual([{ create_request: { key: b64('/w/'), range_end: b64('/w0'), start_revision: '4' } }]);
  });

  it('watches several ranges on one stream: one create_request per line, the events of each handed over', async () => {
    const lines = [
      `{"result":{${H},"created":true}}`,
      `{"result":{${H},"watch_id":"1","created":true}}`,
      `{"result":{${H.replace('"3"', '"5"')},"events":[{"kv":{"key":"L2EvaDE=","create_revision":"5","mod_revision":"5","version":"1","value":"MQ=="}}]}}`,
      `{"result":{${H.replace('"3"', '"6"')},"watch_id":"1","events":[{"kv":{"key":"L2MvMQ==","create_revision":"6","mod_revision":"6","version":"1","value":"Mg=="}}]}}`,
    ];
    const { t, sent } = recorded([], lines);
    const seen: string[] = [];
    const next = await client(t).watch([{ key: '/a/', prefix: true }, { key: '/c/1' }], 4, (evs) => seen.push(...evs.map((e) => `${e.type} ${e.kv.key} ${e.kv.value}`)), new AbortController().signal);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual([
      { create_request: { key: b64('/a/'), range_end: b64('/a0'), start_revision: '4' } },
      { create_request: { key: b64('/c/1'), start_revision: '4' } },
    ]);
    expect(seen).toEqual(['PUT /a/h1 1', 'PUT /c/1 2']);
    expect(next).toBe(7);
  });

  it('a compacted watch revision is an error, so the caller re-reads', async () => {
    const { t } = recorded([], [`{"result":{${H},"created":true,"compact_revision":"9","canceled":true}}`]);
    await expect(client(t).watch([{ key: '/w/', prefix: true }], 2, () => {}, new AbortController().signal)).rejects.toThrow(/compacted/);
  });
});

describe('the key layout', () => {
  it('puts each noun under /cnm/v1/', () => {
    expect(keys.host('h1')).toBe('/cnm/v1/hosts/h1');
    expect(keys.alive('h1')).toBe('/cnm/v1/alive/h1');
    expect(keys.network('front')).toBe('/cnm/v1/networks/front');
    expect(keys.vni(42)).toBe('/cnm/v1/vni/42');
    expect(keys.subnet('10.210.3.0/24')).toBe('/cnm/v1/subnets/10.210.3.0_24');
    expect(keys.claim('front', '10.210.3.2')).toBe('/cnm/v1/ipam/front/10.210.3.2');
    expect(keys.cursor('front')).toBe('/cnm/v1/cursor/front');
  });

  it('a network prefix does not take in another network whose name starts the same', () => {
    // "front" and "front.b": the claims prefix ends with "/", so one range never reads the other's.
    expect(keys.claim('front.b', '10.0.0.2').startsWith(keys.claims('front'))).toBe(false);
    expect(claimNetwork(keys.claim('front.b', '10.0.0.2'))).toBe('front.b');
    expect(leaf(keys.host('h-1'))).toBe('h-1');
  });
});

describe('a transaction written at once, its answer read later (txnLater)', () => {
  const won = `{${H},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]}`;
  const txn = { compare: [absent('/a')], success: [put('/a', '1')], failure: [get('/a')] };

  /** A transport whose send() writes at once (logged; not when the reply is an error at once) and reads the reply, or fails, when asked. */
  function writing(read: string | Error, posts: string[] = [], written = !(read instanceof Error)) {
    const log: string[] = [];
    const { t, sent } = recorded(posts);
    t.send = (url, body) => {
      log.push(`write ${url} ${JSON.parse(body).compare.length}`);
      return {
        written,
        async read() {
          log.push('read');
          if (read instanceof Error) throw read;
          return { status: 200, text: read };
        },
      };
    };
    return { t, sent, log };
  }

  it('writes to the first endpoint when asked, reads when the answer is asked for, and counts one request', async () => {
    const { t, log } = writing(won);
    const c = client(t);
    const later = c.txnLater(txn);
    expect(log).toEqual(['write http://198.51.100.1:2379/v3/kv/txn 1']);
    expect(later.written).toBe(true);
    expect(await later.read()).toEqual({ succeeded: true, revision: 3, responses: [{ kvs: [], deleted: 0 }] });
    expect(log).toEqual(['write http://198.51.100.1:2379/v3/kv/txn 1', 'read']);
    expect(c.requests).toBe(1);
  });

  it('asks the other endpoints in turn when the first does not answer, and names the first failure when none does', async () => {
    const { t, sent } = writing(new Error('connect: Connection refused'), [won]);
    const c = client(t, ['http://198.51.100.1:2379', 'http://198.51.100.2:2379']);
    const later = c.txnLater(txn);
    expect(later.written).toBe(false); // the connection failed: the caller reads at once
    expect((await later.read()).succeeded).toBe(true);
    expect(sent.map((x) => x.url)).toEqual(['http://198.51.100.2:2379/v3/kv/txn']);
    expect(c.requests).toBe(2);
    const alone = writing(new Error('connect: Connection refused'));
    await expect(client(alone.t).txnLater(txn).read()).rejects.toThrow(
      new StoreError('the cluster store etcd://198.51.100.1:2379 is unreachable (connect: Connection refused); check that etcd runs and this host can reach it'),
    );
  });

  it("is refused as the store's own error, not asked elsewhere", async () => {
    const { t, sent } = recorded([]);
    t.send = () => ({ written: true, read: async () => ({ status: 400, text: '{"error":"etcdserver: too many operations in txn request","code":3,"message":"etcdserver: too many operations in txn request"}' }) });
    const c = client(t, ['http://198.51.100.1:2379', 'http://198.51.100.2:2379']);
    await expect(c.txnLater(txn).read()).rejects.toThrow(/refused \/v3\/kv\/txn: etcdserver: too many operations in txn request/);
    expect(sent).toEqual([]);
  });

  it('posts as txn() does where the transport cannot write at once, and hands a failure over only when asked', async () => {
    const { t, sent } = recorded([new Error('ECONNREFUSED')]);
    const later = client(t).txnLater(txn);
    expect(sent.length).toBe(1); // posted at once
    expect(later.written).toBe(true); // as far as it can tell
    await new Promise((r) => setTimeout(r, 10)); // nobody awaits it yet: no unhandled rejection
    await expect(later.read()).rejects.toThrow(/is unreachable \(ECONNREFUSED\)/);
  });
});

describe('an HTTP/1.1 reply read whole (httpReply)', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('takes the body by Content-Length', () => {
    expect(httpReply(bytes('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":"é"}x'))).toEqual({ status: 200, text: '{"a":"é"}' });
  });
  it('joins a chunked body (what etcd sends for a large answer), chunk extensions and all', () => {
    const body = `{"kvs":[${'"x",'.repeat(600)}"y"]}`;
    const chunked = `${(1000).toString(16)}\r\n${body.slice(0, 1000)}\r\n${(body.length - 1000).toString(16)};ext=1\r\n${body.slice(1000)}\r\n0\r\n\r\n`;
    expect(httpReply(bytes(`HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`))).toEqual({ status: 400, text: body });
  });
  it('takes the rest when there is neither (only the close ends it: not whole before, when framed), and refuses what is cut short or not HTTP', () => {
    expect(httpReply(bytes('HTTP/1.0 200 OK\r\n\r\n{}'))).toEqual({ status: 200, text: '{}' });
    expect(httpReply(bytes('HTTP/1.0 200 OK\r\n\r\n{}'), true)).toBeUndefined();
    expect(httpReply(bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'), true)).toEqual({ status: 200, text: '{}' });
    expect(() => httpReply(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}'))).toThrow('an incomplete HTTP answer');
    expect(() => httpReply(bytes('HTTP/1.1 200 OK\r\nContent-Le'))).toThrow('an incomplete HTTP answer');
    expect(() => httpReply(bytes(''))).toThrow('the connection closed without an answer');
    expect(() => httpReply(bytes('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow('not an HTTP answer: SSH-2.0-OpenSSH');
    expect(() => httpReply(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort'))).toThrow('an incomplete HTTP answer');
  });
});
