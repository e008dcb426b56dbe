import { afterAll, beforeAll } from '@jest/globals';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { Redis } from 'ioredis';
import type { Store } from '../../src/store/store.ts';
import { createTestRedisStore, startRedis, type StartedRedis } from './redis.ts';

export interface MadeStore {
  store: Store;
  cleanup(): Promise<void>;
  /** On Redis only: the connection and key prefix, for checks the Store interface cannot make. */
  redis?: Redis;
  prefix?: string;
}

export type StoreFactory = () => Promise<MadeStore>;

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

/**
 * One store for a whole describe (its tests share state, as processes share Redis): made in
 * beforeAll, cleaned up in afterAll. Empty until beforeAll has run, so read it inside tests only.
 */
export function useStore(makeStore: StoreFactory): Partial<MadeStore> {
  const made: Partial<MadeStore> = {};
  beforeAll(async () => {
    Object.assign(made, await makeStore());
  });
  afterAll(async () => {
    await made.cleanup?.();
  });
  return made;
}
