import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countKeysWithPrefix, createTestRedisStore, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { storeContract } from '../contract/store.contract.ts';
import { Redis } from 'ioredis';

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
