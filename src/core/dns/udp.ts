/**
 * A bound UDP socket for the DNS server. Under Bun (the shipped binary) it is
 * Bun.udpSocket, which hands each datagram straight to a callback (no
 * EventEmitter, no rinfo object) and is the fastest path we have; elsewhere
 * (node, vitest) it is node:dgram. Bun-only code lives here and nowhere else.
 *
 * Errors are never fatal. Bun sets IP_RECVERR on its UDP sockets, so a reply
 * to an asker that is gone (it closed its socket, it timed out, its address
 * was spoofed) comes back as an ICMP port-unreachable that surfaces as
 * ECONNREFUSED on the next receive (to the `error` handler: without one, Bun
 * throws it and the process dies) and also poisons the socket's next send,
 * which then throws for a datagram whose own destination was never tried:
 * that send is retried, so a healthy asker is not punished for a gone one.
 */
import { createSocket } from 'node:dgram';

export type OnDatagram = (msg: Buffer, address: string, port: number) => void;
/** A socket error: counted and logged by the caller, never thrown. */
export type OnError = (e: Error) => void;

export interface UdpPort {
  send(msg: Buffer, port: number, address: string): void;
  close(): void;
  /** Whether the socket was closed under us (then the caller binds it again). */
  broken(): boolean;
}

interface BunUdpSocket {
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
  readonly closed?: boolean;
}
interface BunUdpApi {
  udpSocket(opts: {
    hostname: string;
    port: number;
    socket: {
      data(sock: BunUdpSocket, data: Buffer, port: number, address: string): void;
      error(err: Error): void;
    };
  }): Promise<BunUdpSocket>;
}

/** Tries a send once more when it threw (a poisoned socket error belongs to an earlier datagram). */
function sendRetrying(send: () => void, onError: OnError): void {
  for (let attempt = 0; ; attempt++) {
    try {
      send();
      return;
    } catch (e) {
      if (attempt >= 2) return onError(e as Error);
    }
  }
}

function bunApi(): BunUdpApi | undefined {
  const b = (globalThis as { Bun?: Partial<BunUdpApi> }).Bun;
  return b && typeof b.udpSocket === 'function' ? (b as BunUdpApi) : undefined;
}

/** Binds address:port; rejects with the system error (EADDRNOTAVAIL, EADDRINUSE...). */
export async function bindUdp(family: 4 | 6, address: string, port: number, onDatagram: OnDatagram, onError: OnError): Promise<UdpPort> {
  const bun = bunApi();
  if (bun) {
    let closing = false;
    const sock = await bun.udpSocket({
      hostname: address,
      port,
      socket: { data: (_s, data, p, a) => onDatagram(data, a, p), error: (err) => onError(err instanceof Error ? err : new Error(String(err))) },
    });
    return {
      send: (msg, p, a) => sendRetrying(() => void sock.send(msg, p, a), onError),
      close: () => {
        closing = true;
        sock.close();
      },
      broken: () => !closing && sock.closed === true,
    };
  }
  const sock = createSocket({ type: family === 4 ? 'udp4' : 'udp6', ipv6Only: family === 6 });
  sock.on('message', (msg, rinfo) => onDatagram(msg, rinfo.address, rinfo.port));
  await new Promise<void>((ok, fail) => {
    sock.once('error', fail);
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', fail);
      ok();
    });
  });
  let closed = false;
  sock.on('error', onError);
  sock.on('close', () => (closed = true));
  let closing = false;
  return {
    send: (msg, p, a) => sendRetrying(() => sock.send(msg, p, a, (err) => err && onError(err)), onError),
    close: () => {
      closing = true;
      sock.close();
    },
    broken: () => closed && !closing,
  };
}
