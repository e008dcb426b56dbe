import type { Accounts } from '../accounts/accounts.ts';
import type { Config } from '../config/config-schema.ts';
import type { Store } from '../store/store.ts';
import { createLockout, type LockoutOptions } from './lockout.ts';
import { createPendingSecondFactors } from './pending-second-factor.ts';
import { purposeSecretBox } from './derived-secret-box.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { createRecoveryCodeStore } from './recovery-codes.ts';
import { createRecoveryCodesToShow } from './recovery-codes-to-show.ts';
import { createRememberedDevices } from './remembered-devices.ts';
import { createSecondFactorCheck } from './second-factor-check.ts';
import { createSecondFactorRemoval } from './second-factor-removal.ts';
import { createSecretBox, parseEncryptionKeys } from './secret-box.ts';
import { createTotpReplayGuard } from './totp.ts';
import { createTotpEnrollment } from './totp-enrollment.ts';

/** Wires the second-factor modules from configuration; used by the app and by the CLI. */
export function createSecondFactor({ config, store, accounts, onLocked }: { config: Readonly<Config>; store: Store; accounts: Accounts; /** Metrics: a lockout began. */ onLocked?: LockoutOptions['onLocked'] }) {
  const encryptionKeys = parseEncryptionKeys(config.encryptionKeys);
  const secretBox = createSecretBox({ keys: encryptionKeys });
  const replayGuard = createTotpReplayGuard({ store });
  const recoveryCodes = createRecoveryCodeStore({ store, hmacKey: config.hmacKey });
  const devices = createRememberedDevices({ store, hmacKey: config.hmacKey, days: config.secondFactor.rememberDeviceDays });
  const enrollment = createTotpEnrollment({
    store,
    accounts,
    secretBox,
    replayGuard,
    recoveryCodes,
    issuer: config.appName,
    ttlSeconds: config.secondFactor.enrollmentSeconds,
  });
  const lockout = createLockout({
    store,
    hmacKey: config.hmacKey,
    streak: 'second-factor',
    maxConsecutiveFailures: config.secondFactor.maxConsecutiveFailures,
    lockSeconds: config.secondFactor.lockoutSeconds,
    onLocked,
  });
  const check = createSecondFactorCheck({
    accounts,
    secretBox,
    replayGuard,
    recoveryCodes,
    rateLimiter: createRateLimiter({ store, hmacKey: config.hmacKey }),
    lockout,
    limits: config.secondFactor,
    signInSeconds: config.ttl.interactionSeconds,
  });
  return {
    enrollment,
    check,
    devices,
    recoveryCodes,
    // Long enough for a slow redirect or a retry after a network error; a page left open longer
    // says the codes are not shown again, and new ones are a click away on the account page.
    recoveryCodesToShow: createRecoveryCodesToShow({ store, secretBox: purposeSecretBox(encryptionKeys, 'recovery-codes-to-show'), ttlSeconds: 600 }),
    /** The authenticator's consecutive-failure streak (its subject is the email address). */
    lockout,
    pending: createPendingSecondFactors({ store }),
    remove: createSecondFactorRemoval({ accounts, recoveryCodes, devices, enrollment }),
  };
}

export type SecondFactor = ReturnType<typeof createSecondFactor>;
