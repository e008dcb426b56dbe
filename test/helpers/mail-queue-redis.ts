import { afterAll, beforeAll } from '@jest/globals';
import { deriveSecretBox } from '../../src/auth/derived-secret-box.ts';
import { createRedisClient, type RedisClient } from '../../src/store/redis-connection.ts';
import { deleteKeysWithPrefix, startRedis, uniquePrefix, type StartedRedis } from './redis.ts';

export interface MailQueueRedis {
  /** The queue's connection (fail-fast, as the web process has it). */
  readonly connection: RedisClient;
  /** The worker's blocking connection. */
  readonly workerConnection: RedisClient;
  /** This file's own queue prefix, in one hash slot as Sesame's is. */
  readonly prefix: string;
  readonly secretBox: ReturnType<typeof deriveSecretBox>;
}

/**
 * For tests of the durable mail queue and its worker without a whole Sesame: a redis-server of the
 * file's own, the two connections Sesame gives the queue and the worker, and a prefix and a sealing
 * key of the file's own. Started before the file's tests, its keys deleted and all stopped after.
 */
export function useMailQueueRedis(name: string): MailQueueRedis {
  let redis: StartedRedis;
  let connection: RedisClient;
  let workerConnection: RedisClient;
  const prefix = `{${uniquePrefix(name)}mail}`;
  const secretBox = deriveSecretBox([`${name}-test-secret-0123456789abcdef`], 'sesame mail queue v1');
  beforeAll(async () => {
    redis = await startRedis();
    connection = createRedisClient({ url: redis.url, keyPrefix: '' }, { policy: 'fail-fast', connectionName: name });
    workerConnection = createRedisClient({ url: redis.url, keyPrefix: '' }, { policy: 'blocking', connectionName: `${name}-worker` });
    await Promise.all([connection.connect(), workerConnection.connect()]);
  });
  afterAll(async () => {
    await deleteKeysWithPrefix(connection as never, prefix);
    connection.disconnect();
    workerConnection.disconnect();
    await redis.stop();
  });
  return {
    get connection() {
      return connection;
    },
    get workerConnection() {
      return workerConnection;
    },
    prefix,
    secretBox,
  };
}
