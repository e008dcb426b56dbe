import type Koa from 'koa';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { createHttpServer } from '../../src/http/http-server.ts';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { usesRedis, type Config, type RedisConfig } from '../../src/config/config-schema.ts';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { createSesame } from '../../src/sesame.ts';
import type { Store } from '../../src/store/store.ts';
import { deleteSesameKeys, uniquePrefix } from './redis.ts';
import { testConfig } from './test-config.ts';

export interface RunningSesame {
  url: string;
  config: Readonly<Config>;
  store: Store;
  provider: Provider;
  metrics: Metrics;
  accounts: ReturnType<typeof createAccounts>;
  server: Server;
  /** The Koa app, for tests that read its routers (test/hostile/hostile-input.test.ts). */
  app: Koa;
  /** Resolves when every queued sign-in mail is sent (or has failed for good). */
  mailIdle(): Promise<void>;
  close(): Promise<void>;
}

export interface StartSesameOptions {
  redisUrl?: string;
  /** Cluster or Sentinel instead of `redisUrl` (the key prefix is set here). */
  redis?: Omit<RedisConfig, 'keyPrefix'>;
  smtpUrl: string;
  /** Share one key prefix between several instances (scale-out tests); the caller then cleans it up. */
  keyPrefix?: string;
  /** The public URL when instances sit behind a proxy; default: this instance's own address. */
  issuer?: string;
  config?: Partial<Config>;
  logger?: Logger;
}

// Audit lines are written whatever the level (observability/audit-log.ts): a test that does not
// read them must not have them on its output either.
const discardedLines = new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Boots Sesame the way src/main.ts does (createSesame: Redis store, durable mail queue and worker)
 * on an ephemeral port with its own Redis key prefix and a real SMTP sink.
 */
export async function startSesame({ redisUrl, redis, smtpUrl, keyPrefix, issuer, config: overrides = {}, logger = createLogger({ level: 'silent', destination: discardedLines }) }: StartSesameOptions): Promise<RunningSesame> {
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prefix = keyPrefix ?? uniquePrefix('e2e');
  const config = testConfig({
    issuer: issuer ?? url,
    ...(redisUrl ? { redis: { url: redisUrl, keyPrefix: prefix } } : {}),
    ...(redis ? { redis: { ...redis, keyPrefix: prefix } } : {}),
    mail: { smtpUrl, from: 'Sesame <no-reply@sesame.test>' },
    ...overrides,
  });
  const sesame = await createSesame({ config, logger }).catch(async (error: unknown) => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  });
  server.on('request', sesame.handler);
  server.on('clientError', sesame.answerClientError);

  return {
    url,
    config,
    store: sesame.store,
    provider: sesame.provider!,
    metrics: sesame.metrics,
    accounts: createAccounts({ store: sesame.store }),
    server,
    app: sesame.app,
    mailIdle: () => sesame.mailIdle(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sesame.close();
      if (!keyPrefix && usesRedis(config.redis)) {
        const admin = createRedisClient(config.redis, { policy: 'fail-fast', connectionName: 'test:cleanup' });
        await admin.connect();
        await deleteSesameKeys(admin, prefix);
        admin.disconnect();
      }
    },
  };
}
