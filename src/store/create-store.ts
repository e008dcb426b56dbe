import type { Config } from '../config/config-schema.ts';
import { usesRedis } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { checkStoreCommands } from './command-check.ts';
import { checkEvictionPolicy } from './eviction-policy.ts';
import { createMemoryStore } from './memory-store.ts';
import { createRedisClient, describeRedis, type RedisClient } from './redis-connection.ts';
import { createRedisStore } from './redis-store.ts';
import type { Store } from './store.ts';

/**
 * Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS, checked before the port opens: it takes
 * a write, its maxmemory-policy does not evict keys, and it lets Sesame's user run every command
 * the store sends) on a fail-fast connection of its own, else the in-memory store.
 */
export async function createStore(config: Readonly<Config>, logger: Logger, connectionName = 'sesame:store'): Promise<Store> {
  return (await createStoreWithClient(config, logger, connectionName)).store;
}

/**
 * As createStore, and hands out the Redis client too, for work that should share its pipeline:
 * the mail queue's enqueue then leaves in the same round trip as the request's writes.
 */
export async function createStoreWithClient(config: Readonly<Config>, logger: Logger, connectionName = 'sesame:store'): Promise<{ store: Store; redis: RedisClient | undefined }> {
  if (!usesRedis(config.redis)) {
    logger.warn('using the in-memory store (REDIS_URL unset): one process only, nothing survives a restart');
    return { store: createMemoryStore(), redis: undefined };
  }
  // Commands issued in one turn leave in one write, so the request scope's batched writes and
  // parallel reads become one round trip.
  const redis = createRedisClient(config.redis, { policy: 'fail-fast', connectionName, batching: 'all' });
  let lastConnectionError: Error | undefined;
  let warned = false;
  redis.on('error', (error: Error) => {
    lastConnectionError = error;
    // ioredis reports every failed reconnection attempt: one line per outage is enough.
    if (!warned) logger.warn({ err: error.message }, 'redis connection error; reconnecting');
    warned = true;
  });
  redis.on('ready', () => {
    if (warned) logger.info('redis connection restored');
    warned = false;
  });
  const store = createRedisStore(redis, { prefix: config.redis.keyPrefix });
  try {
    await redis.connect();
    await store.ping();
  } catch (error) {
    redis.disconnect();
    const reason = (lastConnectionError ?? (error as Error)).message;
    // Reached, but the credentials are missing or wrong: say which settings carry them.
    if (/^(NOAUTH|WRONGPASS)\b/.test(reason)) {
      const settings = config.redis.url ? 'the user and password in REDIS_URL (redis://user:password@host:port)' : 'REDIS_USERNAME and REDIS_PASSWORD';
      throw new Error(`${describeRedis(config.redis)} refused the credentials (${reason}); check ${settings}`);
    }
    throw new Error(`cannot reach ${describeRedis(config.redis)} (${reason}); check the Redis settings and that Redis is running`);
  }
  try {
    await checkEvictionPolicy(redis, { allowEviction: config.redis.allowEviction === true, where: describeRedis(config.redis), logger });
    await checkStoreCommands(store, describeRedis(config.redis));
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return { store, redis };
}
