import type { Store } from '../store/store.ts';
import { rateLimitKey } from '../store/keys.ts';
import { hmacSha256 } from './secrets.ts';

/** A named budget: at most `limit` hits per `windowSeconds` for one subject (an IP, an email, an account). */
export interface RateLimit {
  name: string;
  limit: number;
  windowSeconds: number;
}

export type RateLimitDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one hit and decides. Over the limit, hits keep counting, so hammering never frees a slot. */
  hit(limit: RateLimit, subject: string): Promise<RateLimitDecision>;
  /** Forgets the subject's hits in the current window, e.g. after the person proved who they are. */
  reset(limit: RateLimit, subject: string): Promise<void>;
}

export interface RateLimiterOptions {
  store: Store;
  /** Subjects are stored as keyed hashes: a Redis dump must not list who tried to sign in from where. */
  hmacKey: string;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Fixed-window counters on Store.increment: one atomic INCR per hit, shared by every process on
 * the same store. A window is identified by its start, so the key itself expires with the window.
 */
export function createRateLimiter({ store, hmacKey, now = Date.now }: RateLimiterOptions): RateLimiter {
  const windowOf = (limit: RateLimit) => {
    assertLimit(limit);
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now() / windowMs) * windowMs;
    return { start, endsInSeconds: Math.max(1, Math.ceil((start + windowMs - now()) / 1000)) };
  };
  const keyFor = (limit: RateLimit, subject: string, windowStart: number) =>
    rateLimitKey(limit.name, hmacSha256(hmacKey, `rate:${limit.name}`, subject), windowStart);

  return {
    async hit(limit, subject) {
      const { start, endsInSeconds } = windowOf(limit);
      const count = await store.increment(keyFor(limit, subject, start), endsInSeconds);
      return count <= limit.limit ? { allowed: true, remaining: limit.limit - count } : { allowed: false, retryAfterSeconds: endsInSeconds };
    },
    async reset(limit, subject) {
      const { start } = windowOf(limit);
      await store.delete(keyFor(limit, subject, start));
    },
  };
}

function assertLimit({ name, limit, windowSeconds }: RateLimit) {
  if (!/^[a-z0-9-]+$/.test(name)) throw new TypeError(`rate limit name must be lower-case kebab (got ${JSON.stringify(name)})`);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`rate limit ${name}: limit must be a positive integer (got ${limit})`);
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) throw new TypeError(`rate limit ${name}: windowSeconds must be a positive integer (got ${windowSeconds})`);
}
