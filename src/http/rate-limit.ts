import type { RateLimit, RateLimiter } from '../auth/rate-limiter.ts';
import { RateLimited } from './errors.ts';

/** One budget and the subject it is counted for (an IP subject, a normalised address...). */
export type RateLimitHit = readonly [limit: RateLimit, subject: string];

export interface RateLimitGuard {
  /**
   * Counts a hit on every budget at once (one parallel round trip) and throws RateLimited,
   * carrying the longest wait, when any of them is spent. `message` is what the person reads.
   */
  enforce(hits: readonly RateLimitHit[], message: string): Promise<void>;
}

export function createRateLimitGuard(rateLimiter: RateLimiter): RateLimitGuard {
  return {
    async enforce(hits, message) {
      const decisions = await Promise.all(hits.map(([limit, subject]) => rateLimiter.hit(limit, subject)));
      let retryAfterSeconds = 0;
      for (const decision of decisions) if (!decision.allowed) retryAfterSeconds = Math.max(retryAfterSeconds, decision.retryAfterSeconds);
      if (retryAfterSeconds > 0) throw new RateLimited(retryAfterSeconds, message);
    },
  };
}
