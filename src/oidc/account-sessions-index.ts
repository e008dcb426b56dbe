import { oidcAccountSessionsKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';

const DAY_SECONDS = 86_400;

const dayOf = (nowMs: number) => Math.floor(nowMs / 1000 / DAY_SECONDS);

/**
 * The ids of an account's signed-in browser sessions, so that a sign-out everywhere can tell each
 * app of each session (end-account-sessions.ts). Kept in one set per day of saving: a session
 * that simply expires is never destroyed, so nothing would take it out of a single set whose
 * lifetime every newer session extends, and an account that signs in all the time would grow it
 * without end. A day's set lives as long as the longest session saved into it that day, then goes
 * with everything in it; a session saved on several days is in several. Readers find entries of
 * sessions that have ended and skip them.
 */
export function accountSessionsIndex(store: Store, { sessionSeconds, now = () => Date.now() }: { sessionSeconds: number; now?: () => number }) {
  // Every day whose set may still hold a live session: a session outlives its last save by at most sessionSeconds.
  const liveKeys = (accountId: string) => {
    const today = dayOf(now());
    return Array.from({ length: Math.ceil(sessionSeconds / DAY_SECONDS) + 1 }, (_, back) => oidcAccountSessionsKey(accountId, today - back));
  };
  return {
    async read(accountId: string): Promise<string[]> {
      const days = await Promise.all(liveKeys(accountId).map((key) => store.readIndex(key)));
      return [...new Set(days.flat())];
    },
    async forget(accountId: string, sessionIds: readonly string[]): Promise<void> {
      await Promise.all(liveKeys(accountId).flatMap((key) => sessionIds.map((id) => store.removeFromIndex(key, id))));
    },
  };
}

/** Written with the session record itself (store-adapter.ts upsert), into today's set. */
export function addToAccountSessions(store: Store, accountId: string, sessionId: string, ttlSeconds: number | undefined, nowMs = Date.now()): Promise<void> {
  return store.addToIndex(oidcAccountSessionsKey(accountId, dayOf(nowMs)), sessionId, ttlSeconds);
}

/** A destroyed session leaves today's set; older days' entries are skipped by readers and go with their day. */
export function removeFromAccountSessions(store: Store, accountId: string, sessionId: string, nowMs = Date.now()): Promise<void> {
  return store.removeFromIndex(oidcAccountSessionsKey(accountId, dayOf(nowMs)), sessionId);
}
