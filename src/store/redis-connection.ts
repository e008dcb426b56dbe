import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config-schema.ts';
import { writeOncePerTick } from './write-once-per-tick.ts';

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
  /**
   * Commands issued in one turn of the event loop leave in one write: on a standalone or Sentinel
   * connection by writing once per turn (write-once-per-tick.ts), on Cluster by ioredis's
   * auto-pipelining (one pipeline per node). `single-node` leaves a Cluster connection unbatched:
   * BullMQ duplicates its worker's connection for blocking reads, and auto-pipelining would come
   * along. @default 'off'
   */
  batching?: 'all' | 'single-node' | 'off';
}

/** One ioredis client for a standalone Redis (REDIS_URL), Sentinel or Cluster; nothing is sent until it connects. */
export function createRedisClient(redis: RedisConfig, { policy, connectionName, commandTimeoutMs = 2000, lazyConnect = true, batching = 'off' }: RedisClientOptions): RedisClient {
  const reconnecting: RedisOptions = { connectTimeout: 5000, enableOfflineQueue: true, retryStrategy: reconnectDelayMs, reconnectOnError: reconnectAfterDemotion };
  const perConnection: RedisOptions = policy === 'fail-fast' ? { ...reconnecting, maxRetriesPerRequest: 1, commandTimeout: commandTimeoutMs } : { ...reconnecting, maxRetriesPerRequest: null };
  const credentials: RedisOptions = { ...(redis.username ? { username: redis.username } : {}), ...(redis.password ? { password: redis.password } : {}) };

  if (redis.clusterNodes?.length) {
    const options: ClusterOptions = {
      redisOptions: { ...perConnection, ...credentials, connectionName },
      clusterRetryStrategy: reconnectDelayMs,
      // Fail-fast commands do not wait in a queue while the cluster is unreachable: the request gets its 503 at once.
      enableOfflineQueue: policy === 'blocking',
      lazyConnect,
      enableAutoPipelining: batching === 'all',
      slotsRefreshTimeout: 2000,
      // Every key of a command carries one hash tag (store/keys.ts), so reads and writes both go to the slot's master.
      scaleReads: 'master',
    };
    return new Cluster(redis.clusterNodes, options);
  }
  if (!redis.sentinels?.length && !redis.url) throw new TypeError('createRedisClient: no Redis configured');
  const client = redis.sentinels?.length
    ? new Redis({ ...perConnection, ...credentials, sentinels: redis.sentinels, name: redis.sentinelName!, connectionName, lazyConnect })
    : new Redis(redis.url!, { ...perConnection, connectionName, lazyConnect });
  if (batching !== 'off') writeOncePerTick(client);
  return client;
}

/**
 * A READONLY reply means the node this connection holds was demoted to a replica: a failover
 * happened (a managed Redis's primary endpoint, whose name now points at the new primary; a
 * Sentinel failover whose old master did not drop its clients). The connection would keep asking
 * the replica for ever; a new one finds the primary (through DNS, or by asking the Sentinels).
 * The command that met it fails (a 503) rather than being sent again: one request, not a hang.
 */
const reconnectAfterDemotion = (error: Error): 1 | false => (error.message.startsWith('READONLY') ? 1 : false);

/** Reconnect forever, at most a second apart: service resumes within about a second of Redis returning. */
const reconnectDelayMs = (attempt: number) => Math.min(attempt * 100, 1000);

/** Where Redis is, for messages: never a password. */
export function describeRedis(redis: RedisConfig): string {
  if (redis.clusterNodes?.length) return `the Redis Cluster at ${redis.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (redis.sentinels?.length) return `master "${redis.sentinelName}" of the Sentinels at ${redis.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return `Redis at ${(redis.url ?? '').replace(/\/\/[^@/]*@/, '//***@')}`;
}
