import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { Redis } from 'ioredis';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Refresh tokens live a day here, access tokens 10 minutes (test-config.ts).
// A key prefix as short as the shipped one (`sesame:`), so that the sizes are what a deployment's are.
const KEY_PREFIX = `s${randomBytes(3).toString('hex')}:`;
const running = useSesame({ keyPrefix: KEY_PREFIX });
const REFRESHES = 50;
/** What outlives this is what a refresh adds to Redis for the refresh token's lifetime, not just for an access token's. */
const HOUR_MS = 3_600_000;

let redis: Redis;
let spa: RelyingParty;
beforeAll(async () => {
  redis = new Redis(running.redis.url);
  spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
});
afterAll(() => redis.disconnect());

/** This Sesame's keys that live longer than an hour, and their MEMORY USAGE together. */
async function keptBeyondAnHour() {
  let keys = 0;
  let bytes = 0;
  for (const key of await redis.keys(`${KEY_PREFIX}*`)) {
    const pttl = await redis.pttl(key);
    if (pttl !== -1 && pttl <= HOUR_MS) continue;
    keys++;
    bytes += (await redis.memory('USAGE', key)) as number;
  }
  return { keys, bytes };
}

async function signInSpa(email: string) {
  const { tokens } = await signInWithCode({ rp: spa, smtp: running.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
  return tokens;
}

/** Rotates the refresh token `times` times; every token it was given, the first one first. */
async function rotate(refreshToken: string, times: number) {
  const tokens = [{ refresh_token: refreshToken, access_token: '' }];
  for (let i = 0; i < times; i++) {
    const refreshed = await client.refreshTokenGrant(spa.config, tokens.at(-1)!.refresh_token);
    tokens.push({ refresh_token: refreshed.refresh_token!, access_token: refreshed.access_token });
  }
  return tokens;
}

describe('what a grant keeps in Redis as an app\'s refresh token rotates', () => {
  it('each refresh keeps one small record for the token\'s lifetime: the used token, as reuse detection needs it; the grant\'s index keeps only the live token', async () => {
    const tokens = await signInSpa('footprint@example.com');
    const before = await keptBeyondAnHour();
    await rotate(tokens.refresh_token!, REFRESHES);
    const after = await keptBeyondAnHour();
    const bytesPerRefresh = (after.bytes - before.bytes) / REFRESHES;
    // Measured: 1,124 bytes and two keys per refresh before (the whole used token and its mark,
    // and the keys of both new tokens in the grant's index, which each refresh kept alive); 376
    // after, in one key.
    expect(after.keys - before.keys).toBe(REFRESHES);
    expect(bytesPerRefresh).toBeLessThan(600);
    const [grantIndex] = await redis.keys(`${KEY_PREFIX}oidc:grant:{*}`);
    expect(await redis.scard(grantIndex!)).toBe(1);
  });

  it('a used token presented again, however far back in the chain, revokes the grant: the newest refresh and access tokens stop working', async () => {
    const tokens = await signInSpa('footprint-reuse@example.com');
    const chain = await rotate(tokens.refresh_token!, 10);
    const newest = chain.at(-1)!;
    await expect(client.refreshTokenGrant(spa.config, chain[2]!.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.refreshTokenGrant(spa.config, newest.refresh_token)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await client.tokenIntrospection(spa.config, newest.access_token)).active).toBe(false);
    // Every access token the chain was given is gone with the grant (they are indexed by the hour
    // they were issued in), and so is the live refresh token.
    for (const { access_token: accessToken } of chain.slice(1)) expect(await redis.keys(`${KEY_PREFIX}oidc:AccessToken:{${accessToken}}`)).toEqual([]);
    expect(await redis.keys(`${KEY_PREFIX}oidc:RefreshToken:{${newest.refresh_token}}`)).toEqual([]);
  });
});
