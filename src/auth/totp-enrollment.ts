import { createHash } from 'node:crypto';
import type { Account, Accounts } from '../accounts/accounts.ts';
import type { Store } from '../store/store.ts';
import { totpEnrollmentKey } from '../store/keys.ts';
import { generateRecoveryCodes, type RecoveryCodeStore } from './recovery-codes.ts';
import type { SecretBox } from './secret-box.ts';
import { findTotpStep, newTotpSecret, totpKeyUri, type TotpReplayGuard } from './totp.ts';
import { totpQrSvg } from './totp-qr.ts';

export const RECOVERY_CODE_COUNT = 10;

/** Authenticated with the sealed secret, so a sealed secret cannot be moved to another account. */
export const totpSecretAssociatedData = (accountId: string) => `totp-secret:${accountId}`;

/**
 * The secret that waits for its first code, and to whom it was shown: the sign-in (interaction
 * uid) or the account-page session (its sid) that opened the enrolment page, hashed.
 */
interface PendingEnrollment {
  sealed: string;
  shownTo: string;
}

const shownToHash = (shownTo: string) => createHash('sha256').update(`totp-enrollment:${shownTo}`).digest('base64url');

/** What the enrolment page shows: the same secret three ways. */
export interface TotpEnrollmentOffer {
  /** Base32, for typing into the app by hand. */
  secret: string;
  /** otpauth:// URI: issuer = APP_NAME, label = the account's email. */
  uri: string;
  /** The URI as an inline SVG QR code. */
  qrSvg: string;
}

export type TotpConfirmation =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: 'wrong' | 'replayed' | 'expired' | 'replaced' | 'already-enrolled' };

export interface TotpEnrollmentOptions {
  store: Store;
  accounts: Accounts;
  secretBox: SecretBox;
  replayGuard: TotpReplayGuard;
  recoveryCodes: RecoveryCodeStore;
  /** Shown in the authenticator app next to the email (APP_NAME). */
  issuer: string;
  /** How long a shown secret waits for its first code. */
  ttlSeconds: number;
  /** @default the process clock, read at each check (Date.now(), never a copy taken at start-up) */
  now?: () => number;
}

/**
 * Setting up an authenticator app. The secret waits, sealed, until the person proves with a
 * current code that their app has it; only then does it move onto the account and recovery codes
 * are issued. Reloading the page shows the same secret, so a scanned QR code stays valid.
 *
 * One secret waits per account, and only for the page it was shown to (`shownTo`: the sign-in or
 * account session). Another session of the same account that opens the page gets a new secret,
 * which replaces the first: it never sees the secret someone else is about to confirm, and the
 * person whose secret was replaced is told to start over instead of ending up with an
 * authenticator another session knows.
 */
export function createTotpEnrollment({ store, accounts, secretBox, replayGuard, recoveryCodes, issuer, ttlSeconds, now = () => Date.now() }: TotpEnrollmentOptions) {
  /** The secret waiting for `shownTo`; 'replaced' when another page's secret waits instead. */
  async function pendingSecret(account: Account, shownTo: string): Promise<{ secret: string; sealed: string } | 'replaced' | undefined> {
    const pending = await store.get<PendingEnrollment | string>(totpEnrollmentKey(account.id));
    // A bare string is a secret left pending before secrets were bound to whom they were shown.
    if (pending === undefined || typeof pending === 'string') return undefined;
    if (pending.shownTo !== shownToHash(shownTo)) return 'replaced';
    try {
      return { secret: secretBox.open(pending.sealed, totpSecretAssociatedData(account.id)), sealed: pending.sealed };
    } catch {
      // Sealed under a key that was since removed: start over with a new secret.
      return undefined;
    }
  }

  async function issueRecoveryCodes(accountId: string): Promise<string[]> {
    const codes = generateRecoveryCodes(RECOVERY_CODE_COUNT);
    await recoveryCodes.replace(accountId, codes);
    return codes;
  }

  return {
    /** The secret to show to `shownTo`; undefined when the account already has an authenticator. */
    async begin(account: Account, shownTo: string): Promise<TotpEnrollmentOffer | undefined> {
      if (account.totp) return undefined;
      const pending = await pendingSecret(account, shownTo);
      let secret = typeof pending === 'object' ? pending.secret : undefined;
      if (secret === undefined) {
        secret = newTotpSecret();
        const fresh: PendingEnrollment = { sealed: secretBox.seal(secret, totpSecretAssociatedData(account.id)), shownTo: shownToHash(shownTo) };
        await store.set(totpEnrollmentKey(account.id), fresh, ttlSeconds);
      }
      const uri = totpKeyUri({ secret, issuer, accountName: account.email });
      return { secret, uri, qrSvg: await totpQrSvg(uri) };
    },

    /** Activates the secret shown to `shownTo` when `code` is current for it, and returns new recovery codes. */
    async confirm(account: Account, shownTo: string, code: string): Promise<TotpConfirmation> {
      if (account.totp) return { ok: false, reason: 'already-enrolled' };
      const pending = await pendingSecret(account, shownTo);
      if (pending === 'replaced') return { ok: false, reason: 'replaced' };
      if (!pending) return { ok: false, reason: 'expired' };
      const step = findTotpStep(pending.secret, code, now());
      if (step === undefined) return { ok: false, reason: 'wrong' };
      // The confirming code is spent like any other, so it cannot also sign in afterwards.
      if (!(await replayGuard.claimStep(account.id, step))) return { ok: false, reason: 'replayed' };
      // Of two confirmations racing, only the one that takes the pending secret activates it; one
      // replaced by another session's in between is not this one, and nothing is put back.
      const taken = await store.take<PendingEnrollment | string>(totpEnrollmentKey(account.id));
      if (taken === undefined || typeof taken === 'string' || taken.sealed !== pending.sealed) return { ok: false, reason: 'expired' };
      await accounts.setTotp(account.id, { sealedSecret: pending.sealed, enrolledAt: new Date(now()).toISOString() });
      return { ok: true, recoveryCodes: await issueRecoveryCodes(account.id) };
    },

    /** A new set of recovery codes; the previous set stops working at once. */
    issueRecoveryCodes,

    /** Forgets a secret that was shown but never confirmed. */
    async cancel(accountId: string): Promise<void> {
      await store.delete(totpEnrollmentKey(accountId));
    },
  };
}

export type TotpEnrollment = ReturnType<typeof createTotpEnrollment>;
