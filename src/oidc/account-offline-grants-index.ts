import type { AdapterPayload } from 'oidc-provider';
import { bucketAt, bucketedIndex } from '../store/bucketed-index.ts';
import { oidcAccountOfflineGrantsKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

// A grant lives up to a year by default: a set per 30 days keeps a reader's look-back to 14 sets.
const PERIOD_SECONDS = 30 * 86_400;

/**
 * The ids of an account's grants that include offline access: an app holding such a grant keeps
 * a refresh token after the browser session it signed in through has ended, so the sessions index
 * alone cannot find it (apps-with-access.ts). Written when such a grant is saved (at sign-in, not
 * at each refresh), one set per period as for sessions (store/bucketed-index.ts); readers skip
 * grants that have ended or hold no live refresh token, and forget them.
 */
export function accountOfflineGrantsIndex(store: Store, { grantSeconds, now }: { grantSeconds: number; now?: () => number }) {
  return bucketedIndex(store, { keyOf: oidcAccountOfflineGrantsKey, lifetimeSeconds: grantSeconds, bucketSeconds: PERIOD_SECONDS, now });
}

/** Whether a saved Grant record gives offline access (its OpenID scopes name `offline_access`). */
export function grantsOfflineAccess(payload: AdapterPayload): boolean {
  const scope = (payload.openid as { scope?: unknown } | undefined)?.scope;
  return typeof scope === 'string' && scope.split(' ').includes('offline_access');
}

/** Written with the grant record itself (store-adapter.ts upsert), for as long as the grant lives. */
export function addToAccountOfflineGrants(store: Store, accountId: string, grantId: string, ttlSeconds: number | undefined, nowMs = Date.now()): Promise<void> {
  return store.addToIndex(oidcAccountOfflineGrantsKey(accountId, bucketAt(nowMs, PERIOD_SECONDS)), grantId, ttlSeconds);
}
