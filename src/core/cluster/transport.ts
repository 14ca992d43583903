/**
 * How the etcd client reaches the store: one HTTP POST of a JSON body to
 * etcd's v3 JSON gateway. Under Bun (the compiled binary) it is the
 * runtime's `fetch`, which takes client certificates as `tls: {ca, cert,
 * key}`; under Node (vitest) plain HTTP goes through `fetch` too and TLS
 * through node:https, because Node's fetch has no per-request TLS options.
 * Bun-only code lives here and nowhere else.
 */
import { readFileSync } from '../files.js';

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

/** One request/response exchange; a transport may also stream (watch). */
export interface Transport {
  post(url: string, body: string, timeoutMs: number): Promise<Reply>;
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
