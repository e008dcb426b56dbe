import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config-schema.ts';

export type RedisClient = Redis | Cluster;

/**
 * How a connection behaves while Redis is away.
 * - `fail-fast`: the store and the queue producer, both on the request path. A command waits for
 *   at most one reconnection attempt and `commandTimeoutMs`, then fails, so a request answers 503
 *   instead of hanging. ioredis keeps reconnecting in the background, so service resumes by itself.
 * - `blocking`: BullMQ's worker. It blocks on BZPOPMIN and must retry forever, so BullMQ requires
 *   `maxRetriesPerRequest: null` and no command timeout; it never serves a request.
 */
export type ConnectionPolicy = 'fail-fast' | 'blocking';

export interface RedisClientOptions {
  policy: ConnectionPolicy;
  /** Shown in CLIENT LIST: which part of which process holds the connection. */
  connectionName: string;
  /** @default 2000 */
  commandTimeoutMs?: number;
  /** Connect on first command (false) or when `connect()` is called (true). @default true */
  lazyConnect?: boolean;
  /** Send the commands issued in one tick in one write (ioredis enableAutoPipelining). @default false */
  autoPipelining?: boolean;
}

/** One ioredis client for a standalone Redis (REDIS_URL), Sentinel or Cluster; nothing is sent until it connects. */
export function createRedisClient(redis: RedisConfig, { policy, connectionName, commandTimeoutMs = 2000, lazyConnect = true, autoPipelining = false }: RedisClientOptions): RedisClient {
  const perConnection: RedisOptions =
    policy === 'fail-fast'
      ? { maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs, connectTimeout: 5000, enableOfflineQueue: true, retryStrategy: reconnectDelayMs }
      : { maxRetriesPerRequest: null, connectTimeout: 5000, enableOfflineQueue: true, retryStrategy: reconnectDelayMs };
  const credentials: RedisOptions = { ...(redis.username ? { username: redis.username } : {}), ...(redis.password ? { password: redis.password } : {}) };

  if (redis.clusterNodes?.length) {
    const options: ClusterOptions = {
      redisOptions: { ...perConnection, ...credentials, connectionName },
      clusterRetryStrategy: reconnectDelayMs,
      // Fail-fast commands do not wait in a queue while the cluster is unreachable: the request gets its 503 at once.
      enableOfflineQueue: policy === 'blocking',
      lazyConnect,
      enableAutoPipelining: autoPipelining,
      slotsRefreshTimeout: 2000,
      // Every key of a command carries one hash tag (store/keys.ts), so reads and writes both go to the slot's master.
      scaleReads: 'master',
    };
    return new Cluster(redis.clusterNodes, options);
  }
  if (redis.sentinels?.length) {
    return new Redis({ ...perConnection, ...credentials, sentinels: redis.sentinels, name: redis.sentinelName!, connectionName, lazyConnect, enableAutoPipelining: autoPipelining });
  }
  if (!redis.url) throw new TypeError('createRedisClient: no Redis configured');
  return new Redis(redis.url, { ...perConnection, connectionName, lazyConnect, enableAutoPipelining: autoPipelining });
}

/** Reconnect forever, at most a second apart: service resumes within about a second of Redis returning. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 1000);

/** Where Redis is, for messages: never a password. */
export function describeRedis(redis: RedisConfig): string {
  if (redis.clusterNodes?.length) return `the Redis Cluster at ${redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (redis.sentinels?.length) return `master "${redis.sentinelName}" of the Sentinels at ${redis.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return `Redis at ${(redis.url ?? '').replace(/\/\/[^@/]*@/, '//***@')}`;
}
