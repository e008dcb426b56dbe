import { hmacSha256 } from '../auth/secrets.ts';
import type { Store } from '../store/store.ts';
import { settingsCheckKey } from '../store/keys.ts';

/**
 * Whether a process works with the same HMAC_KEY as the Sesame servers on its Redis. Locks, rate
 * limits and recovery codes live under keyed hashes: an admin CLI run with another key (a shell
 * without the server's .env, development secrets) would report "unlocked" and change nothing, or
 * worse. Each web server leaves a keyed hash of a fixed text at start; the CLI compares.
 */
export function createSettingsCheck(store: Store, hmacKey: string) {
  const fingerprint = hmacSha256(hmacKey, 'settings-check', 'HMAC_KEY');
  return {
    /** The server's word, renewed at every start (the last server to start with a new key wins). */
    record: () => store.set(settingsCheckKey(), fingerprint),
    /** `unknown`: no server has started on this Redis yet. */
    async compare(): Promise<'same' | 'different' | 'unknown'> {
      const recorded = await store.get<string>(settingsCheckKey());
      if (recorded === undefined) return 'unknown';
      return recorded === fingerprint ? 'same' : 'different';
    },
  };
}
