import { Redis } from 'ioredis';
import type { Config } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { createMemoryStore } from './memory-store.ts';
import { createRedisStore } from './redis-store.ts';
import type { Store } from './store.ts';

/** REDIS_URL → Redis (checked with PING before the port opens), else the in-memory store. */
export async function createStore(config: Readonly<Config>, logger: Logger): Promise<Store> {
  if (!config.redis.url) {
    logger.warn('using the in-memory store (REDIS_URL unset): one process only, nothing survives a restart');
    return createMemoryStore();
  }
  const redis = new Redis(config.redis.url, {
    // Fail fast instead of queueing requests forever while Redis is down: the user gets a 503 page.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    lazyConnect: true,
    // Commands issued in one tick leave in one write: the request scope's batched writes and
    // parallel reads become one round trip.
    enableAutoPipelining: true,
  });
  let lastConnectionError: Error | undefined;
  redis.on('error', (error) => {
    lastConnectionError = error;
    logger.warn({ err: error.message }, 'redis connection error');
  });
  const store = createRedisStore(redis, { prefix: config.redis.keyPrefix });
  try {
    await redis.connect();
    await store.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${withoutPassword(config.redis.url)} (${(lastConnectionError ?? (error as Error)).message}); check REDIS_URL and that Redis is running`);
  }
  return store;
}

const withoutPassword = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
