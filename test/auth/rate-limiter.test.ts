import { afterEach, describe, expect, it } from '@jest/globals';
import { createRateLimiter, type RateLimit } from '../../src/auth/rate-limiter.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { hmacSha256 } from '../../src/auth/secrets.ts';
import { rateLimitKey } from '../../src/store/keys.ts';
import { bothStores } from '../helpers/both-stores.ts';

const KEY = 'k'.repeat(32);
const THREE_PER_MINUTE: RateLimit = { name: 'test-limit', limit: 3, windowSeconds: 60 };

describe.each(bothStores('rate-limiter'))('rate limiter on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return { store: made.store, limiter: createRateLimiter({ store: made.store, hmacKey: KEY }) };
  };

  it('allows the limit, then refuses with the seconds left in the window', async () => {
    const { limiter } = await setup();
    expect(await limiter.hit(THREE_PER_MINUTE, 'a@example.com')).toEqual({ allowed: true, remaining: 2 });
    await limiter.hit(THREE_PER_MINUTE, 'a@example.com');
    expect(await limiter.hit(THREE_PER_MINUTE, 'a@example.com')).toEqual({ allowed: true, remaining: 0 });
    const refused = await limiter.hit(THREE_PER_MINUTE, 'a@example.com');
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('counts subjects and limits separately', async () => {
    const { limiter } = await setup();
    for (let i = 0; i < 3; i++) await limiter.hit(THREE_PER_MINUTE, 'a@example.com');
    expect((await limiter.hit(THREE_PER_MINUTE, 'b@example.com')).allowed).toBe(true);
    expect((await limiter.hit({ ...THREE_PER_MINUTE, name: 'other-limit' }, 'a@example.com')).allowed).toBe(true);
    expect((await limiter.hit(THREE_PER_MINUTE, 'a@example.com')).allowed).toBe(false);
  });

  it('a share: each client gets its share of the total, and a client past its share uses up none of it', async () => {
    const { limiter } = await setup();
    const share: RateLimit = { name: 'ip', limit: 2, windowSeconds: 60 };
    const total: RateLimit = { name: 'address', limit: 3, windowSeconds: 120 };
    expect(await limiter.hitShare(share, 'ip-1', total, 'a@example.com')).toEqual({ allowed: true, remaining: 1 });
    expect(await limiter.hitShare(share, 'ip-1', total, 'a@example.com')).toEqual({ allowed: true, remaining: 0 });
    for (let i = 0; i < 10; i++) {
      const refused = await limiter.hitShare(share, 'ip-1', total, 'a@example.com');
      expect(refused.allowed).toBe(false);
      if (!refused.allowed) expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // The total has one left, and another client gets it; after that the total refuses everyone.
    expect((await limiter.hitShare(share, 'ip-2', total, 'a@example.com')).allowed).toBe(true);
    const full = await limiter.hitShare(share, 'ip-3', total, 'a@example.com');
    expect(full.allowed).toBe(false);
    if (!full.allowed) expect(full.retryAfterSeconds).toBeLessThanOrEqual(120);
    // Another subject's total is its own.
    expect((await limiter.hitShare(share, 'ip-1', total, 'b@example.com')).allowed).toBe(true);
  });

  it('a window counted by a process whose clock runs ahead stays counted for one whose clock is behind, until that one\'s window ends too', async () => {
    const { store } = await setup();
    const tenSeconds: RateLimit = { name: 'test-skew', limit: 3, windowSeconds: 10 };
    const windowEnd = (Math.floor(Date.now() / 10_000) + 1) * 10_000;
    // Half a second before the window's end by its clock; the other process's clock is five seconds behind.
    const ahead = createRateLimiter({ store, hmacKey: KEY, now: () => windowEnd - 500 });
    const behind = createRateLimiter({ store, hmacKey: KEY, now: () => windowEnd - 5_500 });
    for (let i = 0; i < 3; i++) expect((await ahead.hit(tenSeconds, 's')).allowed).toBe(true);
    // The window by the first clock is over (its key would have gone with it); by the second, five seconds are left.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await behind.hit(tenSeconds, 's')).toEqual({ allowed: false, retryAfterSeconds: 6 });
  });

  it('holds under concurrency: of 20 parallel hits exactly the limit pass', async () => {
    const { limiter } = await setup();
    const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.hit(THREE_PER_MINUTE, 'race@example.com')));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
  });

  it('reset() gives the subject its budget back', async () => {
    const { limiter } = await setup();
    for (let i = 0; i < 4; i++) await limiter.hit(THREE_PER_MINUTE, 'a@example.com');
    await limiter.reset(THREE_PER_MINUTE, 'a@example.com');
    expect((await limiter.hit(THREE_PER_MINUTE, 'a@example.com')).allowed).toBe(true);
  });

  it('keys its counters by a keyed hash of the subject, never the subject itself', async () => {
    const { store } = await setup();
    const now = 1_800_000_000_000;
    const limiter = createRateLimiter({ store, hmacKey: KEY, now: () => now });
    await limiter.hit(THREE_PER_MINUTE, '203.0.113.9');
    const windowStart = Math.floor(now / 60_000) * 60_000;
    expect(await store.get(rateLimitKey('test-limit', hmacSha256(KEY, 'rate:test-limit', '203.0.113.9'), windowStart))).toBe(1);
    expect(await store.get(rateLimitKey('test-limit', '203.0.113.9', windowStart))).toBeUndefined();
  });
});

describe('rate limiter windows', () => {
  it('a new window starts a new budget', async () => {
    let now = 1_800_000_000_000;
    const store = createMemoryStore({ now: () => now });
    const limiter = createRateLimiter({ store, hmacKey: KEY, now: () => now });
    for (let i = 0; i < 3; i++) await limiter.hit(THREE_PER_MINUTE, 's');
    expect((await limiter.hit(THREE_PER_MINUTE, 's')).allowed).toBe(false);
    now += 60_000;
    expect(await limiter.hit(THREE_PER_MINUTE, 's')).toEqual({ allowed: true, remaining: 2 });
    await store.close();
  });

  it('refuses a malformed limit as a programming error', async () => {
    const limiter = createRateLimiter({ store: createMemoryStore(), hmacKey: KEY });
    await expect(limiter.hit({ name: 'Bad Name', limit: 1, windowSeconds: 1 }, 's')).rejects.toThrow(TypeError);
    await expect(limiter.hit({ name: 'ok', limit: 0, windowSeconds: 1 }, 's')).rejects.toThrow(TypeError);
  });
});

