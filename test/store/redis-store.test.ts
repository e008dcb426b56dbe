import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countKeysWithPrefix, createTestRedisStore, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { storeContract } from '../contract/store.contract.ts';
import { Redis } from 'ioredis';
import { withProcessClockOff } from '../helpers/move-clocks.ts';

let redis: StartedRedis;
const prefixes: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  // Every store cleaned up after itself: nothing of ours is left in Redis.
  const admin = new Redis(redis.url);
  for (const prefix of prefixes) expect(await countKeysWithPrefix(admin, prefix)).toBe(0);
  admin.disconnect();
  await redis?.stop();
});

storeContract('redis', async () => {
  const subject = await createTestRedisStore(redis.url, 'contract');
  prefixes.push(subject.prefix);
  return subject;
});

describe('redis store prefixes', () => {
  it('keeps two prefixes on one Redis apart', async () => {
    const a = await createTestRedisStore(redis.url, 'a');
    const b = await createTestRedisStore(redis.url, 'b');
    prefixes.push(a.prefix, b.prefix);
    await a.store.set('same-key', 'from a');
    expect(await b.store.get('same-key')).toBeUndefined();
    expect(await a.store.get('same-key')).toBe('from a');
    await a.cleanup();
    await b.cleanup();
  });
});

describe('redis store clock', () => {
  it('reads the time of Redis, which every process shares, not of the process: one whose clock is an hour off reads the same', async () => {
    const subject = await createTestRedisStore(redis.url, 'clock');
    prefixes.push(subject.prefix);
    try {
      const serverMs = async () => {
        const [seconds, micros] = await subject.redis.time();
        return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      };
      const [before, read, after] = await withProcessClockOff(3_600_000, async () => [await serverMs(), await subject.store.clockMs('account:{someone}'), await serverMs()]);
      expect(read).toBeGreaterThanOrEqual(before!);
      expect(read).toBeLessThanOrEqual(after!);
    } finally {
      await subject.cleanup();
    }
  });
});

describe('redis store scripts', () => {
  it('sends the text of a script once per connection, then only its SHA1, and again after Redis has forgotten it (SCRIPT FLUSH)', async () => {
    const subject = await createTestRedisStore(redis.url, 'scripts');
    prefixes.push(subject.prefix);
    const admin = new Redis(redis.url);
    const monitor = await admin.monitor();
    try {
      // This store's own commands only (other connections may share the server), not those its scripts run.
      const sent: string[] = [];
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source !== 'lua' && args.some((arg) => arg.includes(subject.prefix))) sent.push(args[0]!.toLowerCase());
      });
      const sentSoFar = async () => {
        await admin.ping();
        await new Promise((resolve) => setTimeout(resolve, 50));
        return sent.splice(0);
      };

      expect(await subject.store.increment('counter', 60)).toBe(1);
      await subject.store.addToIndex('index', 'member', 60);
      expect(await subject.store.markOnce('counter', 'counter:marked', 'x')).toBe('marked');
      expect(await sentSoFar()).toEqual(['eval', 'eval', 'eval']);

      expect(await subject.store.increment('counter', 60)).toBe(2);
      await subject.store.addToIndex('index', 'other', 60);
      expect(await subject.store.markOnce('counter', 'counter:marked', 'x')).toBe('already-marked');
      expect(await sentSoFar()).toEqual(['evalsha', 'evalsha', 'evalsha']);

      await admin.script('FLUSH');
      expect(await subject.store.increment('counter', 60)).toBe(3);
      expect(await sentSoFar()).toEqual(['evalsha', 'eval']);
      expect(await subject.store.increment('counter', 60)).toBe(4);
      expect(await sentSoFar()).toEqual(['evalsha']);
    } finally {
      monitor.disconnect();
      admin.disconnect();
      await subject.store.delete('counter', 'counter:marked', 'index');
      await subject.cleanup();
    }
  });
});
