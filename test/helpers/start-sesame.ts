import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/config/config-schema.ts';
import { createLogger } from '../../src/logger.ts';
import { createSignInMailDelivery } from '../../src/mail/deliver-sign-in-mail.ts';
import { createInProcessMailQueue } from '../../src/mail/mail-queue.ts';
import { createSmtpMailer } from '../../src/mail/mailer.ts';
import { createRedisStore } from '../../src/store/redis-store.ts';
import type { Store } from '../../src/store/store.ts';
import { deleteKeysWithPrefix, uniquePrefix } from './redis.ts';
import { testConfig } from './test-config.ts';

export interface RunningSesame {
  url: string;
  config: Readonly<Config>;
  store: Store;
  accounts: ReturnType<typeof createAccounts>;
  server: Server;
  close(): Promise<void>;
}

export interface StartSesameOptions {
  redisUrl: string;
  smtpUrl: string;
  /** Share one key prefix between several instances (scale-out tests). */
  keyPrefix?: string;
  config?: Partial<Config>;
}

/** Boots Sesame on an ephemeral port with its own Redis key prefix and a real SMTP sink. */
export async function startSesame({ redisUrl, smtpUrl, keyPrefix, config: overrides = {} }: StartSesameOptions): Promise<RunningSesame> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prefix = keyPrefix ?? uniquePrefix('e2e');
  const config = testConfig({ issuer: url, redis: { url: redisUrl, keyPrefix: prefix }, mail: { smtpUrl, from: 'Sesame <no-reply@sesame.test>' }, ...overrides });

  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: true });
  const store = createRedisStore(redis, { prefix });
  const mailer = createSmtpMailer({ smtpUrl, from: config.mail.from });
  const mailQueue = createInProcessMailQueue({ deliver: createSignInMailDelivery({ config, store, mailer }), backoffMs: () => 100 });
  const { handler } = createApp({ config, store, mailQueue, logger: createLogger({ level: 'silent' }) });
  server.on('request', handler);

  return {
    url,
    config,
    store,
    accounts: createAccounts({ store }),
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await mailQueue.close();
      await mailer.close();
      if (!keyPrefix) await deleteKeysWithPrefix(redis, prefix);
      await store.close();
    },
  };
}
