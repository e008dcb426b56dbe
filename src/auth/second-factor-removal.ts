import type { Accounts } from '../accounts/accounts.ts';
import type { RecoveryCodeStore } from './recovery-codes.ts';
import type { RememberedDevices } from './remembered-devices.ts';
import type { TotpEnrollment } from './totp-enrollment.ts';

export interface SecondFactorRemoval {
  hadTotp: boolean;
  forgottenDevices: number;
}

/**
 * Takes the second factor off an account: the authenticator, its recovery codes, any half-done
 * enrolment and every remembered browser. Used when a person removes it on /account (after a
 * fresh check) and by `npm run cli -- user reset-mfa`. Lockouts are left alone: `user unlock`.
 */
export function createSecondFactorRemoval({ accounts, recoveryCodes, devices, enrollment }: { accounts: Accounts; recoveryCodes: RecoveryCodeStore; devices: RememberedDevices; enrollment: Pick<TotpEnrollment, 'cancel'> }) {
  return async function removeSecondFactor(accountId: string): Promise<SecondFactorRemoval> {
    const before = await accounts.findById(accountId);
    // The account record first: from that write on, sign-ins no longer ask for the factor.
    await accounts.clearTotp(accountId);
    const [forgottenDevices] = await Promise.all([devices.forgetAll(accountId), recoveryCodes.clear(accountId), enrollment.cancel(accountId)]);
    return { hadTotp: before?.totp !== undefined, forgottenDevices };
  };
}

export type RemoveSecondFactor = ReturnType<typeof createSecondFactorRemoval>;
