/**
 * Forwarding to the host's upstream resolvers: each server in turn within one
 * time budget, over UDP (retried over TCP when the answer comes back
 * truncated) or over TCP when the asker used TCP. Every attempt uses a fresh
 * socket (a random source port) and a fresh random ID, and only a reply from
 * the server asked, with that ID, is taken. Undefined when all fail: the
 * caller answers SERVFAIL.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { hostResolvConf } from '../hostinfo.js';
import { getId, setId } from './wire.js';

export const BUDGET_MS = 4000;
const PER_SERVER_MS = 2000;

/** Upstreams from the host's resolv.conf (CNM_HOST_RESOLV_CONF overrides its path), minus our own addresses. */
export function upstreams(own: ReadonlySet<string>): string[] {
  const rc = hostResolvConf();
  return rc.nameservers.filter((n) => !own.has(n));
}

function udpAttempt(server: string, query: Buffer, ms: number): Promise<Buffer | undefined> {
  return new Promise((done) => {
    const sock = createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const id = randomInt(0x10000);
    const msg = Buffer.from(query);
    setId(msg, id);
    let finished = false;
    const finish = (r: Buffer | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      done(r);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    sock.on('error', () => finish(undefined));
    sock.on('message', (reply, rinfo) => {
      if (rinfo.address !== server || rinfo.port !== 53 || reply.length < 12 || getId(reply) !== id) return;
      finish(reply);
    });
    sock.send(msg, 53, server, (err) => err && finish(undefined));
  });
}

function tcpAttempt(server: string, query: Buffer, ms: number): Promise<Buffer | undefined> {
  return new Promise((done) => {
    const id = randomInt(0x10000);
    const frame = Buffer.alloc(query.length + 2);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    setId(frame.subarray(2), id);
    let got = Buffer.alloc(0);
    let finished = false;
    const sock = connect({ host: server, port: 53 });
    const finish = (r: Buffer | undefined) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      done(r);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
    sock.on('connect', () => sock.write(frame));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length > 2 + 65535) return finish(undefined);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        const reply = got.subarray(2, 2 + got.readUInt16BE(0));
        finish(reply.length >= 12 && getId(reply) === id ? Buffer.from(reply) : undefined);
      }
    });
  });
}

/** The upstream reply with the asker's ID, or undefined when no server answered within the budget. */
export async function forward(query: Buffer, servers: readonly string[], tcp: boolean, budgetMs = BUDGET_MS): Promise<Buffer | undefined> {
  const deadline = Date.now() + budgetMs;
  for (const server of servers) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const ms = Math.min(left, PER_SERVER_MS);
    let reply = tcp ? await tcpAttempt(server, query, ms) : await udpAttempt(server, query, ms);
    if (reply && !tcp && reply[2]! & 0x02) {
      reply = (await tcpAttempt(server, query, Math.max(1, Math.min(deadline - Date.now(), PER_SERVER_MS)))) ?? reply;
    }
    if (reply) {
      setId(reply, getId(query));
      return reply;
    }
  }
  return undefined;
}
