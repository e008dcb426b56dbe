import { purposeSecretBox } from '../auth/derived-secret-box.ts';
import { parseEncryptionKeys, type SecretBox } from '../auth/secret-box.ts';
import type { Config } from '../config/config-schema.ts';
import { usesRedis } from '../config/config-schema.ts';
import type { Logger } from '../logger.ts';
import { signingKeySetPointerKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';
import { keySetFromJwks, providerJwks, type KeySet } from './key-set.ts';
import { createKeySetStore } from './key-set-store.ts';

export type Jwks = { keys: Record<string, unknown>[] };

export interface SigningKeys {
  /** The private JWKS to sign with now. */
  jwks: Jwks;
  /** Checks the shared set every reload interval and calls `onChange` with each new JWKS; returns a stop function. */
  watch(onChange: (jwks: Jwks) => void): () => void;
}

/** The secret box of the key set: ENCRYPTION_KEYS, each through HKDF for this purpose only. */
export const signingKeysBox = (config: Readonly<Config>): SecretBox => purposeSecretBox(parseEncryptionKeys(config.encryptionKeys), 'sesame signing keys v1');

/**
 * Where this process gets its signing keys. Without Redis: the JWKS_FILE, fixed. With Redis: the
 * key set shared by every instance (seeded from JWKS_FILE on the very first start), so all of them
 * publish and sign with the same keys, and `npm run cli -- keys` changes them for all at once.
 */
export async function loadSigningKeys({ config, store, logger }: { config: Readonly<Config>; store: Store; logger: Logger }): Promise<SigningKeys> {
  if (!usesRedis(config.redis)) return { jwks: config.jwks, watch: () => () => {} };

  const box = signingKeysBox(config);
  const keySets = createKeySetStore(store);
  let keySet = await keySets.load();
  if (!keySet) {
    if (config.jwks.keys.length === 0) throw new Error('no signing keys: the key set in Redis is empty and JWKS_FILE is not set. Create one with `npm run cli -- keys init`, or set JWKS_FILE');
    // Dated by Redis's clock, as the CLI dates every later change (cli/main.ts): `keys retire` of a
    // key seeded as previous weighs its demotion by that clock, whichever host seeded it.
    const seeded = keySetFromJwks(config.jwks, box, await store.clockMs(signingKeySetPointerKey()));
    if ((await keySets.save(seeded)) === 'saved') {
      keySet = seeded;
      logger.info({ kids: seeded.keys.map((k) => k.kid) }, 'signing keys: seeded the shared key set from JWKS_FILE');
    } else keySet = (await keySets.load())!;
  } else if (config.jwks.keys.length > 0 && config.jwks.keys.some((key) => !keySet!.keys.some((k) => k.kid === key.kid))) {
    logger.warn('signing keys: JWKS_FILE differs from the key set in Redis; the key set in Redis is used (JWKS_FILE only seeds an empty one). Manage it with `npm run cli -- keys`');
  }
  let jwks = checkedJwks(keySet, box);

  return {
    jwks,
    watch(onChange) {
      let busy = false;
      const timer = setInterval(async () => {
        if (busy) return;
        busy = true;
        try {
          const version = await keySets.latestVersion();
          if (version === undefined || version < keySet!.version) {
            // Redis lost the set (restarted without persistence): put back the one every instance still signs with.
            // Versions only grow, so an older one means the same, and that a Sesame started meanwhile seeded the set
            // anew from its JWKS_FILE (or `keys init` did): this one is newer, and holds every change the CLI made
            // since (a key promoted, one retired because it leaked), so it wins and the newcomer follows it.
            if ((await keySets.save(keySet!)) === 'saved') logger.warn({ version: keySet!.version, found: version }, version === undefined ? 'signing keys: the key set was missing from Redis; restored it' : 'signing keys: Redis held an older key set than this instance (Redis lost its data and the set was seeded again); restored the newer one');
          } else if (version !== keySet!.version) {
            const next = await keySets.load();
            if (next && next.version !== keySet!.version) {
              const nextJwks = checkedJwks(next, box);
              // Taken as this instance's set only once it signs with it: a switch that failed is tried again next time.
              onChange(nextJwks);
              jwks = nextJwks;
              keySet = next;
              logger.info({ version: next.version, keys: next.keys.map(({ kid, state }) => ({ kid, state })) }, 'signing keys: reloaded');
            }
          }
        } catch (error) {
          // Redis down, or a set this instance cannot use: keep signing with what it has.
          logger.warn({ err: (error as Error).message }, 'signing keys: reload failed; keeping the current keys');
        } finally {
          busy = false;
        }
      }, config.signingKeys.reloadIntervalSeconds * 1000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

/**
 * The keys the servers sign with, for a process that must never change them (the CLI signing
 * logout tokens): the shared set in Redis, else JWKS_FILE, else undefined. Unlike loadSigningKeys
 * it writes nothing: no seeding, no restoring.
 */
export async function readSigningKeys({ config, store }: { config: Readonly<Config>; store: Store }): Promise<Jwks | undefined> {
  const keySet = usesRedis(config.redis) ? await createKeySetStore(store).load() : undefined;
  if (keySet) return checkedJwks(keySet, signingKeysBox(config));
  return config.jwks.keys.length > 0 ? config.jwks : undefined;
}

/** The set's JWKS, or a clear error: ENCRYPTION_KEYS without its sealing key, or no RSA key to sign RS256 with. */
function checkedJwks(keySet: KeySet, box: SecretBox): Jwks {
  let jwks: Jwks;
  try {
    jwks = providerJwks(keySet, box);
  } catch (error) {
    throw new Error(`cannot open the signing keys kept in Redis (${(error as Error).message}): do ENCRYPTION_KEYS still hold the key they were sealed with?`);
  }
  if (!keySet.keys.some((key) => key.state === 'current' && key.alg === 'RS256')) throw new Error('the shared key set has no current RS256 key: RS256 is required for interoperability');
  return jwks;
}
