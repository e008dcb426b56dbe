import type { Store } from '../store/store.ts';
import { signInApprovalKey, signInIssueKey } from '../store/keys.ts';

export interface LoginApproval {
  email: string;
  approvedAt: number;
  /** The request of the link that was confirmed (auth/sign-in-codes.ts); absent in approvals saved before it was kept. */
  requestId?: string;
  /**
   * Before requests were kept: the issue of that link, which then stood for its request. Saved as
   * the request id still, for the release before, which reads only this (README "Rolling upgrades"):
   * no longer needed once no instance of a release up to 41c2213 can run beside this one.
   */
  issueId?: string;
}

/**
 * A magic link confirmed on another device cannot finish the sign-in there: only the browser that
 * holds the interaction cookie may. It records an approval instead, which the waiting tab takes.
 *
 * An approval counts only while the request of its link is still the one the sign-in waits for
 * (signInIssueKey, kept by auth/sign-in-codes.ts): "Use a different email", or a link for another
 * address, ends that request, and an approval of it saved afterwards (its confirmation was under
 * way at the restart) is ignored instead of letting the tab continue as the first address. A
 * resend to the same address goes on with the request: an approval of its earlier link, given
 * before the resend or while it went out, still counts, as the approving phone was told it would.
 */
export function createLoginApprovals({ store, ttlSeconds }: { store: Store; ttlSeconds: number }) {
  const ofWaitedRequest = (approval: LoginApproval | undefined, requestId: unknown): LoginApproval | undefined =>
    approval !== undefined && typeof requestId === 'string' && (approval.requestId ?? approval.issueId) === requestId ? approval : undefined;
  return {
    async record(interactionUid: string, email: string, requestId: string, now = Date.now()) {
      await store.set(signInApprovalKey(interactionUid), { email, approvedAt: now, requestId, issueId: requestId } satisfies LoginApproval, ttlSeconds);
    },
    async isApproved(interactionUid: string): Promise<boolean> {
      // Both under the sign-in's tag: one round trip, on a Cluster too.
      const [approval, waited] = await store.getMany<unknown>([signInApprovalKey(interactionUid), signInIssueKey(interactionUid)]);
      return ofWaitedRequest(approval as LoginApproval | undefined, waited) !== undefined;
    },
    /**
     * The waiting tab gave up this sign-in ("Use a different email", Cancel): an approval already
     * recorded must not let it continue as the address that was approved.
     */
    async forget(interactionUid: string) {
      await store.delete(signInApprovalKey(interactionUid));
    },
    /** Single use: of two tabs racing, one gets the approval. One of a request no longer waited for is taken and ignored. */
    async take(interactionUid: string): Promise<LoginApproval | undefined> {
      const [approval, waited] = await Promise.all([store.take<LoginApproval>(signInApprovalKey(interactionUid)), store.get<unknown>(signInIssueKey(interactionUid))]);
      return ofWaitedRequest(approval, waited);
    },
  };
}

export type LoginApprovals = ReturnType<typeof createLoginApprovals>;
