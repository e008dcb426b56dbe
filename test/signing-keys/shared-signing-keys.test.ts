import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { runKeysCommand, type KeysCommandDeps } from '../../src/cli/key-commands.ts';
import { generateSigningKey } from '../../src/config/signing-keys.ts';
import { createLogger } from '../../src/logger.ts';
import { createKeySetStore, keyRotationPolicy } from '../../src/signing-keys/key-set-store.ts';
import { loadSigningKeys, signingKeysBox, type Jwks } from '../../src/signing-keys/shared-signing-keys.ts';
import { withProcessClockOff } from '../helpers/move-clocks.ts';
import { createTestRedisStore, deleteKeysWithPrefix, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { testConfig } from '../helpers/test-config.ts';

// The shared key set when Redis comes back empty (restarted without persistence): the instances
// still running hold the newest set, with every change the CLI made; a Sesame started meanwhile
// finds nothing and seeds the set from its JWKS_FILE, which can hold keys retired long ago.

let redis: StartedRedis;
let redisStore: Awaited<ReturnType<typeof createTestRedisStore>>;
const logger = createLogger({ level: 'silent', destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
const stops: (() => void)[] = [];

beforeAll(async () => {
  redis = await startRedis();
  redisStore = await createTestRedisStore(redis.url, 'shared-keys');
});

afterAll(async () => {
  for (const stop of stops) stop();
  await redisStore?.cleanup();
  await redis?.stop();
});

const signingRsaKid = (jwks: Jwks) => jwks.keys.find((key) => key.kty === 'RSA' && key.key_ops === undefined)?.kid;

/** An instance's signing keys as it would hold them: what it started with, then each reload. */
async function startInstance(config: ReturnType<typeof testConfig>) {
  const keys = await loadSigningKeys({ config, store: redisStore.store, logger });
  const instance = { jwks: keys.jwks };
  stops.push(keys.watch((jwks) => (instance.jwks = jwks)));
  return instance;
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the shared key set after Redis lost it', () => {
  it('a running instance puts back its newer set over one seeded from JWKS_FILE meanwhile, and every instance signs with it', async () => {
    const config = testConfig({ issuer: 'http://127.0.0.1:9', redis: { url: redis.url, keyPrefix: redisStore.prefix }, signingKeys: { reloadIntervalSeconds: 1, promoteAfterSeconds: 0 } });
    const running = await startInstance(config);
    const fileKid = String(signingRsaKid(running.jwks));

    // The operator rotates: a new key signs, the one from JWKS_FILE is retired (as for a leaked key).
    const deps: KeysCommandDeps = { keySets: createKeySetStore(redisStore.store), box: signingKeysBox(config), policy: keyRotationPolicy(config), seedJwks: config.jwks, audit: { record() {} } };
    const added = await runKeysCommand(['add', 'RS256'], deps);
    if (!added.ok) throw new Error(added.message);
    const newKid = (added.output as { keys: { kid: string; state: string }[] }).keys.find((key) => key.state === 'next')!.kid;
    for (const args of [['promote', newKid, '--force'], ['retire', String(fileKid), '--force']]) {
      const result = await runKeysCommand(args, deps);
      if (!result.ok) throw new Error(result.message);
    }
    await until(() => signingRsaKid(running.jwks) === newKid && !running.jwks.keys.some((key) => key.kid === fileKid), 'the running instance signs with the new key');

    // Redis comes back empty, and a Sesame starts before the running one notices: it seeds from JWKS_FILE.
    await deleteKeysWithPrefix(redisStore.redis, redisStore.prefix);
    // (Nearly always before: the running one checks once a second. Had it restored the set first, the
    // newcomer would have started with it.)
    const started = await startInstance(config);

    // The running instance's set is the newer: it is put back, and the new instance follows it.
    await until(() => signingRsaKid(started.jwks) === newKid, 'the started instance follows the running one');
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    for (const instance of [running, started]) {
      expect(signingRsaKid(instance.jwks)).toBe(newKid);
      expect(instance.jwks.keys.some((key) => key.kid === fileKid)).toBe(false);
    }
  });

  it('an instance whose switch to a new set failed tries again at the next check, instead of keeping the old keys for good', async () => {
    const config = testConfig({ issuer: 'http://127.0.0.1:9', redis: { url: redis.url, keyPrefix: redisStore.prefix }, signingKeys: { reloadIntervalSeconds: 1, promoteAfterSeconds: 0 } });
    // A set of its own: the instances of the test before stop watching, and theirs goes.
    for (const stop of stops.splice(0)) stop();
    await deleteKeysWithPrefix(redisStore.redis, redisStore.prefix);
    const keys = await loadSigningKeys({ config, store: redisStore.store, logger });
    let signsWith = keys.jwks;
    let failures = 1;
    stops.push(keys.watch((jwks) => {
      // As when building the provider for the new keys throws.
      if (failures-- > 0) throw new Error('the provider could not be built');
      signsWith = jwks;
    }));
    const deps: KeysCommandDeps = { keySets: createKeySetStore(redisStore.store), box: signingKeysBox(config), policy: keyRotationPolicy(config), seedJwks: config.jwks, audit: { record() {} } };
    const added = await runKeysCommand(['add', 'RS256'], deps);
    if (!added.ok) throw new Error(added.message);
    const newKid = (added.output as { keys: { kid: string; state: string }[] }).keys.find((key) => key.state === 'next')!.kid;
    await until(() => signsWith.keys.some((key) => key.kid === newKid), 'the instance publishes the added key after its failed first try');
  });
});

describe('the shared key set seeded by an instance whose clock is behind', () => {
  it('dates its keys by Redis\'s clock: a key seeded as previous is not retirable early', async () => {
    const seedStore = await createTestRedisStore(redis.url, 'seed-clock');
    try {
      // Two RS256 keys in JWKS_FILE: the first signs, the second is seeded as previous (demoted now).
      const jwks = { keys: [generateSigningKey('RS256'), generateSigningKey('RS256')] };
      const config = testConfig({ issuer: 'http://127.0.0.1:9', redis: { url: redis.url, keyPrefix: seedStore.prefix }, jwks });
      await withProcessClockOff(-2 * 3_600_000, () => loadSigningKeys({ config, store: seedStore.store, logger }));
      const deps: KeysCommandDeps = { keySets: createKeySetStore(seedStore.store), box: signingKeysBox(config), policy: keyRotationPolicy(config), seedJwks: config.jwks, audit: { record() {} } };
      // Demoted just now, by any clock that is right: its ID tokens may still be valid for an hour.
      const retired = await runKeysCommand(['retire', String(jwks.keys[1]!.kid)], deps);
      expect(retired).toMatchObject({ ok: false, message: expect.stringContaining('may be valid until') });
    } finally {
      await seedStore.cleanup();
    }
  });
});
