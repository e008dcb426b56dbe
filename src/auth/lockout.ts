import type { Store } from '../store/store.ts';
import { lockoutKey } from '../store/keys.ts';
import { hmacSha256 } from './secrets.ts';

/**
 * Which secret a streak counts. Each has its own counter, because a success with one must not
 * wipe the failures of another: a person who holds the mailbox could otherwise reset the streak
 * of wrong authenticator codes with every email sign-in. `unlock` clears them all.
 */
export type LockoutStreak = 'sign-in' | 'second-factor';
const STREAKS: readonly LockoutStreak[] = ['sign-in', 'second-factor'];

export interface LockoutOptions {
  store: Store;
  hmacKey: string;
  /** @default 'sign-in' */
  streak?: LockoutStreak;
  /** Consecutive failures that lock the subject. NIST SP 800-63B §5.2.2 allows at most 100. @default 100 */
  maxConsecutiveFailures?: number;
  /** How long a failure streak (and so a lock) is remembered without a new failure. @default 86400 */
  lockSeconds?: number;
  /** Called once per lock, by the failure that locks the subject (metrics, audit log). */
  onLocked?: (streak: LockoutStreak, subject: string) => void;
}

export interface Lockout {
  isLocked(subject: string): Promise<boolean>;
  /** The store key isLocked reads, so a request can prefetch it with other reads (store/request-scope.ts). */
  stateKey(subject: string): string;
  /** Counts a failure; true when this failure locked the subject (or it was locked already). */
  recordFailure(subject: string): Promise<boolean>;
  /**
   * Counts an attempt whose secret was right, before it is honoured: true when it is within the
   * ceiling. A check of isLocked made before the comparison does not hold under concurrency: of
   * a burst of guesses sent while one try is left, every one would be compared, and a right one
   * among them honoured. Counted first, as a failure until recordSuccess ends the streak, only
   * the attempts within the ceiling can be. No lock is announced here: wrong guesses do that.
   */
  admitRightAttempt(subject: string): Promise<boolean>;
  /** A success ends the streak: only consecutive failures count. */
  recordSuccess(subject: string): Promise<void>;
  /** The operator's way out (`npm run cli -- user unlock EMAIL`): clears every streak of the subject. */
  unlock(subject: string): Promise<void>;
}

/**
 * Consecutive wrong secrets per subject (an account id, or an email address before an account is
 * known, so unknown addresses behave exactly like known ones). Rate limits slow guessing down;
 * this puts a hard ceiling on it.
 */
export function createLockout({ store, hmacKey, streak = 'sign-in', maxConsecutiveFailures = 100, lockSeconds = 86_400, onLocked = () => {} }: LockoutOptions): Lockout {
  if (!Number.isSafeInteger(maxConsecutiveFailures) || maxConsecutiveFailures < 1 || maxConsecutiveFailures > 100) {
    throw new TypeError(`maxConsecutiveFailures must be an integer 1..100 (NIST SP 800-63B), got ${maxConsecutiveFailures}`);
  }
  if (!Number.isSafeInteger(lockSeconds) || lockSeconds < 1) throw new TypeError(`lockSeconds must be a positive integer (got ${lockSeconds})`);
  // The sign-in streak keeps the key it had before streaks existed.
  const keyOf = (which: LockoutStreak, subject: string) => lockoutKey(hmacSha256(hmacKey, which === 'sign-in' ? 'lockout' : `lockout:${which}`, subject));
  const keyFor = (subject: string) => keyOf(streak, subject);

  return {
    stateKey: keyFor,
    async isLocked(subject) {
      return ((await store.get<number>(keyFor(subject))) ?? 0) >= maxConsecutiveFailures;
    },
    async recordFailure(subject) {
      // The TTL is set by the first failure of a streak; a streak older than lockSeconds is forgotten.
      const failures = await store.increment(keyFor(subject), lockSeconds);
      if (failures === maxConsecutiveFailures) onLocked(streak, subject);
      return failures >= maxConsecutiveFailures;
    },
    async admitRightAttempt(subject) {
      return (await store.increment(keyFor(subject), lockSeconds)) <= maxConsecutiveFailures;
    },
    async recordSuccess(subject) {
      await store.delete(keyFor(subject));
    },
    async unlock(subject) {
      await store.delete(...STREAKS.map((which) => keyOf(which, subject)));
    },
  };
}
