import type { Config } from '../config/config-schema.ts';
import type { Store } from '../store/store.ts';
import { signingKeySetPointerKey, signingKeySetVersionKey } from '../store/keys.ts';
import type { KeyRotationPolicy, KeySet } from './key-set.ts';

/** An old version stays readable this long after a newer one, for instances in the middle of a reload. */
const OLD_VERSION_TTL_SECONDS = 86_400;

/**
 * The key set in the Store, shared by every instance and the CLI. Each version is written once
 * (setIfAbsent: of two concurrent changes one wins, the other is told to retry); the pointer only
 * says where to start looking, so a writer that died between the two writes loses nothing.
 */
export function createKeySetStore(store: Store) {
  async function latestVersion(): Promise<number | undefined> {
    let version = await store.get<number>(signingKeySetPointerKey());
    if (version === undefined) return (await store.get(signingKeySetVersionKey(1))) === undefined ? undefined : latestFrom(1);
    return latestFrom(version);

    async function latestFrom(start: number): Promise<number> {
      version = start;
      while ((await store.get(signingKeySetVersionKey(version + 1))) !== undefined) version++;
      return version;
    }
  }

  return {
    latestVersion,
    async load(): Promise<KeySet | undefined> {
      const version = await latestVersion();
      return version === undefined ? undefined : store.get<KeySet>(signingKeySetVersionKey(version));
    },
    /** Writes `keySet` as its version; 'conflict' when another writer got there first. */
    async save(keySet: KeySet): Promise<'saved' | 'conflict'> {
      if (!(await store.setIfAbsent(signingKeySetVersionKey(keySet.version), keySet))) return 'conflict';
      await store.set(signingKeySetPointerKey(), keySet.version);
      if (keySet.version > 1) {
        const previous = await store.get<KeySet>(signingKeySetVersionKey(keySet.version - 1));
        if (previous) await store.set(signingKeySetVersionKey(keySet.version - 1), previous, OLD_VERSION_TTL_SECONDS);
      }
      return 'saved';
    },
  };
}

export type KeySetStore = ReturnType<typeof createKeySetStore>;

/**
 * The timing rules from the configuration. A key may sign once every instance has reloaded
 * (two reload intervals) and the configured publication time has passed; it may go once the
 * longest-lived token it signed (the ID token) has expired, counted from when the last instance
 * stopped signing with it.
 */
export function keyRotationPolicy(config: Readonly<Config>): KeyRotationPolicy {
  const reloadLag = 2 * config.signingKeys.reloadIntervalSeconds;
  return {
    promoteAfterSeconds: Math.max(config.signingKeys.promoteAfterSeconds, reloadLag),
    retireAfterSeconds: config.ttl.idTokenSeconds + reloadLag,
    sessionSeconds: config.ttl.sessionSeconds,
  };
}
