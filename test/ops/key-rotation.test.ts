import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { runKeysCommand, type KeysCommandDeps } from '../../src/cli/key-commands.ts';
import { createKeySetStore, keyRotationPolicy } from '../../src/signing-keys/key-set-store.ts';
import { signingKeysBox } from '../../src/signing-keys/shared-signing-keys.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { runCli } from '../helpers/run-cli.ts';
import { signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { testConfig } from '../helpers/test-config.ts';

// Each CLI command here is a new Node process (type stripping and module loading: about a second
// alone, several on a machine busy with the rest of the suite), and a test runs several in a row.
jest.setTimeout(90_000);

// Rotating the signing key under two running instances: add (published, not signing), promote
// (signing), retire (gone once its tokens expired). An app verifies every ID token with
// openid-client against the issuer's JWKS throughout.

let redis: StartedRedis;
let smtp: SmtpSink;
let proxy: RoundRobinProxy;
let instances: RunningSesame[];
let rp: RelyingParty;
let keys: KeysCommandDeps;
const prefix = uniquePrefix('keys');

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  proxy = await startRoundRobinProxy();
  const base = testConfig({ issuer: proxy.url });
  // Short clocks: instances reload every second, ID tokens live five seconds (long enough that the
  // refusal to retire a key still in use is seen on a loaded machine, short enough to wait out).
  const shared = {
    cookieKeys: [randomBytes(32).toString('base64url')],
    hmacKey: randomBytes(32).toString('base64url'),
    signingKeys: { reloadIntervalSeconds: 1, promoteAfterSeconds: 0 },
    ttl: { ...base.ttl, idTokenSeconds: 5 },
  };
  instances = await Promise.all([0, 1].map(() => startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: shared })));
  proxy.setBackends(instances.map((instance) => instance.url));
  rp = await startRelyingParty(proxy.url);
  // The app checks ID token signatures itself (openid-client leaves it to TLS by default).
  client.enableNonRepudiationChecks(rp.config);
  const { config, store } = instances[0]!;
  keys = { keySets: createKeySetStore(store), box: signingKeysBox(config), policy: keyRotationPolicy(config), seedJwks: config.jwks, audit: { record() {} } };
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

type ListedKey = { kid: string; alg: string; state: string };
async function keysCommand(...args: string[]) {
  const result = await runKeysCommand(args, keys);
  return result.ok ? { ok: true as const, ...(result.output as { keys: ListedKey[]; warnings?: string[] }) } : result;
}

/** Each instance's own JWKS (asked directly, not through the balancer). */
const jwksOf = async (instance: RunningSesame) => (await (await fetch(`${instance.url}/jwks`)).json()) as JSONWebKeySet;

async function untilEveryInstance(check: (jwks: JSONWebKeySet) => boolean, what: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const all = await Promise.all(instances.map(jwksOf));
    if (all.every(check)) return;
    if (Date.now() > deadline) throw new Error(`instances did not reload: ${what}\n${JSON.stringify(all)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function retryUntilOk(args: string[]) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await keysCommand(...args);
    if (result.ok) return result;
    if (Date.now() > deadline) throw new Error(`keys ${args.join(' ')} still refused: ${result.message}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const signedKid = async (email: string) => {
  const { tokens } = await signInWithCode({ rp, smtp }, email);
  return { idToken: tokens.id_token!, kid: decodeProtectedHeader(tokens.id_token!).kid };
};

describe('signing key rotation across instances', () => {
  it('add → published everywhere before signing; promote → signs everywhere; retire → gone once its tokens expired', async () => {
    const listed = await keysCommand('list');
    if (!listed.ok) throw new Error(listed.message);
    const oldKid = listed.keys.find((k) => k.alg === 'RS256' && k.state === 'current')!.kid;
    const before = await signedKid('before-rotation@example.com');
    expect(before.kid).toBe(oldKid);

    // add: published by both instances, still not used to sign.
    const added = await keysCommand('add', 'RS256');
    if (!added.ok) throw new Error(added.message);
    const newKid = added.keys.find((k) => k.state === 'next')!.kid;
    expect(await keysCommand('promote', newKid)).toMatchObject({ ok: false, message: expect.stringContaining('promote it from') });
    await untilEveryInstance((jwks) => jwks.keys.some((k) => k.kid === newKid && k.key_ops?.includes('verify')), 'new key published');
    expect((await signedKid('published@example.com')).kid).toBe(oldKid);

    // Apps cache JWKS (openid-client for up to 5 minutes): promoteAfterSeconds gives them time to
    // see the new key before it signs. Here an app's cache renews now, standing in for that wait;
    // the app that kept its old cache shows what an early promotion does.
    const staleRp = rp;
    rp = await startRelyingParty(proxy.url);
    client.enableNonRepudiationChecks(rp.config);

    // promote: every instance signs with it; the old key still verifies what it signed.
    await retryUntilOk(['promote', newKid]);
    await untilEveryInstance((jwks) => jwks.keys.some((k) => k.kid === newKid && !k.key_ops) && jwks.keys.some((k) => k.kid === oldKid && k.key_ops?.includes('verify')), 'new key signing');
    for (const email of ['after-1@example.com', 'after-2@example.com']) expect((await signedKid(email)).kid).toBe(newKid);
    await expect(signInWithCode({ rp: staleRp, smtp }, 'stale-cache@example.com')).rejects.toThrow('no applicable keys found');
    const published = createLocalJWKSet(await jwksOf(instances[1]!));
    const atIssue = { currentDate: new Date(decodeJwt(before.idToken).iat! * 1000) };
    await expect(jwtVerify(before.idToken, published, atIssue)).resolves.toBeDefined();

    // retire: refused while its ID tokens may be alive, done after, and gone from every JWKS.
    expect(await keysCommand('retire', oldKid)).toMatchObject({ ok: false, message: expect.stringContaining('may be valid until') });
    expect(await keysCommand('retire', newKid)).toMatchObject({ ok: false, message: expect.stringContaining('promote another RS256 key first') });
    await retryUntilOk(['retire', oldKid]);
    await untilEveryInstance((jwks) => !jwks.keys.some((k) => k.kid === oldKid), 'old key retired');
    await expect(jwtVerify(before.idToken, createLocalJWKSet(await jwksOf(instances[0]!)), atIssue)).rejects.toThrow();
    expect((await signedKid('after-retire@example.com')).kid).toBe(newKid);

    // Sesame's own account page verifies the ID tokens it gets with the keys signing now.
    const { page } = await signInWithCodeAt({ smtp }, `${proxy.url}/account`, 'account-page@example.com');
    expect(page.url).toBe(`${proxy.url}/account`);
    expect(page.html).toContain('id="account-email">account-page@example.com<');
  });

  it('npm run cli -- keys list shows the same set, and never key material', async () => {
    const { config } = instances[0]!;
    const output = await runCli(['keys', 'list'], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, ISSUER: config.issuer, COOKIE_KEYS: config.cookieKeys[0]!, HMAC_KEY: config.hmacKey, ENCRYPTION_KEYS: config.encryptionKeys },
    });
    expect(output.stderr).toBe('');
    expect(output.code).toBe(0);
    const listed = JSON.parse(output.stdout) as { keys: ListedKey[] };
    const inProcess = await keysCommand('list');
    expect(inProcess.ok && listed.keys).toEqual(inProcess.ok && inProcess.keys);
    expect(output.stdout).not.toMatch(/"(d|p|q|dp|dq|qi|sealed)"/);
  });

  it('npm run cli refuses to change the key set with settings other than the servers\'', async () => {
    const { config } = instances[0]!;
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix, ISSUER: config.issuer, COOKIE_KEYS: config.cookieKeys[0]!, HMAC_KEY: config.hmacKey };
    const before = await keysCommand('list');
    // Each is refused and changes nothing: the three run at once.
    const [sealedElsewhere, otherHmac, otherIssuer] = await Promise.all([
      // Another ENCRYPTION_KEYS (a shell without the servers' .env): a key sealed under it would stop every server at its next start.
      runCli(['keys', 'add', 'ES256'], { env: { ...env, ENCRYPTION_KEYS: `other:${randomBytes(32).toString('base64url')}` } }),
      // Another HMAC_KEY: refused before any command runs.
      runCli(['keys', 'add', 'ES256'], { env: { ...env, ENCRYPTION_KEYS: config.encryptionKeys, HMAC_KEY: randomBytes(32).toString('base64url') } }),
      // Another ISSUER: what the CLI sends in the servers' name (notices' links, logout tokens' iss) would name another site.
      runCli(['keys', 'add', 'ES256'], { env: { ...env, ENCRYPTION_KEYS: config.encryptionKeys, ISSUER: 'http://elsewhere.example' } }),
    ]);
    expect(sealedElsewhere.code).toBe(2);
    expect(sealedElsewhere.stderr).toContain('ENCRYPTION_KEYS cannot open the key set kept in Redis');
    expect(otherHmac.code).toBe(2);
    expect(otherHmac.stderr).toContain('HMAC_KEY is not what the Sesame servers on this Redis use');
    expect([otherIssuer.code, otherIssuer.stderr]).toEqual([2, expect.stringContaining('ISSUER is not what the Sesame servers on this Redis use')]);
    expect(await keysCommand('list')).toEqual(before);
  });
});
