import type { Store } from '../store/store.ts';
import { signInApprovalKey, signInIssueKey } from '../store/keys.ts';

export interface LoginApproval {
  email: string;
  approvedAt: number;
  /** The issue of the link that was confirmed (auth/sign-in-codes.ts); absent in approvals saved before it was kept. */
  issueId?: string;
}

/**
 * A magic link confirmed on another device cannot finish the sign-in there: only the browser that
 * holds the interaction cookie may. It records an approval instead, which the waiting tab takes.
 *
 * An approval counts only while the issue of its link is still the one the sign-in waits for
 * (signInIssueKey, kept by auth/sign-in-codes.ts): "Use a different email" or a new link ends
 * that issue, and an approval of it saved afterwards (its confirmation was under way at the
 * restart) is ignored instead of letting the tab continue as the first address.
 */
export function createLoginApprovals({ store, ttlSeconds }: { store: Store; ttlSeconds: number }) {
  const ofCurrentIssue = (approval: LoginApproval | undefined, issueId: string | undefined): LoginApproval | undefined => (approval !== undefined && approval.issueId === issueId ? approval : undefined);
  return {
    async record(interactionUid: string, email: string, issueId: string, now = Date.now()) {
      await store.set(signInApprovalKey(interactionUid), { email, approvedAt: now, issueId } satisfies LoginApproval, ttlSeconds);
    },
    async isApproved(interactionUid: string): Promise<boolean> {
      // Both under the sign-in's tag: one round trip, on a Cluster too.
      const [approval, issueId] = await store.getMany<unknown>([signInApprovalKey(interactionUid), signInIssueKey(interactionUid)]);
      return ofCurrentIssue(approval as LoginApproval | undefined, issueId as string | undefined) !== undefined;
    },
    /**
     * The waiting tab gave up this sign-in ("Use a different email", Cancel): an approval already
     * recorded must not let it continue as the address that was approved.
     */
    async forget(interactionUid: string) {
      await store.delete(signInApprovalKey(interactionUid));
    },
    /** Single use: of two tabs racing, one gets the approval. One of an issue no longer waited for is taken and ignored. */
    async take(interactionUid: string): Promise<LoginApproval | undefined> {
      const [approval, issueId] = await Promise.all([store.take<LoginApproval>(signInApprovalKey(interactionUid)), store.get<string>(signInIssueKey(interactionUid))]);
      return ofCurrentIssue(approval, issueId);
    },
  };
}

export type LoginApprovals = ReturnType<typeof createLoginApprovals>;
