/**
 * The DNS server's TCP connections as a table, pure (the clock is passed in):
 * who may open one more (a cap per asking sandbox and a cap in all), and
 * which ones have outstayed (no complete query for `idleMs`, or open longer
 * than `lifetimeMs` in all). A sandbox holding connections open, or trickling
 * a byte now and then, only ever spends its own share.
 */
export interface TcpLimits {
  /** Close a connection with no complete query for this long (a trickled byte does not count). */
  idleMs: number;
  /** Close a connection open this long, however busy. */
  lifetimeMs: number;
  /** Connections one sandbox may hold at a time. */
  perClient: number;
  /** Connections the server holds at a time. */
  total: number;
  /** Stop reading from a connection while more than this many reply bytes wait to be written. */
  writeHigh: number;
  /** Close a connection that has more than this many reply bytes waiting (a reader that stopped). */
  writeMax: number;
  /** Forwarded queries in flight per connection. */
  inflight: number;
}

export const TCP_LIMITS: TcpLimits = {
  idleMs: 10_000,
  lifetimeMs: 30_000,
  perClient: 16,
  total: 512,
  writeHigh: 64 * 1024,
  writeMax: 1024 * 1024,
  inflight: 16,
};

export interface Conn<T> {
  /** The asker (its sandbox ID). */
  key: string;
  opened: number;
  lastQuery: number;
  handle: T;
}

export type Refusal = 'client' | 'total';

export class ConnTable<T> {
  private readonly perKey = new Map<string, number>();
  private readonly conns = new Set<Conn<T>>();

  constructor(private readonly limits: Pick<TcpLimits, 'idleMs' | 'lifetimeMs' | 'perClient' | 'total'> = TCP_LIMITS) {}

  get size(): number {
    return this.conns.size;
  }

  /** Adds a connection of `key`, or says which cap refuses it. */
  admit(key: string, handle: T, now: number): Conn<T> | Refusal {
    if (this.conns.size >= this.limits.total) return 'total';
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.limits.perClient) return 'client';
    this.perKey.set(key, n + 1);
    const conn: Conn<T> = { key, opened: now, lastQuery: now, handle };
    this.conns.add(conn);
    return conn;
  }

  /** Forgets a connection (idempotent). */
  drop(conn: Conn<T>): void {
    if (!this.conns.delete(conn)) return;
    const n = (this.perKey.get(conn.key) ?? 1) - 1;
    if (n > 0) this.perKey.set(conn.key, n);
    else this.perKey.delete(conn.key);
  }

  /** Connections past their idle or lifetime limit at `now`. */
  expired(now: number): Conn<T>[] {
    const out: Conn<T>[] = [];
    for (const c of this.conns) {
      if (now - c.lastQuery >= this.limits.idleMs || now - c.opened >= this.limits.lifetimeMs) out.push(c);
    }
    return out;
  }

  all(): Conn<T>[] {
    return [...this.conns];
  }
}
