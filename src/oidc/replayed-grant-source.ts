import Provider, { type AdapterPayload } from 'oidc-provider';

// Per request context; gone with it.
const accountOfReplay = new WeakMap<object, string>();

/**
 * Notes the account of a code or token that was found already used, in the request that found
 * it, for the audit line of the replay (observability/instrument.ts, token.reuse_detected).
 * oidc-provider reads an authorization or device code and its grant, sees `consumed` and revokes
 * the grant (lib/helpers/grant_source.js consumeGrantSource) without making either an entity of
 * the request, and the revocation deletes both before it emits `grant.revoked`: the record as the
 * adapter found it is the last thing that names the account. Called with every record the adapter
 * finds, so it reads nothing: on the normal path it costs one property check.
 */
export function noteReplayedGrantSource(payload: AdapterPayload): void {
  if (!payload.consumed || typeof payload.accountId !== 'string') return;
  const ctx = Provider.ctx;
  if (ctx) accountOfReplay.set(ctx, payload.accountId);
}

/** The account of the code or token found already used in this request, if one was. */
export function accountOfReplayedGrantSource(ctx: object | undefined): string | undefined {
  return ctx ? accountOfReplay.get(ctx) : undefined;
}
