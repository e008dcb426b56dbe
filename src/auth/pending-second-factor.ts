import type { Store } from '../store/store.ts';
import { secondFactorPendingKey } from '../store/keys.ts';

/** The email is proven for this account; the sign-in waits for the second factor. */
export interface PendingSecondFactor {
  accountId: string;
  email: string;
  /** The sign-in page also asked for consent to the app (oidc/implied-grant.ts); absent in records written before. */
  consentGiven?: boolean;
}

/**
 * Bound to one interaction (its uid is the key's hash tag) and no longer-lived than it: oidc-provider
 * is told about the login only once the second factor is done, so no session exists before then.
 */
export function createPendingSecondFactors({ store }: { store: Store }) {
  return {
    async record(interactionUid: string, pending: PendingSecondFactor, ttlSeconds: number): Promise<void> {
      await store.set(secondFactorPendingKey(interactionUid), pending, Math.max(1, ttlSeconds));
    },
    async find(interactionUid: string): Promise<PendingSecondFactor | undefined> {
      return store.get<PendingSecondFactor>(secondFactorPendingKey(interactionUid));
    },
    async forget(interactionUid: string): Promise<void> {
      await store.delete(secondFactorPendingKey(interactionUid));
    },
  };
}

export type PendingSecondFactors = ReturnType<typeof createPendingSecondFactors>;
