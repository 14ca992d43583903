import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Settle } from '../../src/core/dns/settle.js';

describe("the DNS server's re-read after state changes", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('runs once, after a burst of changes has been quiet for the settle time', () => {
    const fn = vi.fn();
    const s = new Settle(100, fn);
    for (let i = 0; i < 20; i++) {
      s.poke(); // a write every 30 ms: a loop of sandbox add/rm
      vi.advanceTimersByTime(30);
    }
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(69);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    s.poke();
    vi.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('does not run after cancel (the server stopping)', () => {
    const fn = vi.fn();
    const s = new Settle(100, fn);
    s.poke();
    s.cancel();
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
  });
});
