import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

// tokens_not_before on an app's registration: after a leaked secret, the operator sets a new one
// and this, restarts, and every token the app held from before is refused, for every person.

let redis: StartedRedis;
let smtp: SmtpSink;
let proxy: RoundRobinProxy;
const started: RunningSesame[] = [];
const prefix = uniquePrefix('token-cutoff');
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

/** A Sesame with these apps, the only one behind the issuer's address from now on (a restart with a new clients file). */
async function restartWith(clients: typeof TEST_CLIENT[]) {
  const sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: { ...shared, clients } });
  started.push(sesame);
  proxy.setBackends([sesame.url]);
  return sesame;
}

const second = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('tokens_not_before', () => {
  it('refuses every token the app got before it (refresh, userinfo, introspection, a machine\'s token), and none issued after', async () => {
    await restartWith([TEST_CLIENT, MACHINE_CLIENT]);
    const app = await startRelyingParty(proxy.url);
    const machine = await startRelyingParty(proxy.url, MACHINE_CLIENT);
    const { tokens } = await signInWithCode({ rp: app, smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'cutoff@example.com');
    const machineToken = await client.clientCredentialsGrant(machine.config);
    // A refresh in between: the refresh token it returns belongs to the chain begun before the cutoff.
    const rotated = await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    await second();
    const cutoff = new Date().toISOString();
    await second();

    // The operator's answer: the cutoff on both apps, and a restart.
    await restartWith([{ ...TEST_CLIENT, tokens_not_before: cutoff }, { ...MACHINE_CLIENT, tokens_not_before: cutoff }]);
    const appNow = await startRelyingParty(proxy.url);
    const machineNow = await startRelyingParty(proxy.url, MACHINE_CLIENT);
    const refreshes = (token: string) => client.refreshTokenGrant(appNow.config, token).then(() => 'works', (error: { error?: string }) => error.error);
    const userinfo = (token: string) => fetch(`${proxy.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
    expect(await refreshes(rotated.refresh_token ?? tokens.refresh_token!)).toBe('invalid_grant');
    expect(await userinfo(rotated.access_token)).toBe(401);
    expect((await client.tokenIntrospection(appNow.config, rotated.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(machineNow.config, machineToken.access_token)).active).toBe(false);

    // What the apps get from now on works.
    const fresh = await signInWithCode({ rp: appNow, smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'cutoff@example.com');
    expect(await userinfo(fresh.tokens.access_token)).toBe(200);
    expect(await refreshes(fresh.tokens.refresh_token!)).toBe('works');
    const machineFresh = await client.clientCredentialsGrant(machineNow.config);
    expect((await client.tokenIntrospection(machineNow.config, machineFresh.access_token)).active).toBe(true);
  });
});
