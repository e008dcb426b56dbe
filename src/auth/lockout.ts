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
  /** How long a failure streak (and so a lock) is remembered, from its first failure (later failures do not extend it). @default 86400 */
  lockSeconds?: number;
  /**
   * Called once per lock, by the attempt counted at the ceiling once it is a failure: a wrong
   * secret, or a right one not honoured (metrics, audit log).
   */
  onLocked?: (streak: LockoutStreak, subject: string) => void;
}

/** An attempt counted in the streak before its secret is honoured (Lockout.countAttempt). */
export interface CountedAttempt {
  /** Within the ceiling: the secret may be honoured. Past it, answer as for a wrong secret. */
  readonly withinCeiling: boolean;
  /**
   * The secret is not honoured (wrong, or right but past the ceiling, taken by a double submit,
   * expired): the attempt stays in the streak as a failure. When it was the attempt that reached
   * the ceiling, the lock is announced now (onLocked): each lock is announced once, whichever
   * attempt reached it. True when the subject is locked.
   */
  failed(): boolean;
}

/** For a caller without a lockout: every attempt is within a ceiling nobody keeps. */
export const UNCOUNTED_ATTEMPT: CountedAttempt = { withinCeiling: true, failed: () => false };

export interface Lockout {
  isLocked(subject: string): Promise<boolean>;
  /** The store key isLocked reads, so a request can prefetch it with other reads (store/request-scope.ts). */
  stateKey(subject: string): string;
  /** Counts a failure (countAttempt settled as failed at once); true when the subject is locked. */
  recordFailure(subject: string): Promise<boolean>;
  /**
   * Counts an attempt before its secret is honoured. A check of isLocked made before the
   * comparison does not hold under concurrency: of a burst of guesses sent while one try is left,
   * every one would be compared, and a right one among them honoured. Counted first, as a failure
   * until recordSuccess ends the streak, only the attempts within the ceiling can be. An attempt
   * that is not honoured (wrong, or right but refused after all) is settled with `failed()`.
   */
  countAttempt(subject: string): Promise<CountedAttempt>;
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

  /**
   * Every attempt, right or wrong, is one INCR of the streak. The count decides whether it is
   * within the ceiling; the lock is announced by the attempt counted at the ceiling once it is
   * known to be a failure (a right secret honoured there is a success: the streak ends instead).
   */
  async function countAttempt(subject: string): Promise<CountedAttempt> {
    // The TTL is set by the first failure of a streak; a streak older than lockSeconds is forgotten.
    const count = await store.increment(keyFor(subject), lockSeconds);
    let settled = false;
    return {
      withinCeiling: count <= maxConsecutiveFailures,
      failed() {
        if (!settled && count === maxConsecutiveFailures) onLocked(streak, subject);
        settled = true;
        return count >= maxConsecutiveFailures;
      },
    };
  }

  return {
    stateKey: keyFor,
    async isLocked(subject) {
      return ((await store.get<number>(keyFor(subject))) ?? 0) >= maxConsecutiveFailures;
    },
    async recordFailure(subject) {
      return (await countAttempt(subject)).failed();
    },
    countAttempt,
    async recordSuccess(subject) {
      await store.delete(keyFor(subject));
    },
    async unlock(subject) {
      await store.delete(...STREAKS.map((which) => keyOf(which, subject)));
    },
  };
}
