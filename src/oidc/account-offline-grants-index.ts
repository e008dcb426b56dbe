import type { AdapterPayload } from 'oidc-provider';
import { bucketAt, bucketedIndex } from '../store/bucketed-index.ts';
import { oidcAccountOfflineGrantMissingKey, oidcAccountOfflineGrantsKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

// A grant lives up to a year by default: a set per 30 days keeps a reader's look-back to 14 sets.
const PERIOD_SECONDS = 30 * 86_400;

/**
 * How long an entry must have been found without its grant record before it is forgotten. The
 * adapter writes a grant's entry and then its record in one batch (store-adapter.ts upsert), so the
 * record of a grant being made follows its entry within a command's time (a store command gives
 * up after 2 s: redis-connection.ts); the rest covers servers' clocks that differ, as one server's
 * finding is weighed by another's clock.
 */
export const MISSING_GRANT_GRACE_SECONDS = 300;

/**
 * The ids of an account's grants that include offline access: an app holding such a grant keeps
 * a refresh token after the browser session it signed in through has ended, so the sessions index
 * alone cannot find it (apps-with-access.ts). Written when such a grant is saved (at sign-in, not
 * at each refresh), one set per period as for sessions (store/bucketed-index.ts); readers skip
 * grants that have ended or hold no live refresh token, and forget those that have ended.
 */
export function accountOfflineGrantsIndex(store: Store, { grantSeconds, now = () => Date.now() }: { grantSeconds: number; now?: () => number }) {
  const index = bucketedIndex(store, { keyOf: oidcAccountOfflineGrantsKey, lifetimeSeconds: grantSeconds, bucketSeconds: PERIOD_SECONDS, now });
  return {
    read: index.read,
    forget: index.forget,

    /**
     * Takes the entries of grants that have ended out of the index. `ended`: their record was
     * found, and has ended; they go at once. `missing`: no record was found, in a read sent at
     * `lookedUpAtMs` or later. Such a grant may have ended (expired, revoked), or be being made,
     * its entry written and its record not yet. It goes only once a reader found it missing at
     * least MISSING_GRANT_GRACE_SECONDS before `lookedUpAtMs`: its entry was there by then, so a
     * record that was on its way would have been found. The first finding is noted, beside the
     * index (no command spans the two: the grant records live in other Cluster slots).
     * A note on a grant that is found after all stays until it expires: once that grant's record
     * is gone, it has ended, and goes at the next read.
     */
    async forgetEnded(accountId: string, { ended, missing, lookedUpAtMs }: { ended: readonly string[]; missing: readonly string[]; lookedUpAtMs: number }): Promise<void> {
      const noteKey = (grantId: string) => oidcAccountOfflineGrantMissingKey(accountId, grantId);
      const missingSinceMs = missing.length > 0 ? await store.getMany<number>(missing.map(noteKey)) : [];
      const settled = missing.filter((_, i) => missingSinceMs[i] !== undefined && lookedUpAtMs - missingSinceMs[i]! >= MISSING_GRANT_GRACE_SECONDS * 1000);
      const firstFound = missing.filter((_, i) => missingSinceMs[i] === undefined);
      const gone = [...ended, ...settled];
      // Noted with the time of this call, after the entry was read: a later time only waits longer.
      const foundAtMs = now();
      await Promise.all([
        gone.length > 0 ? index.forget(accountId, gone) : undefined,
        settled.length > 0 ? store.delete(...settled.map(noteKey)) : undefined,
        ...firstFound.map((grantId) => store.set(noteKey(grantId), foundAtMs, grantSeconds)),
      ]);
    },
  };
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
