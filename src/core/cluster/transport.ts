/**
 * How the etcd client reaches the store: one HTTP POST of a JSON body to
 * etcd's v3 JSON gateway. Under Bun (the compiled binary) it is the
 * runtime's `fetch`, which takes client certificates as `tls: {ca, cert,
 * key}`; under Node (vitest) plain HTTP goes through `fetch` too and TLS
 * through node:https, because Node's fetch has no per-request TLS options.
 * Bun-only code lives here and nowhere else.
 */
import { readFileSync } from '../files.js';
import { libc } from '../libc.js';
import { concat, fromUtf8, utf8 } from '../utf8.js';

export interface TlsFiles {
  /** Paths, never contents: the contents are read at the moment of use. */
  cacert?: string;
  cert?: string;
  key?: string;
}

export interface Reply {
  status: number;
  text: string;
}

/** A request written at once, its reply read when asked for (the caller works meanwhile). */
export interface Sending {
  /** False when the request never left this host (no connection, or the send failed): read() throws why. */
  readonly written: boolean;
  read(): Promise<Reply>;
}

/** One request/response exchange; a transport may also stream (watch). */
export interface Transport {
  post(url: string, body: string, timeoutMs: number): Promise<Reply>;
  /** Writes the request now, its reply read later; undefined where this transport cannot (then post()). */
  send?(url: string, body: string, timeoutMs: number): Sending | undefined;
  /** Streams the reply line by line (etcd's watch sends one JSON object per chunk) until signal aborts. */
  stream?(url: string, body: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
}

interface TlsContents {
  ca?: string;
  cert?: string;
  key?: string;
}

function contents(tls: TlsFiles | undefined): TlsContents | undefined {
  if (!tls || (!tls.cacert && !tls.cert && !tls.key)) return undefined;
  const out: TlsContents = {};
  if (tls.cacert) out.ca = readFileSync(tls.cacert, 'utf8');
  if (tls.cert) out.cert = readFileSync(tls.cert, 'utf8');
  if (tls.key) out.key = readFileSync(tls.key, 'utf8');
  return out;
}

/** The subset of `fetch` this module uses, with Bun's `tls` request option. */
type FetchInit = { method: string; body: string; headers: Record<string, string>; signal: AbortSignal; tls?: TlsContents };
type FetchLike = (url: string, init: FetchInit) => Promise<{ status: number; text(): Promise<string>; body: ReadableStream<Uint8Array> | null }>;

const isBun = 'bun' in process.versions;

/**
 * Opens the connection to a plain-HTTP store ahead of the first request (Bun's fetch.preconnect):
 * the connect overlaps the work a run does before it asks. Nothing under Node, nothing for TLS
 * (the handshake needs the request's own certificates).
 */
export function preconnect(base: string): void {
  if (!isBun || !base.startsWith('http:')) return;
  (globalThis.fetch as { preconnect?: (url: string) => void }).preconnect?.(base);
}

export function httpTransport(tls?: TlsFiles): Transport {
  const certs = contents(tls);
  const doFetch = globalThis.fetch as unknown as FetchLike;
  const viaFetch = isBun || certs === undefined;
  const init = (body: string, signal: AbortSignal): FetchInit => {
    const i: FetchInit = { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal };
    if (certs) i.tls = certs;
    return i;
  };
  return {
    send: certs === undefined && isBun ? sendNow : undefined,
    async post(url, body, timeoutMs) {
      if (!viaFetch) return nodeHttps(url, body, timeoutMs, certs!);
      const res = await doFetch(url, init(body, AbortSignal.timeout(timeoutMs)));
      return { status: res.status, text: await res.text() };
    },
    async stream(url, body, onLine, signal) {
      if (!viaFetch) throw new Error('watching over TLS needs the cnm binary (Bun)');
      const res = await doFetch(url, init(body, signal));
      if (!res.body) return;
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) onLine(line);
        }
      }
      if (buf.trim()) onLine(buf.trim());
    },
  };
}

async function nodeHttps(url: string, body: string, timeoutMs: number, certs: TlsContents): Promise<Reply> {
  const https = await import('node:https');
  return new Promise((ok, fail) => {
    const req = https.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, timeout: timeoutMs, ...certs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end(body);
  });
}

const ascii = /^[\x00-\x7f]*$/;
const AF_INET = 2;
const SOCK_STREAM_CLOEXEC = 1 | 0o2000000;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const MSG_NOSIGNAL = 0x4000;
const EINTR = 4;

/**
 * A plain-HTTP POST to an IPv4 address written at once on a socket of this thread (libc: a
 * blocking connect and send, each bounded by timeoutMs), its reply read when asked for (a blocking
 * read of the whole reply, the connection closed by the server). What a sandbox add's claim goes
 * through: fetch() would start Bun's HTTP thread for it (~0.6 ms of this thread's time, preconnect
 * or not) and hand the reply over through it. Undefined where it cannot (no libc, a host name, an
 * IPv6 address): the caller posts as usual. A failure to connect or send is thrown by the reader.
 */
function sendNow(url: string, body: string, timeoutMs: number): Sending | undefined {
  const m = /^http:\/\/(\d+)\.(\d+)\.(\d+)\.(\d+):(\d+)(\/.*)$/.exec(url);
  const c = m ? libc() : undefined;
  if (!m || !c) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const port = Number(m[5]);
  if (octets[0]! > 255 || octets[1]! > 255 || octets[2]! > 255 || octets[3]! > 255 || port > 65535) return undefined;
  const failed = (what: string): Sending => {
    const e = new Error(`${what}: ${c.strerror(c.errno())}`);
    return { written: false, read: () => Promise.reject(e) };
  };
  const fd = c.socket(AF_INET, SOCK_STREAM_CLOEXEC, 0);
  if (fd < 0) return failed('socket');
  const tv = new Uint8Array(16);
  const view = new DataView(tv.buffer);
  view.setBigInt64(0, BigInt(Math.floor(timeoutMs / 1000)), true);
  view.setBigInt64(8, BigInt((timeoutMs % 1000) * 1000), true);
  c.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
  const addr = new Uint8Array(16);
  addr[0] = AF_INET; // sa_family, little-endian
  addr[2] = port >> 8;
  addr[3] = port & 255;
  addr.set(octets, 4);
  const host = `${octets.join('.')}:${port}`;
  // Encoded once: an ASCII body (the etcd client's: base64 keys and values) is as long in bytes as in characters.
  const length = ascii.test(body) ? body.length : utf8(body).length;
  const request = utf8(`POST ${m[6]} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${body}`);
  let r = c.connect(fd, addr, 16);
  while (r < 0 && c.errno() === EINTR) r = c.connect(fd, addr, 16);
  if (r < 0) {
    const e = failed('connect');
    c.close(fd);
    return e;
  }
  for (let at = 0; at < request.length; ) {
    const n = c.sendto(fd, at === 0 ? request : request.subarray(at), request.length - at, MSG_NOSIGNAL, null, 0);
    if (n < 0 && c.errno() === EINTR) continue;
    if (n <= 0) {
      const e = failed('send');
      c.close(fd);
      return e;
    }
    at += n;
  }
  const read = async (): Promise<Reply> => {
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = c.recv(fd, buf, buf.length, 0);
        if (n === 0) break;
        if (n < 0) {
          const errno = c.errno();
          if (errno === EINTR) continue;
          throw Object.assign(new Error(`no answer within ${timeoutMs} ms (${c.strerror(errno)})`), { name: errno === 11 ? 'TimeoutError' : 'Error' });
        }
        chunks.push(buf.slice(0, n));
        // Done once the reply is whole: the server's close may come a little later.
        const whole = complete(chunks.length === 1 ? chunks[0]! : concat(chunks));
        if (whole) return whole;
      }
    } finally {
      c.close(fd);
    }
    return httpReply(concat(chunks));
  };
  return { written: true, read };
}

/** The reply, when these bytes hold all of it (its body's length known: Content-Length, or a chunked body's last chunk). */
function complete(bytes: Uint8Array): Reply | undefined {
  try {
    return httpReply(bytes, true);
  } catch {
    return undefined;
  }
}

/**
 * An HTTP/1.1 reply read whole (the server closed the connection after it): its status and body
 * (Content-Length or chunked). With `framed`, undefined when the body's length is not given (only
 * the close ends it).
 */
export function httpReply(bytes: Uint8Array): Reply;
export function httpReply(bytes: Uint8Array, framed: true): Reply | undefined;
export function httpReply(bytes: Uint8Array, framed = false): Reply | undefined {
  // The bytes are searched with the typed array's own indexOf (from one CR to the next) and the head
  // is decoded once and lower-cased once: a loop over every byte in JavaScript, then a split, and a
  // find with toLowerCase per line and per field asked, cost a cluster add 0.1-0.2 ms for a 600-byte
  // answer, run by the interpreter.
  const end = crlf(bytes, 0, true);
  if (end < 0) throw new Error(bytes.length === 0 ? 'the connection closed without an answer' : 'an incomplete HTTP answer');
  const head = fromUtf8(bytes.subarray(0, end));
  const first = head.indexOf('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(first < 0 ? head : head.slice(0, first));
  if (!status) throw new Error(`not an HTTP answer: ${first < 0 ? head : head.slice(0, first)}`);
  const fields = `${first < 0 ? '' : head.slice(first).toLowerCase()}\r\n`;
  const field = (name: string): string | undefined => {
    const at = fields.indexOf(`\r\n${name}:`);
    return at < 0 ? undefined : fields.slice(at + name.length + 3, fields.indexOf('\r\n', at + 2)).trim();
  };
  let body = bytes.subarray(end + 4);
  if (field('transfer-encoding')?.includes('chunked')) {
    const parts: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const eol = crlf(body, at, false);
      if (eol < 0) throw new Error('an incomplete HTTP answer');
      const size = parseInt(fromUtf8(body.subarray(at, eol)).split(';')[0]!, 16);
      if (!Number.isFinite(size)) throw new Error('a malformed chunked HTTP answer');
      if (size === 0) break;
      if (eol + 2 + size > body.length) throw new Error('an incomplete HTTP answer');
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = concat(parts);
  } else {
    const length = field('content-length');
    if (length === undefined && framed) return undefined;
    if (length !== undefined) {
      if (body.length < Number(length)) throw new Error('an incomplete HTTP answer');
      body = body.subarray(0, Number(length));
    }
  }
  return { status: Number(status[1]), text: fromUtf8(body) };
}

/** Where the first CR LF (with `blank`, CR LF CR LF: a head's end) at or after `from` starts in bytes; -1 when none. */
function crlf(bytes: Uint8Array, from: number, blank: boolean): number {
  for (let at = bytes.indexOf(13, from); at >= 0; at = bytes.indexOf(13, at + 1)) {
    if (at + (blank ? 3 : 1) >= bytes.length) return -1;
    if (bytes[at + 1] === 10 && (!blank || (bytes[at + 2] === 13 && bytes[at + 3] === 10))) return at;
  }
  return -1;
}
