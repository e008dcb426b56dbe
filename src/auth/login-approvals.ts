import type { Store } from '../store/store.ts';
import { signInApprovalKey } from '../store/keys.ts';

export interface LoginApproval {
  email: string;
  approvedAt: number;
}

/**
 * A magic link confirmed on another device cannot finish the sign-in there: only the browser that
 * holds the interaction cookie may. It records an approval instead, which the waiting tab takes.
 */
export function createLoginApprovals({ store, ttlSeconds }: { store: Store; ttlSeconds: number }) {
  return {
    async record(interactionUid: string, email: string, now = Date.now()) {
      await store.set(signInApprovalKey(interactionUid), { email, approvedAt: now } satisfies LoginApproval, ttlSeconds);
    },
    async isApproved(interactionUid: string): Promise<boolean> {
      return (await store.get<LoginApproval>(signInApprovalKey(interactionUid))) !== undefined;
    },
    /**
     * The waiting tab gave up this sign-in ("Use a different email", Cancel): an approval already
     * recorded must not let it continue as the address that was approved.
     */
    async forget(interactionUid: string) {
      await store.delete(signInApprovalKey(interactionUid));
    },
    /** Single use: of two tabs racing, one gets the approval. */
    async take(interactionUid: string): Promise<LoginApproval | undefined> {
      return store.take<LoginApproval>(signInApprovalKey(interactionUid));
    },
  };
}

export type LoginApprovals = ReturnType<typeof createLoginApprovals>;
