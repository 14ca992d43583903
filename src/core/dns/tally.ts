/**
 * Counted, rate-limited reports of the faults a server lives with (an asker
 * gone before its reply, a connection refused by a cap): every one is
 * counted, and each kind is logged at most once per `everyMs` with how many
 * happened since its last line. Pure: the clock and the log are passed in.
 */
export class Tally {
  private readonly kinds = new Map<string, { total: number; unlogged: number; lastLog: number; last: string }>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly everyMs = 10_000,
  ) {}

  /** Counts one fault of `kind`; logs it unless this kind was logged less than `everyMs` ago. */
  count(kind: string, detail: string, now: number): void {
    let k = this.kinds.get(kind);
    if (!k) {
      k = { total: 0, unlogged: 0, lastLog: -Infinity, last: '' };
      this.kinds.set(kind, k);
    }
    k.total++;
    k.unlogged++;
    k.last = detail;
    if (now - k.lastLog < this.everyMs) return;
    this.log(`cnm dns: ${kind}: ${detail}${k.unlogged > 1 ? ` (${k.unlogged} since the last report, ${k.total} in all)` : ''}`);
    k.unlogged = 0;
    k.lastLog = now;
  }

  /** How many of `kind` were counted in all. */
  total(kind: string): number {
    return this.kinds.get(kind)?.total ?? 0;
  }
}
