/**
 * A bound UDP socket for the DNS server. Under Bun (the shipped binary) it is
 * Bun.udpSocket, which hands each datagram straight to a callback (no
 * EventEmitter, no rinfo object) and is the fastest path we have; elsewhere
 * (node, vitest) it is node:dgram. Bun-only code lives here and nowhere else.
 */
import { createSocket } from 'node:dgram';

export type OnDatagram = (msg: Buffer, address: string, port: number) => void;

export interface UdpPort {
  send(msg: Buffer, port: number, address: string): void;
  close(): void;
}

interface BunUdpSocket {
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}
interface BunUdpApi {
  udpSocket(opts: {
    hostname: string;
    port: number;
    socket: { data(sock: BunUdpSocket, data: Buffer, port: number, address: string): void };
  }): Promise<BunUdpSocket>;
}

function bunApi(): BunUdpApi | undefined {
  const b = (globalThis as { Bun?: Partial<BunUdpApi> }).Bun;
  return b && typeof b.udpSocket === 'function' ? (b as BunUdpApi) : undefined;
}

/** Binds address:port; rejects with the system error (EADDRNOTAVAIL, EADDRINUSE...). */
export async function bindUdp(family: 4 | 6, address: string, port: number, onDatagram: OnDatagram): Promise<UdpPort> {
  const bun = bunApi();
  if (bun) {
    const sock = await bun.udpSocket({ hostname: address, port, socket: { data: (_s, data, p, a) => onDatagram(data, a, p) } });
    return { send: (msg, p, a) => void sock.send(msg, p, a), close: () => sock.close() };
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
  sock.on('error', () => {}); // send errors (an asker gone) are not the server's problem
  return {
    send: (msg, p, a) => sock.send(msg, p, a),
    close: () => sock.close(),
  };
}
