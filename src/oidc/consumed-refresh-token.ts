import type { AdapterPayload } from 'oidc-provider';

/**
 * What of a used (rotated) refresh token is kept until it would have expired: what the library
 * reads of it when it is presented again, up to the point where it sees `consumed` and revokes the
 * grant (lib/actions/grants/refresh_token.js, RFC 9700 §4.14.2). Before that the library finds it
 * (`iat`, `exp`: lib/models/formats/opaque.js; its `jti` and `kind` are its key's, and the
 * adapter gives them back when it finds it), checks its session binding
 * (`expiresWithSession`, `sessionUid`, `accountId`, `grantId`, `clientId`: token_helpers.js), its
 * client, expiry, mTLS and DPoP bindings (`x5t#S256`, `jkt`, `attestationJkt`), a requested `scope`
 * against its own, and its account (`accountId`; Sesame's findAccount weighs the chain's first
 * issue, `iiat`, against the app's cutoff, and the sign-in it stands on, `authTime`, against the
 * account's sign-outs). The rest (the claims asked
 * for, the nonce, acr, amr, resources, authorization details, sid) only goes into the
 * tokens a valid one gets: half the record, never read again once it is used.
 */
const READ_BEFORE_REUSE_IS_DETECTED = ['iat', 'exp', 'clientId', 'accountId', 'grantId', 'iiat', 'authTime', 'scope', 'expiresWithSession', 'sessionUid', 'x5t#S256', 'jkt', 'attestationJkt'] as const;

/**
 * How long the separate mark of a used refresh token stays once its record says so itself. The mark
 * (Store.markOnce) is what makes two uses at once end in one rotation: a request that read the token
 * before it was used, and consumes it after, must find it. Such a request reads and consumes within
 * one token request, seconds apart at most; later readers find the record marked used.
 */
export const CONSUMED_MARK_KEPT_SECONDS = 300;

/** The used refresh token as it is kept for reuse detection, marked used in itself. */
export function keptForReuseDetection(token: AdapterPayload, consumedAt: number): AdapterPayload {
  const kept: Record<string, unknown> = {};
  for (const field of READ_BEFORE_REUSE_IS_DETECTED) if (token[field] !== undefined) kept[field] = token[field];
  // The session is looked up only for a token that ends with it: an offline one outlives it.
  if (!token.expiresWithSession) delete kept.sessionUid;
  return { ...kept, consumed: consumedAt } as AdapterPayload;
}
