import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config-schema.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from './redis.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { startSesame, type RunningSesame } from './start-sesame.ts';

export interface RestartableDeployment {
  /** The issuer's address: whichever Sesame runs now answers behind it. */
  readonly proxy: RoundRobinProxy;
  readonly smtp: SmtpSink;
  /**
   * Restarts Sesame with these settings: the one before stops (its mail worker too, which would
   * decide by its own settings), and the new one is the only one behind the issuer's address.
   */
  restartWith(config: Partial<Config>): Promise<RunningSesame>;
}

/**
 * A deployment an operator reconfigures and restarts, for a file's tests: what it shares across a
 * restart is Redis and its key prefix, the issuer's address, the SMTP relay and the secrets.
 */
export function useRestartableDeployment(label: string): RestartableDeployment {
  let redis: StartedRedis | undefined;
  let smtp: SmtpSink | undefined;
  let proxy: RoundRobinProxy | undefined;
  let running: RunningSesame | undefined;
  const prefix = uniquePrefix(label);
  const shared = { cookieKeys: [randomBytes(32).toString('base64url')], hmacKey: randomBytes(32).toString('base64url') };

  beforeAll(async () => {
    redis = await startRedis();
    smtp = await startSmtpSink();
    proxy = await startRoundRobinProxy();
  });

  afterAll(async () => {
    await proxy?.close();
    await running?.close();
    if (redis) {
      const admin = new Redis(redis.url);
      await deleteSesameKeys(admin, prefix);
      admin.disconnect();
    }
    await smtp?.stop();
    await redis?.stop();
  });

  return {
    get proxy() {
      return proxy!;
    },
    get smtp() {
      return smtp!;
    },
    async restartWith(config) {
      await running?.close();
      running = await startSesame({ redisUrl: redis!.url, smtpUrl: smtp!.url, keyPrefix: prefix, issuer: proxy!.url, config: { ...shared, ...config } });
      proxy!.setBackends([running.url]);
      return running;
    },
  };
}
