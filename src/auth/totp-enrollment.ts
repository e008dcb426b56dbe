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
  | { ok: false; reason: 'wrong' | 'replayed' | 'expired' | 'already-enrolled' };

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
  /** @default Date.now */
  now?: () => number;
}

/**
 * Setting up an authenticator app. The secret waits, sealed, until the person proves with a
 * current code that their app has it; only then does it move onto the account and recovery codes
 * are issued. Reloading the page shows the same secret, so a scanned QR code stays valid.
 */
export function createTotpEnrollment({ store, accounts, secretBox, replayGuard, recoveryCodes, issuer, ttlSeconds, now = Date.now }: TotpEnrollmentOptions) {
  async function pendingSecret(account: Account): Promise<{ secret: string; sealed: string } | undefined> {
    const sealed = await store.get<string>(totpEnrollmentKey(account.id));
    if (sealed === undefined) return undefined;
    try {
      return { secret: secretBox.open(sealed, totpSecretAssociatedData(account.id)), sealed };
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
    /** The secret to show; undefined when the account already has an authenticator. */
    async begin(account: Account): Promise<TotpEnrollmentOffer | undefined> {
      if (account.totp) return undefined;
      let secret = (await pendingSecret(account))?.secret;
      if (secret === undefined) {
        secret = newTotpSecret();
        await store.set(totpEnrollmentKey(account.id), secretBox.seal(secret, totpSecretAssociatedData(account.id)), ttlSeconds);
      }
      const uri = totpKeyUri({ secret, issuer, accountName: account.email });
      return { secret, uri, qrSvg: await totpQrSvg(uri) };
    },

    /** Activates the pending secret when `code` is current for it, and returns new recovery codes. */
    async confirm(account: Account, code: string): Promise<TotpConfirmation> {
      if (account.totp) return { ok: false, reason: 'already-enrolled' };
      const pending = await pendingSecret(account);
      if (!pending) return { ok: false, reason: 'expired' };
      const step = findTotpStep(pending.secret, code, now());
      if (step === undefined) return { ok: false, reason: 'wrong' };
      // The confirming code is spent like any other, so it cannot also sign in afterwards.
      if (!(await replayGuard.claimStep(account.id, step))) return { ok: false, reason: 'replayed' };
      // Of two confirmations racing, only the one that takes the pending secret activates it.
      if ((await store.take(totpEnrollmentKey(account.id))) === undefined) return { ok: false, reason: 'expired' };
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
