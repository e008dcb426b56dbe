import type { MessageRef } from '../i18n/translate.ts';
import type { RateLimit, RateLimiter } from '../auth/rate-limiter.ts';
import { RateLimited } from './errors.ts';

/**
 * One budget and the subject it is counted for (an IP subject, a normalised address...), or a
 * budget of which each client gets a share (RateLimiter.hitShare).
 */
export type RateLimitHit = readonly [limit: RateLimit, subject: string] | { share: RateLimit; client: string; of: RateLimit; subject: string };

export interface RateLimitGuard {
  /**
   * Counts a hit on every budget at once (one parallel round trip) and throws RateLimited,
   * carrying the longest wait, when any of them is spent. `message` is what the person reads.
   */
  enforce(hits: readonly RateLimitHit[], message: string | MessageRef): Promise<void>;
}

export function createRateLimitGuard(rateLimiter: RateLimiter): RateLimitGuard {
  return {
    async enforce(hits, message) {
      const decisions = await Promise.all(hits.map((hit) => ('share' in hit ? rateLimiter.hitShare(hit.share, hit.client, hit.of, hit.subject) : rateLimiter.hit(hit[0], hit[1]))));
      let retryAfterSeconds = 0;
      for (const decision of decisions) if (!decision.allowed) retryAfterSeconds = Math.max(retryAfterSeconds, decision.retryAfterSeconds);
      if (retryAfterSeconds > 0) throw new RateLimited(retryAfterSeconds, message);
    },
  };
}
