/**
 * A trailing debounce: the DNS server's watcher pokes it on every change to
 * the state dir, and the re-read runs once the changes have stopped for a
 * while (a burst of `sandbox add`s: one re-read, after the last).
 */
/** Calls `fn` once `ms` have passed without another poke (a trailing debounce). */
export class Settle {
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly ms: number,
    private readonly fn: () => void,
  ) {}

  poke(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fn();
    }, this.ms);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
