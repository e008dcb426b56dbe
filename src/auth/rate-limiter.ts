import type { Store } from '../store/store.ts';
import { rateLimitKey, rateLimitShareKey } from '../store/keys.ts';
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
  /**
   * A budget shared by many clients, of which each gets a share: counts one hit on the client's
   * share and, while the share lasts, on the total. A client past its share is refused without
   * using up what the others draw on, so one client alone cannot exhaust the total.
   */
  hitShare(share: RateLimit, client: string, total: RateLimit, subject: string): Promise<RateLimitDecision>;
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
 * How long a window's counter is kept after the window ends by the clock of the process that made
 * it. Another process's clock may be behind: for it the same window (its key names the window's
 * start) still runs, and a counter gone with the first clock's window would start it afresh, with
 * the whole budget again. The key of each window is its own, so keeping it longer counts nothing twice.
 */
const COUNTER_OUTLIVES_WINDOW_SECONDS = 60;

/**
 * Fixed-window counters on Store.increment: one atomic INCR per hit, shared by every process on
 * the same store. A window is identified by its start, so the key itself expires with the window
 * (a minute after it: COUNTER_OUTLIVES_WINDOW_SECONDS).
 */
export function createRateLimiter({ store, hmacKey, now = Date.now }: RateLimiterOptions): RateLimiter {
  const windowOf = (limit: RateLimit) => {
    assertLimit(limit);
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now() / windowMs) * windowMs;
    const endsInSeconds = Math.max(1, Math.ceil((start + windowMs - now()) / 1000));
    return { start, endsInSeconds, keptSeconds: endsInSeconds + COUNTER_OUTLIVES_WINDOW_SECONDS };
  };
  const hashOf = (limit: RateLimit, subject: string) => hmacSha256(hmacKey, `rate:${limit.name}`, subject);
  const keyFor = (limit: RateLimit, subject: string, windowStart: number) => rateLimitKey(limit.name, hashOf(limit, subject), windowStart);

  return {
    async hit(limit, subject) {
      const { start, endsInSeconds, keptSeconds } = windowOf(limit);
      const count = await store.increment(keyFor(limit, subject, start), keptSeconds);
      return count <= limit.limit ? { allowed: true, remaining: limit.limit - count } : { allowed: false, retryAfterSeconds: endsInSeconds };
    },
    async hitShare(share, client, total, subject) {
      const shareWindow = windowOf(share);
      const totalWindow = windowOf(total);
      const subjectHash = hashOf(total, subject);
      const counts = await store.incrementShare(
        rateLimitShareKey(total.name, subjectHash, share.name, hashOf(share, client), shareWindow.start),
        shareWindow.keptSeconds,
        share.limit,
        rateLimitKey(total.name, subjectHash, totalWindow.start),
        totalWindow.keptSeconds,
      );
      let retryAfterSeconds = 0;
      if (counts.share > share.limit) retryAfterSeconds = shareWindow.endsInSeconds;
      if (counts.total > total.limit) retryAfterSeconds = Math.max(retryAfterSeconds, totalWindow.endsInSeconds);
      return retryAfterSeconds === 0 ? { allowed: true, remaining: Math.min(share.limit - counts.share, total.limit - counts.total) } : { allowed: false, retryAfterSeconds };
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
