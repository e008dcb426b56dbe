import type { Store } from '../store/store.ts';
import { signInRetryAddressKey } from '../store/keys.ts';

/**
 * The address whose sign-in code just died (too many wrong tries, or expired), for the email form
 * the browser is sent to next: it is filled in again without the address riding in the page's URL.
 * Bound to the interaction (its uid is the key's hash tag) and kept no longer than a code lives.
 */
export function createRetryAddresses({ store, ttlSeconds }: { store: Store; ttlSeconds: number }) {
  if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be positive');
  return {
    async remember(interactionUid: string, email: string): Promise<void> {
      await store.set(signInRetryAddressKey(interactionUid), email, ttlSeconds);
    },
    async find(interactionUid: string): Promise<string | undefined> {
      const email = await store.get<unknown>(signInRetryAddressKey(interactionUid));
      return typeof email === 'string' ? email : undefined;
    },
  };
}

export type RetryAddresses = ReturnType<typeof createRetryAddresses>;
