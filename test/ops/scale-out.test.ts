import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { signInWithCode, signInWithLink } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Two Sesame instances on one Redis behind a round-robin balancer: every request goes to the other
// instance than the one before, so no step of a sign-in or of token use may rely on process memory.

let redis: StartedRedis;
let smtp: SmtpSink;
let proxy: RoundRobinProxy;
let instances: RunningSesame[];
let rp: RelyingParty;
const prefix = uniquePrefix('scale-out');

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  proxy = await startRoundRobinProxy();
  // What a deployment shares: Redis and its key prefix, the issuer, and the secrets.
  const shared = { cookieKeys: [randomBytes(32).toString('base64url')], hmacKey: randomBytes(32).toString('base64url') };
  instances = await Promise.all([0, 1].map(() => startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: shared })));
  proxy.setBackends(instances.map((instance) => instance.url));
  rp = await startRelyingParty(proxy.url);
});

afterAll(async () => {
  await proxy?.close();
  for (const instance of instances ?? []) await instance.close();
  const admin = new Redis(redis.url);
  await deleteSesameKeys(admin, prefix);
  admin.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

/** The backends that served the requests logged since `from`, in order. */
const servedSince = (from: number) => proxy.log.slice(from).map((entry) => entry.backend);

describe('two instances, one Redis, requests alternating between them', () => {
  it('a sign-in with the code hops between instances at every step and finishes', async () => {
    const from = proxy.log.length;
    const { tokens } = await signInWithCode({ rp, smtp }, 'hopper@example.com');
    expect(tokens.claims()).toMatchObject({ iss: proxy.url, email: 'hopper@example.com', email_verified: true });
    const served = servedSince(from);
    expect(served.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < served.length; i++) expect(served[i]).not.toBe(served[i - 1]);
    // Both instances ran the mail worker, and the mail went out once.
    expect(smtp.messages.filter((m) => m.to === 'hopper@example.com')).toHaveLength(1);
  });

  it('a sign-in with the link: the confirmation page on one instance, the POST on the other', async () => {
    const { tokens } = await signInWithLink({ rp, smtp }, 'linker@example.com');
    expect(tokens.claims()!.email).toBe('linker@example.com');
  });

  it('the session holds on both instances: a second app authorization skips the sign-in', async () => {
    const { browser, tokens: first } = await signInWithCode({ rp, smtp }, 'session@example.com');
    for (let round = 0; round < 2; round++) {
      const pending = await rp.startAuthorization();
      const page = await browser.navigate(pending.url);
      expect(page.leftTo).toMatch(/callback\?code=/);
      const tokens = await rp.handleCallback(page.leftTo!, pending);
      expect(tokens.claims()!.sub).toBe(first.claims()!.sub);
    }
  });

  it('tokens work on either instance: userinfo, refresh rotation, introspection, revocation', async () => {
    const { tokens } = await signInWithCode({ rp, smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'tokens@example.com');
    for (let i = 0; i < 2; i++) {
      const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, tokens.claims()!.sub);
      expect(userinfo.email).toBe('tokens@example.com');
    }
    const used: string[] = [];
    let accessToken = tokens.access_token;
    let refreshToken = tokens.refresh_token!;
    for (let i = 0; i < 3; i++) {
      const refreshed = await client.refreshTokenGrant(rp.config, refreshToken);
      used.push(refreshToken);
      refreshToken = refreshed.refresh_token!;
      accessToken = refreshed.access_token;
    }
    expect((await client.tokenIntrospection(rp.config, accessToken)).active).toBe(true);
    await client.tokenRevocation(rp.config, accessToken);
    for (let i = 0; i < 2; i++) expect((await client.tokenIntrospection(rp.config, accessToken)).active).toBe(false);

    // Replaying a rotated refresh token on either instance is caught, and revokes the whole grant on both.
    await expect(client.refreshTokenGrant(rp.config, used[0]!)).rejects.toMatchObject({ error: 'invalid_grant' });
    for (let i = 0; i < 2; i++) await expect(client.refreshTokenGrant(rp.config, refreshToken)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
