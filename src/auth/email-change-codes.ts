import type { Store } from '../store/store.ts';
import { emailChangeAttemptsKey, emailChangeKey } from '../store/keys.ts';
import { UNCOUNTED_ATTEMPT, type Lockout } from './lockout.ts';
import { constantTimeEqual, hmacSha256, randomDigits, randomToken } from './secrets.ts';

/** What is stored per account: the code's keyed hash, never the code itself. */
interface StoredEmailChange {
  issueId: string;
  /** The address when the change was asked for: a change confirmed after another one is stale. */
  from: string;
  to: string;
  codeHash: string;
  issuedAt: number;
  expiresAt: number;
}

export interface IssuedEmailChange {
  code: string;
  expiresAt: Date;
}

export interface PendingEmailChange {
  to: string;
  expiresAt: Date;
}

export type EmailChangeCheck =
  | { ok: true; from: string; to: string }
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  | { ok: false; reason: 'expired' | 'too-many-attempts' };

export interface EmailChangeCodesOptions {
  store: Store;
  hmacKey: string;
  /** @default 600 */
  ttlSeconds?: number;
  /** @default 6 */
  codeLength?: number;
  /** @default 5 */
  maxWrongAttempts?: number;
  /**
   * The new address's streak of wrong codes (the sign-in lockout): a guess at a change code is a
   * guess at that address, whichever account makes it, and a right code is counted there before
   * it is honoured.
   */
  lockout?: Lockout;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The code that proves a person controls the address they want to move their account to. One per
 * account: asking again replaces it. Single-use, short-lived, stored only as an HMAC that binds it
 * to the account and to the new address, and dead after a few wrong tries.
 */
export function createEmailChangeCodes({ store, hmacKey, ttlSeconds = 600, codeLength = 6, maxWrongAttempts = 5, lockout, now = Date.now }: EmailChangeCodesOptions) {
  if (!(ttlSeconds > 0)) throw new TypeError('ttlSeconds must be positive');
  if (hmacKey.length < 16) throw new TypeError('hmacKey is too short');
  const hash = (accountId: string, to: string, code: string) => hmacSha256(hmacKey, `email-change:${accountId}:${to}`, code);

  /**
   * Puts back a record that a redemption took but was not for (a newer request replaced the one
   * it checked), for the rest of its lifetime, unless something newer still took its place.
   */
  const putBack = async (key: string, taken: StoredEmailChange) => {
    const secondsLeft = Math.ceil((taken.expiresAt - now()) / 1000);
    if (secondsLeft > 0) await store.setIfAbsent(key, taken, secondsLeft);
  };
  /** Ends the record `issueId` names, and only that one. */
  const discard = async (key: string, issueId: string) => {
    const taken = await store.take<StoredEmailChange>(key);
    if (taken && taken.issueId !== issueId) await putBack(key, taken);
  };

  return {
    async issue(accountId: string, { from, to }: { from: string; to: string }): Promise<IssuedEmailChange> {
      const code = randomDigits(codeLength);
      const issuedAt = now();
      const record: StoredEmailChange = { issueId: randomToken(9), from, to, codeHash: hash(accountId, to, code), issuedAt, expiresAt: issuedAt + ttlSeconds * 1000 };
      await store.set(emailChangeKey(accountId), record, ttlSeconds);
      return { code, expiresAt: new Date(record.expiresAt) };
    },

    /** The address a code is waiting for; undefined once used, replaced by nothing, or expired. */
    async pending(accountId: string): Promise<PendingEmailChange | undefined> {
      const record = await store.get<StoredEmailChange>(emailChangeKey(accountId));
      return record && record.expiresAt > now() ? { to: record.to, expiresAt: new Date(record.expiresAt) } : undefined;
    },

    /**
     * Every attempt is counted before anything is taken, so of a burst of parallel guesses no
     * more than the cap get an answer; of parallel right answers exactly one takes the record.
     * The same holds for the new address's lockout: every attempt is counted in its streak in the
     * same batch, a right code before it is honoured, so of codes sent at once for one address
     * (over many accounts, each with a code of its own) no more than the tries the streak has
     * left can be honoured. Past it, a right code gets a wrong code's answer and work.
     */
    async redeem(accountId: string, code: string): Promise<EmailChangeCheck> {
      const key = emailChangeKey(accountId);
      const record = await store.get<StoredEmailChange>(key);
      if (!record || !(record.expiresAt > now())) return { ok: false, reason: 'expired' };
      const right = constantTimeEqual(hash(accountId, record.to, code), record.codeHash);
      const [attempts, counted] = await Promise.all([
        store.increment(emailChangeAttemptsKey(accountId, record.issueId), ttlSeconds),
        lockout ? lockout.countAttempt(record.to) : UNCOUNTED_ATTEMPT,
      ]);
      if (!right || !counted.withinCeiling) {
        counted.failed();
        if (attempts >= maxWrongAttempts) {
          await discard(key, record.issueId);
          return { ok: false, reason: 'too-many-attempts' };
        }
        return { ok: false, reason: 'wrong', attemptsLeft: maxWrongAttempts - attempts };
      }
      // A right code not honoured from here on is a failure of the address's streak (it may be the one that locks it).
      if (attempts > maxWrongAttempts) {
        counted.failed();
        await discard(key, record.issueId);
        return { ok: false, reason: 'too-many-attempts' };
      }
      const taken = await store.take<StoredEmailChange>(key);
      if (!taken || !(taken.expiresAt > now()) || taken.issueId !== record.issueId) {
        counted.failed();
        if (taken && taken.issueId !== record.issueId) await putBack(key, taken);
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, from: taken.from, to: taken.to };
    },
  };
}

export type EmailChangeCodes = ReturnType<typeof createEmailChangeCodes>;
