import { hmacSha256 } from '../auth/secrets.ts';
import type { Store } from '../store/store.ts';
import { settingsCheckIssuerKey, settingsCheckKey } from '../store/keys.ts';

/**
 * Whether a process works with the same HMAC_KEY and ISSUER as the Sesame servers on its Redis.
 * Locks, rate limits and recovery codes live under keyed hashes: an admin CLI run with another key
 * (a shell without the server's .env, development secrets) would report "unlocked" and change
 * nothing, or worse. And what the CLI sends in the servers' name carries their issuer: the links
 * in its notices, the `iss` of its logout tokens. Each web server leaves a keyed hash of a fixed
 * text and its issuer at start; the CLI compares.
 */
export function createSettingsCheck(store: Store, { hmacKey, issuer }: { hmacKey: string; issuer: string }) {
  const fingerprint = hmacSha256(hmacKey, 'settings-check', 'HMAC_KEY');
  return {
    /** The server's word, renewed at every start (the last server to start with new settings wins). */
    record: () => Promise.all([store.set(settingsCheckKey(), fingerprint), store.set(settingsCheckIssuerKey(), issuer)]).then(() => undefined),
    /** What differs from the servers' settings; empty when nothing does, or no server has started on this Redis yet. */
    async differences(): Promise<('HMAC_KEY' | 'ISSUER')[]> {
      const [recordedFingerprint, recordedIssuer] = await store.getMany<string>([settingsCheckKey(), settingsCheckIssuerKey()]);
      const differences: ('HMAC_KEY' | 'ISSUER')[] = [];
      if (recordedFingerprint !== undefined && recordedFingerprint !== fingerprint) differences.push('HMAC_KEY');
      // Servers from before the issuer was recorded left none: nothing to compare with.
      if (recordedIssuer !== undefined && recordedIssuer !== issuer) differences.push('ISSUER');
      return differences;
    },
  };
}
