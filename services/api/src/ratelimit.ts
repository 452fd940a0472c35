import type { Redis } from 'ioredis';

/** Outcome of one request against a key's budget. */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window refills (the `Retry-After` of a 429). */
  readonly resetS: number;
}

/** A per-key request budget. */
export interface RateLimiter {
  hit(keyId: number): Promise<RateDecision>;
}

/**
 * Fixed-window counter in Redis (`voc-api:rl:<key id>:<window number>`, INCR then EXPIRE in one
 * MULTI), shared by every API instance on the same Redis. Keys live under `voc-api:*`, the pattern
 * the Redis ACL of infra/scripts/stack.sh grants the service user.
 * @param limit requests per window (`config.api.rateLimit`)
 * @param windowS window length (`config.api.rateWindowS`)
 */
export function redisRateLimiter(redis: Redis, limit: number, windowS: number, clock: () => number = Date.now): RateLimiter {
  return {
    async hit(keyId) {
      const nowS = clock() / 1000;
      const w = Math.floor(nowS / windowS);
      const key = `voc-api:rl:${keyId}:${w}`;
      const res = await redis
        .multi()
        .incr(key)
        .expire(key, windowS + 1)
        .exec();
      const count = Number(res?.[0]?.[1] ?? 0);
      const resetS = Math.max(1, Math.ceil((w + 1) * windowS - nowS));
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetS };
    },
  };
}
