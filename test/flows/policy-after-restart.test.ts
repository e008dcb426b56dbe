import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config-schema.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Who may have an account, and where, is read at start-up: an operator tightens it and restarts.
// What was begun under the old settings must not finish against the new ones.

let redis: StartedRedis;
let smtp: SmtpSink;
let proxy: RoundRobinProxy;
const started: RunningSesame[] = [];
const prefix = uniquePrefix('policy-restart');
// What a deployment shares across a restart: Redis and its key prefix, the issuer, the secrets.
const shared = { cookieKeys: [randomBytes(32).toString('base64url')], hmacKey: randomBytes(32).toString('base64url') };

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  proxy = await startRoundRobinProxy();
});

afterAll(async () => {
  await proxy?.close();
  for (const sesame of started) await sesame.close();
  const admin = new Redis(redis.url);
  await deleteSesameKeys(admin, prefix);
  admin.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

/** A Sesame with these settings, the only one behind the issuer's address from now on. */
async function restartWith(config: Partial<Config>) {
  const sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: { ...shared, ...config } });
  started.push(sesame);
  proxy.setBackends([sesame.url]);
  return sesame;
}

describe('a change of address asked for before SIGNUP_DOMAINS was set', () => {
  it('is not made by its code once a restart set the domains: the account stays at its address', async () => {
    await restartWith({});
    const { browser, page } = await signInWithCodeAt({ smtp }, `${proxy.url}/account`, 'leaving@example.com');
    expect(page.url).toBe(`${proxy.url}/account`);
    const { page: confirm } = await requestEmailChange(proxy.url, browser, 'private@elsewhere.net');
    expect(confirm.url).toBe(`${proxy.url}/account/email/confirm`);
    const { code } = await emailChangeCodeTo(smtp, 'private@elsewhere.net');

    const sesame = await restartWith({ signupDomains: ['example.com'] });
    const done = await enterEmailChangeCode(proxy.url, browser, confirm, code!);
    expect(done.status).toBe(400);
    expect(done.url).toBe(`${proxy.url}/account/email?problem=outside-domains`);
    expect(done.html).toContain('Accounts here use addresses at example.com: enter one of those.');
    expect(await sesame.accounts.findByEmail('private@elsewhere.net')).toBeUndefined();
    expect(await sesame.accounts.findByEmail('leaving@example.com')).toBeDefined();
  });
});
