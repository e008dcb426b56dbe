import type { Store } from './store.ts';

/** The period `nowMs` falls in: whole `bucketSeconds` since the epoch. */
export const bucketAt = (nowMs: number, bucketSeconds: number) => Math.floor(nowMs / 1000 / bucketSeconds);

export interface BucketedIndexOptions {
  /** The set of one owner's entries added during bucket number `bucket` (whole periods since the epoch). */
  keyOf: (owner: string, bucket: number) => string;
  /** How long an entry can stay live after it was last added: how far back readers look. */
  lifetimeSeconds: number;
  bucketSeconds: number;
  now?: () => number;
}

/**
 * A set of ids per owner (an account's sessions, its offline grants) that cannot grow without end.
 * What it indexes usually just expires and is never removed, so nothing would take it out of one
 * set whose lifetime every newer entry extends. Instead each period has its own set, which lives as
 * long as the longest-lived entry added in it and then goes with everything in it; an entry added
 * in several periods is in several. Readers look back one lifetime (and one period ahead), find
 * entries whose record has ended, and skip them. Writers add to the set of `bucketAt(now)` with the entry's lifetime, and
 * take an entry out of that one only: older periods' entries go with their set.
 */
export function bucketedIndex(store: Store, { keyOf, lifetimeSeconds, bucketSeconds, now = () => Date.now() }: BucketedIndexOptions) {
  // Every period whose set may still hold a live entry, and the next one: a writer is another
  // process, whose clock may run ahead of this one's. One that did, saving seconds before the turn
  // of the period by this clock, put its entry in the next period's set; a reader that left that set
  // out would miss it (a sign-out everywhere would not end that session) until its own clock turned.
  const liveKeys = (owner: string) => {
    const current = bucketAt(now(), bucketSeconds);
    return Array.from({ length: Math.ceil(lifetimeSeconds / bucketSeconds) + 2 }, (_, back) => keyOf(owner, current + 1 - back));
  };
  return {
    async read(owner: string): Promise<string[]> {
      const sets = await Promise.all(liveKeys(owner).map((key) => store.readIndex(key)));
      return [...new Set(sets.flat())];
    },
    /** From every period's set. */
    async forget(owner: string, ids: readonly string[]): Promise<void> {
      await Promise.all(liveKeys(owner).flatMap((key) => ids.map((id) => store.removeFromIndex(key, id))));
    },
  };
}
