/**
 * A per-key fixed-window counter kept in this instance's memory: cheap enough for the collect
 * hot path. Keys are client addresses; the map is emptied every window, so none is kept.
 */
export class RateLimiter {
  #counts = new Map<string, number>();
  #windowStart = 0;

  constructor(private readonly limit: number, private readonly windowMs = 60_000) {}

  /** 0 when allowed, else the seconds until the window resets (for Retry-After). */
  hit(key: string, now = Date.now()): number {
    if (this.limit <= 0) return 0;
    if (now - this.#windowStart >= this.windowMs) {
      this.#counts.clear();
      this.#windowStart = now;
    }
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    if (n <= this.limit) return 0;
    return Math.max(1, Math.ceil((this.#windowStart + this.windowMs - now) / 1000));
  }
}
