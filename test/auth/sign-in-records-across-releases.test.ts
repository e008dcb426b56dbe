import { beforeEach, describe, expect, it } from '@jest/globals';
import { createLoginApprovals } from '../../src/auth/login-approvals.ts';
import { hmacSha256 } from '../../src/auth/secrets.ts';
import { createSignInCodes } from '../../src/auth/sign-in-codes.ts';
import { signInApprovalKey, signInCodeKey, signInIssueKey } from '../../src/store/keys.ts';
import { bothStores, useStore } from '../helpers/both-stores.ts';

// During a rolling upgrade the release before this one (41c2213) and this one serve the same
// sign-ins (README "Rolling upgrades"). The records below are written as that release wrote them, copied
// from what it left in Redis; what this release writes is checked for what that release reads.
const KEY = 'k'.repeat(32);
const TTL = 600;
let sequence = 0;
const EMAIL = 'rollout@example.com';

describe.each(bothStores('sign-in-across-releases'))('a sign-in across the rolling upgrade, on the %s store', (_name, makeStore) => {
  const subject = useStore(makeStore);
  // Each test a sign-in of its own.
  let UID = '';
  beforeEach(() => {
    UID = `uid-rollout-${++sequence}`;
  });
  const parts = () => ({
    codes: createSignInCodes({ store: subject.store!, hmacKey: KEY, ttlSeconds: TTL }),
    approvals: createLoginApprovals({ store: subject.store!, ttlSeconds: TTL }),
  });

  /** What the previous release saved on issuing a link and code: no requestId, the issue key its bare issue id. */
  async function issuedByPreviousRelease(linkToken: string) {
    const issuedAt = Date.now();
    await subject.store!.set(signInCodeKey(UID), {
      issueId: '5d1n63rWAOji',
      email: EMAIL,
      codeHash: hmacSha256(KEY, `code:${UID}`, '123456'),
      linkHash: hmacSha256(KEY, `link:${UID}`, linkToken),
      matchNumber: 27,
      requestedFrom: 'Chrome on Linux',
      clientId: 'test-app',
      clientName: 'Test App',
      issuedAt,
      expiresAt: issuedAt + TTL * 1000,
    }, TTL);
    await subject.store!.set(signInIssueKey(UID), '5d1n63rWAOji', 2 * TTL);
  }

  it('a link the previous release sent, confirmed on another device by this one: the waiting tab takes the approval', async () => {
    const { codes, approvals } = parts();
    const linkToken = 'L'.repeat(43);
    await issuedByPreviousRelease(linkToken);
    const confirmed = await codes.redeemLink(UID, linkToken, 27);
    expect(confirmed).toEqual({ ok: true, email: EMAIL, requestId: '5d1n63rWAOji' });
    await approvals.record(UID, EMAIL, (confirmed as { requestId: string }).requestId);
    expect(await approvals.isApproved(UID)).toBe(true);
    expect(await approvals.take(UID)).toMatchObject({ email: EMAIL });
  });

  it('an approval the previous release saved (it names the issue) is taken by this one; a resend here begins a request of its own, as one there did', async () => {
    const { codes, approvals } = parts();
    await issuedByPreviousRelease('L'.repeat(43));
    await subject.store!.set(signInApprovalKey(UID), { email: EMAIL, approvedAt: Date.now(), issueId: '5d1n63rWAOji' }, TTL);
    expect(await approvals.isApproved(UID)).toBe(true);
    // The previous release's issue key has no address: a resend here begins a request of its own,
    // as a resend did there, and that approval no longer counts (as it did not there either).
    await codes.issue(UID, EMAIL, { requestedFrom: 'Chrome on Linux' });
    expect(await approvals.isApproved(UID)).toBe(false);
  });

  it('what this release saves, the previous one reads: the issue key is the request id alone, and an approval names it as its issue too', async () => {
    const { codes, approvals } = parts();
    const { linkToken, matchNumber } = await codes.issue(UID, EMAIL, { requestedFrom: 'Chrome on Linux' });
    const waited = await subject.store!.get<unknown>(signInIssueKey(UID));
    expect(typeof waited).toBe('string');
    const confirmed = await codes.redeemLink(UID, linkToken, matchNumber);
    await approvals.record(UID, EMAIL, (confirmed as { requestId: string }).requestId);
    // The previous release took an approval only where `approval.issueId === <the issue key>`.
    const approval = await subject.store!.get<{ issueId?: string }>(signInApprovalKey(UID));
    expect(approval?.issueId).toBe(waited);
    // And it keeps working here after a resend to the same address, as this release promises.
    await codes.issue(UID, EMAIL, { requestedFrom: 'Chrome on Linux' });
    expect(await subject.store!.get<unknown>(signInIssueKey(UID))).toBe(waited);
    expect(await approvals.isApproved(UID)).toBe(true);
  });

  it('an approval the previous release saves for a link this one sent: taken here too', async () => {
    const { codes, approvals } = parts();
    const { linkToken, matchNumber } = await codes.issue(UID, EMAIL, { requestedFrom: 'Chrome on Linux' });
    // The previous release confirming it read the record's issueId and saved that.
    const record = await subject.store!.get<{ issueId: string }>(signInCodeKey(UID));
    expect(await codes.peekLink(UID, linkToken)).toMatchObject({ matchNumber });
    await subject.store!.set(signInApprovalKey(UID), { email: EMAIL, approvedAt: Date.now(), issueId: record!.issueId }, TTL);
    expect(await approvals.take(UID)).toMatchObject({ email: EMAIL });
  });
});
