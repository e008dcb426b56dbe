import { bucketAt, bucketedIndex } from '../store/bucketed-index.ts';
import { oidcAccountSessionsKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

const DAY_SECONDS = 86_400;

/**
 * The ids of an account's signed-in browser sessions, so that a sign-out everywhere can tell each
 * app of each session (end-account-sessions.ts) and the account page can list them. One set per
 * day of saving (store/bucketed-index.ts): a session that simply expires is never destroyed, and
 * an account that signs in all the time would otherwise grow one set without end. A session saved
 * on several days is in several; readers skip entries of sessions that have ended.
 */
export function accountSessionsIndex(store: Store, { sessionSeconds, now }: { sessionSeconds: number; now?: () => number }) {
  const index = bucketedIndex(store, { keyOf: oidcAccountSessionsKey, lifetimeSeconds: sessionSeconds, bucketSeconds: DAY_SECONDS, now });
  return { read: index.read, forget: index.forget };
}

/** Written with the session record itself (store-adapter.ts upsert), into today's set. */
export function addToAccountSessions(store: Store, accountId: string, sessionId: string, ttlSeconds: number | undefined, nowMs = Date.now()): Promise<void> {
  return store.addToIndex(oidcAccountSessionsKey(accountId, bucketAt(nowMs, DAY_SECONDS)), sessionId, ttlSeconds);
}

/** A destroyed session leaves today's set; older days' entries are skipped by readers and go with their day. */
export function removeFromAccountSessions(store: Store, accountId: string, sessionId: string, nowMs = Date.now()): Promise<void> {
  return store.removeFromIndex(oidcAccountSessionsKey(accountId, bucketAt(nowMs, DAY_SECONDS)), sessionId);
}
