import { afterAll, beforeAll } from '@jest/globals';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestRedisStore, startRedis, type StartedRedis } from './redis.ts';

export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

/**
 * [name, factory] pairs for describe.each: a module built on Store is tested on the in-memory
 * store and on a real Redis, so the two cannot drift apart.
 */
export function bothStores(label: string): [string, StoreFactory][] {
  let redis: StartedRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return [
    ['memory', async () => {
      const store = createMemoryStore();
      return { store, cleanup: () => store.close() };
    }],
    ['redis', async () => {
      if (!redis) throw new Error('redis not started');
      return createTestRedisStore(redis.url, label);
    }],
  ];
}
