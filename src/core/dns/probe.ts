/**
 * Whether a listener is still there, asked from outside it: a socket can be
 * closed under the server (`ss -K`, a kernel that tore it down) with no event
 * reaching the runtime, and a server that only waits for traffic would never
 * notice. A TCP connect that is refused, or a UDP datagram that comes back as
 * port-unreachable, says the listener is gone. Anything else (accepted, no
 * answer, a timeout) counts as alive: a probe never declares a healthy
 * listener dead. The server drops both probes unanswered (the source is not a
 * sandbox).
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

const refused = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ECONNREFUSED';

export function tcpAlive(address: string, port: number, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = connect({ host: address, port });
    const finish = (alive: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      done(alive);
    };
    const timer = setTimeout(() => finish(true), ms);
    sock.on('connect', () => finish(true));
    sock.on('error', (e) => finish(!refused(e)));
  });
}

export function udpAlive(address: string, port: number, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const sock = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    let finished = false;
    const finish = (alive: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      done(alive);
    };
    const timer = setTimeout(() => finish(true), ms);
    sock.on('error', (e) => finish(!refused(e)));
    sock.connect(port, address, () => {
      sock.send(Buffer.from([0]), (e) => e && finish(!refused(e)));
    });
  });
}
