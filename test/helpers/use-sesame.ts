import { afterAll, beforeAll } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { startRedis, type StartedRedis } from './redis.ts';
import { startRelyingParty, type RelyingParty } from './relying-party.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { startSesame, type RunningSesame, type StartSesameOptions } from './start-sesame.ts';
import { TEST_CLIENT } from './test-config.ts';

export interface SesameUnderTest {
  redis: StartedRedis;
  smtp: SmtpSink;
  sesame: RunningSesame;
  /** An app signed up as `client`. */
  rp: RelyingParty;
}

export interface UseSesameOptions extends Pick<StartSesameOptions, 'config' | 'keyPrefix' | 'logger'> {
  /**
   * The registration the app (`rp`) signs in with; it must be among Sesame's clients. `false`: no
   * app, for a file whose tests must see Sesame before any app has asked it for discovery.
   * @default TEST_CLIENT
   */
  client?: ClientRegistration | false;
}

/**
 * Registers the beforeAll that starts a redis-server, an SMTP sink, Sesame on them and an app, and
 * the afterAll that stops them in reverse order. The returned object is empty until beforeAll has
 * run: read its properties inside tests and hooks, never destructure it at the top of a file.
 * Called inside a describe, the instance lives for that describe only.
 */
export function useSesame(options: UseSesameOptions & { client: false }): Omit<SesameUnderTest, 'rp'>;
export function useSesame(options?: UseSesameOptions): SesameUnderTest;
export function useSesame({ client = TEST_CLIENT, ...startOptions }: UseSesameOptions = {}): SesameUnderTest {
  const running = {} as SesameUnderTest;
  beforeAll(async () => {
    running.redis = await startRedis();
    running.smtp = await startSmtpSink();
    running.sesame = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, ...startOptions });
    if (client) running.rp = await startRelyingParty(running.sesame.url, client);
  });
  // Read at teardown, not captured at start: a test that restarts Redis (redis-outage) puts the new
  // server in `running.redis`, and that is the one to stop. jest runs afterAll hooks in the order
  // they were registered, so a file's own afterAll that must run while these parts are still up
  // (closing its own client of this Redis) is registered before calling useSesame.
  afterAll(async () => {
    await running.sesame?.close();
    await running.smtp?.stop();
    await running.redis?.stop();
  });
  return running;
}
