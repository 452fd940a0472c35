/**
 * Serving many identical reads at once (dashboards of a district polling the same views): identical
 * concurrent requests share one computation and one serialised answer, and answers that can no longer
 * change (bucketed aggregates of a range closed for longer than the allowed lateness) are kept for a
 * while in a bounded cache.
 */

/** Options of {@link AnswerCache}. */
export interface AnswerCacheOptions {
  /** Most answers kept. */
  readonly maxEntries: number;
  /** Most characters kept over all answers (about bytes for JSON). */
  readonly maxChars: number;
  /** How long a kept answer is served, ms: it bounds staleness when rows are written straight into a closed range (backfills, retention). */
  readonly ttlMs: number;
  readonly clock?: () => number;
}

/**
 * Request coalescing plus a small LRU of immutable answers, for serialised JSON bodies.
 * - {@link AnswerCache.get}: a caller with the same key as a computation in flight waits for it and
 *   gets the same string (or the same error); nothing is kept once it settles unless `keep` is true.
 * - `keep`: the answer is cached for `ttlMs` (least recently used evicted past the bounds).
 */
export class AnswerCache {
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly kept = new Map<string, { body: string; until: number }>();
  private chars = 0;
  private readonly clock: () => number;
  /** Served from the cache, joined to a computation in flight, computed. */
  readonly stats = { hits: 0, joined: 0, computed: 0 };

  constructor(private readonly opts: AnswerCacheOptions) {
    this.clock = opts.clock ?? Date.now;
  }

  /** The answer for `key`: kept, in flight, or computed by `compute` (errors are not kept). */
  async get(key: string, keep: boolean, compute: () => Promise<string>): Promise<string> {
    const hit = this.kept.get(key);
    if (hit && hit.until > this.clock()) {
      this.kept.delete(key); // re-insert: most recently used last
      this.kept.set(key, hit);
      this.stats.hits++;
      return hit.body;
    }
    if (hit) this.drop(key);
    const running = this.inFlight.get(key);
    if (running) {
      this.stats.joined++;
      return running;
    }
    this.stats.computed++;
    const p = compute();
    this.inFlight.set(key, p);
    try {
      const body = await p;
      if (keep && body.length <= this.opts.maxChars) this.keep(key, body);
      return body;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private keep(key: string, body: string): void {
    this.drop(key);
    this.kept.set(key, { body, until: this.clock() + this.opts.ttlMs });
    this.chars += body.length;
    while (this.kept.size > this.opts.maxEntries || this.chars > this.opts.maxChars) {
      const oldest = this.kept.keys().next().value as string;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const e = this.kept.get(key);
    if (!e) return;
    this.chars -= e.body.length;
    this.kept.delete(key);
  }
}
