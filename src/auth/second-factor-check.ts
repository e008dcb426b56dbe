import type { Account, Accounts } from '../accounts/accounts.ts';
import type { Config } from '../config/config-schema.ts';
import { AMR_OTP, AMR_RECOVERY_CODE, type SecondFactorMethod } from '../oidc/acr.ts';
import type { Lockout } from './lockout.ts';
import type { RateLimit, RateLimiter } from './rate-limiter.ts';
import type { RecoveryCodeStore } from './recovery-codes.ts';
import { sealedKeyId, type SecretBox } from './secret-box.ts';
import { findTotpStep, type TotpReplayGuard } from './totp.ts';
import { totpSecretAssociatedData } from './totp-enrollment.ts';

export type SecondFactorAnswer = { kind: 'totp'; code: string } | { kind: 'recovery-code'; code: string };

export type SecondFactorResult =
  | { ok: true; method: SecondFactorMethod }
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  /** The right code, but its time step was already used: wait for the next code. */
  | { ok: false; reason: 'replayed' }
  /** `scope` says which budget ran out: this sign-in's, or the account's for a while. */
  | { ok: false; reason: 'too-many-attempts'; scope: 'sign-in' | 'account'; retryAfterSeconds: number }
  | { ok: false; reason: 'locked' }
  | { ok: false; reason: 'not-enrolled' }
  /**
   * The authenticator's secret cannot be opened with the configured ENCRYPTION_KEYS (its key was
   * removed while still in use): no code can be checked, and it is no guess of the person's.
   */
  | { ok: false; reason: 'secret-unreadable' };

export interface SecondFactorCheckOptions {
  accounts: Accounts;
  secretBox: SecretBox;
  replayGuard: TotpReplayGuard;
  recoveryCodes: RecoveryCodeStore;
  rateLimiter: RateLimiter;
  /** The 'second-factor' streak; its subject is the account's email, like the sign-in lockout's. */
  lockout: Lockout;
  limits: Pick<Config['secondFactor'], 'maxAttemptsPerSignIn' | 'accountAttempts'>;
  /** Lifetime of one sign-in (the interaction): the window of its attempt budget. */
  signInSeconds: number;
  /** @default the process clock, read at each check (Date.now(), never a copy taken at start-up) */
  now?: () => number;
}

/**
 * Checks an authenticator or recovery code for an account. Every attempt is counted before the
 * comparison (so parallel guesses cannot exceed a budget) against two budgets, this sign-in's and
 * the account's, and before it is honoured against the consecutive-failure lockout, the hard
 * ceiling (so parallel answers cannot exceed it either).
 */
export function createSecondFactorCheck({ accounts, secretBox, replayGuard, recoveryCodes, rateLimiter, lockout, limits, signInSeconds, now = () => Date.now() }: SecondFactorCheckOptions) {
  const perSignIn: RateLimit = { name: 'second-factor-sign-in', limit: limits.maxAttemptsPerSignIn, windowSeconds: signInSeconds };
  const perAccount: RateLimit = { name: 'second-factor-account', limit: limits.accountAttempts.limit, windowSeconds: limits.accountAttempts.windowSeconds };

  /**
   * Spends the answer if it is right: claims a TOTP code's time step (and re-seals the secret under
   * the current key), or takes a recovery code (the take is its comparison). A wrong TOTP code is
   * known before any store is asked.
   */
  function spend(account: Account, answer: SecondFactorAnswer): { secretUnreadable: true } | { spent: Promise<'ok' | 'wrong' | 'replayed'> } {
    if (answer.kind === 'recovery-code') return { spent: recoveryCodes.redeem(account.id, answer.code).then((taken) => (taken ? 'ok' : 'wrong')) };
    const sealed = account.totp!.sealedSecret;
    let secret: string;
    try {
      secret = secretBox.open(sealed, totpSecretAssociatedData(account.id));
    } catch {
      return { secretUnreadable: true };
    }
    const step = findTotpStep(secret, answer.code, now());
    if (step === undefined) return { spent: Promise.resolve('wrong') };
    return {
      spent: (async () => {
        if (!(await replayGuard.claimStep(account.id, step))) return 'replayed';
        // Key rotation: a secret still sealed under an older key is re-sealed under the current one,
        // so the old key can be retired once every active account has signed in. Only over the same
        // sealed secret: `account` was read at the start of the request, and the authenticator may
        // have been removed (or replaced) since; writing it whole would put the old one back.
        if (sealedKeyId(sealed) !== secretBox.sealingKeyId) {
          await accounts.resealTotp(account.id, sealed, secretBox.seal(secret, totpSecretAssociatedData(account.id)));
        }
        return 'ok';
      })(),
    };
  }

  return {
    /** `signInId` scopes the per-sign-in budget (the interaction uid). */
    async verify(account: Account, signInId: string, answer: SecondFactorAnswer): Promise<SecondFactorResult> {
      if (!account.totp) return { ok: false, reason: 'not-enrolled' };
      const [locked, signInBudget, accountBudget] = await Promise.all([
        lockout.isLocked(account.email),
        rateLimiter.hit(perSignIn, signInId),
        rateLimiter.hit(perAccount, account.id),
      ]);
      if (locked) return { ok: false, reason: 'locked' };
      if (!signInBudget.allowed) return { ok: false, reason: 'too-many-attempts', scope: 'sign-in', retryAfterSeconds: signInBudget.retryAfterSeconds };
      if (!accountBudget.allowed) return { ok: false, reason: 'too-many-attempts', scope: 'account', retryAfterSeconds: accountBudget.retryAfterSeconds };

      const spending = spend(account, answer);
      if ('secretUnreadable' in spending) return { ok: false, reason: 'secret-unreadable' };
      // The lock read above does not hold under concurrency: of answers sent at once while one try
      // is left, every one would be compared, and a right one among them honoured (the budgets are
      // per window; the streak spans windows). So every answer is counted in the streak in the
      // batch that spends it, and a right one is honoured only within the ceiling. Past it, its
      // step or recovery code is spent all the same (the answer, "locked", tells nothing either way).
      const [counted, outcome] = await Promise.all([lockout.countAttempt(account.email), spending.spent]);
      if (outcome === 'ok' && counted.withinCeiling) {
        await Promise.all([lockout.recordSuccess(account.email), rateLimiter.reset(perAccount, account.id)]);
        return { ok: true, method: answer.kind === 'totp' ? AMR_OTP : AMR_RECOVERY_CODE };
      }
      // Not honoured: a failure of the streak, which may be the one that locks it.
      if (counted.failed()) return { ok: false, reason: 'locked' };
      // A replayed code is the person's own double submit, most likely: they wait for the next code.
      // It was counted like any answer; the submission that won ends the streak with its success.
      if (outcome === 'replayed') return { ok: false, reason: 'replayed' };
      return { ok: false, reason: 'wrong', attemptsLeft: Math.min(signInBudget.remaining, accountBudget.remaining) };
    },
  };
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>;
