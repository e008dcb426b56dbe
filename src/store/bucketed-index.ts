import type { Store } from './store.ts';

/** The period `nowMs` falls in: whole `bucketSeconds` since the epoch. */
export const bucketAt = (nowMs: number, bucketSeconds: number) => Math.floor(nowMs / 1000 / bucketSeconds);

/** What decides which sets of an owner may hold a live entry. */
export interface BucketWindow {
  /** The set of one owner's entries added during bucket number `bucket` (whole periods since the epoch). */
  keyOf: (owner: string, bucket: number) => string;
  /** How long an entry can stay live after it was last added: how far back readers look. */
  lifetimeSeconds: number;
  bucketSeconds: number;
}

/**
 * Every set of `owner` whose entries may still be live at `nowMs`: the periods of one lifetime back,
 * and one period either side, because a writer is another process whose clock may be off this one's.
 * One running ahead, saving seconds before the turn of a period by this clock, put its entry in the
 * next period's set; one running behind, saving seconds after a turn, put it in the period before,
 * where it lives a whole lifetime from then. A reader that left either set out would miss the entry
 * (a sign-out everywhere would not end that session) for those seconds.
 */
export function liveBucketKeys(owner: string, { keyOf, lifetimeSeconds, bucketSeconds }: BucketWindow, nowMs: number): string[] {
  const current = bucketAt(nowMs, bucketSeconds);
  return Array.from({ length: Math.ceil(lifetimeSeconds / bucketSeconds) + 3 }, (_, back) => keyOf(owner, current + 1 - back));
}

export interface BucketedIndexOptions extends BucketWindow {
  now?: () => number;
}

/**
 * A set of ids per owner (an account's sessions, its offline grants) that cannot grow without end.
 * What it indexes usually just expires and is never removed, so nothing would take it out of one
 * set whose lifetime every newer entry extends. Instead each period has its own set, which lives as
 * long as the longest-lived entry added in it and then goes with everything in it; an entry added
 * in several periods is in several. Readers look back one lifetime (liveBucketKeys), find entries
 * whose record has ended, and skip them. Writers add to the set of `bucketAt(now)` with the entry's lifetime, and
 * take an entry out of that one only: older periods' entries go with their set.
 */
export function bucketedIndex(store: Store, { keyOf, lifetimeSeconds, bucketSeconds, now = () => Date.now() }: BucketedIndexOptions) {
  const liveKeys = (owner: string) => liveBucketKeys(owner, { keyOf, lifetimeSeconds, bucketSeconds }, now());
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
