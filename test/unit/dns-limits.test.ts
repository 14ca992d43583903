import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnTable } from '../../src/core/dns/conns.js';
import { tcpAlive, udpAlive } from '../../src/core/dns/probe.js';
import { Tally } from '../../src/core/dns/tally.js';

describe('embedded DNS: TCP connection table', () => {
  const limits = { idleMs: 10, lifetimeMs: 100, perClient: 2, total: 3 };

  it('caps connections per asker and in all, and frees a slot when one closes', () => {
    const t = new ConnTable<string>(limits);
    const a1 = t.admit('a', 'a1', 0);
    expect(typeof a1).toBe('object');
    expect(typeof t.admit('a', 'a2', 0)).toBe('object');
    expect(t.admit('a', 'a3', 0)).toBe('client'); // one sandbox only spends its own share
    expect(typeof t.admit('b', 'b1', 0)).toBe('object');
    expect(t.admit('c', 'c1', 0)).toBe('total');
    if (typeof a1 === 'string') throw new Error(a1);
    t.drop(a1);
    t.drop(a1); // idempotent: the count does not go below what is held
    expect(t.size).toBe(2);
    expect(t.admit('a', 'a4', 0)).toMatchObject({ key: 'a', handle: 'a4' });
    expect(t.admit('c', 'c2', 0)).toBe('total');
    expect(t.all().map((c) => c.handle).sort()).toEqual(['a2', 'a4', 'b1']);
  });

  it('expires connections with no complete query for idleMs, and any connection after lifetimeMs', () => {
    const t = new ConnTable<string>(limits);
    const busy = t.admit('a', 'busy', 0);
    const quiet = t.admit('b', 'quiet', 0);
    if (typeof busy === 'string' || typeof quiet === 'string') throw new Error('refused');
    expect(t.expired(5)).toEqual([]);
    for (let now = 5; now < 100; now += 5) busy.lastQuery = now; // a query every 5 ms
    expect(t.expired(12).map((c) => c.handle)).toEqual(['quiet']);
    expect(t.expired(100).map((c) => c.handle).sort()).toEqual(['busy', 'quiet']);
  });
});

describe('embedded DNS: counted, rate-limited fault reports', () => {
  it('counts every fault and logs each kind at most once per interval, with the count since', () => {
    const lines: string[] = [];
    const t = new Tally((l) => lines.push(l), 1000);
    for (let i = 0; i < 500; i++) t.count('socket errors on udp 10.0.0.1', 'ECONNREFUSED', i);
    t.count('tcp refused', 'from 10.0.0.2', 10);
    expect(t.total('socket errors on udp 10.0.0.1')).toBe(500);
    expect(lines).toEqual(['cnm dns: socket errors on udp 10.0.0.1: ECONNREFUSED', 'cnm dns: tcp refused: from 10.0.0.2']);
    t.count('socket errors on udp 10.0.0.1', 'ECONNREFUSED', 1000);
    expect(lines[2]).toBe('cnm dns: socket errors on udp 10.0.0.1: ECONNREFUSED (500 since the last report, 501 in all)');
  });
});

describe('embedded DNS: probing a listener from outside', () => {
  it('a refused connect or datagram says gone; a listener, or silence, says alive', async () => {
    const tcp = createServer((s) => s.destroy());
    await new Promise<void>((ok) => tcp.listen(0, '127.0.0.1', ok));
    const port = (tcp.address() as { port: number }).port;
    const udp = createSocket('udp4'); // bound, and never answers: silence is alive
    await new Promise<void>((ok) => udp.bind(port, '127.0.0.1', ok));
    try {
      expect(await tcpAlive('127.0.0.1', port, 500)).toBe(true);
      expect(await udpAlive('127.0.0.1', port, 200)).toBe(true);
    } finally {
      tcp.close();
      udp.close();
    }
    expect(await tcpAlive('127.0.0.1', port, 500)).toBe(false);
    expect(await udpAlive('127.0.0.1', port, 500)).toBe(false);
  });
});
