import type { Accounts } from '../accounts/accounts.ts';

// Authentication context classes Sesame asserts in the ID token's `acr`.
/** Proof of control of the email address (link or code). */
export const ACR_EMAIL = 'urn:sesame:acr:email';

/**
 * `amr` for the email factor. RFC 8176 registers no value for "a secret sent by email", so Sesame
 * uses "email" (as several providers do) rather than misreport it as "otp", which it reserves for TOTP.
 */
export const AMR_EMAIL = 'email';

/** Email and a second factor (authenticator code or recovery code) in the same session. */
export const ACR_MFA = 'urn:sesame:acr:mfa';

/** RFC 8176 §2: a one-time password (RFC 6238 TOTP from an authenticator app). */
export const AMR_OTP = 'otp';
/** RFC 8176 §2: more than one factor was used. */
export const AMR_MFA = 'mfa';
/**
 * A single-use recovery code in place of the authenticator. RFC 8176 registers nothing for a
 * look-up secret, and calling it "otp" would tell apps an authenticator was used when it was not.
 */
export const AMR_RECOVERY_CODE = 'recovery_code';

export type SecondFactorMethod = typeof AMR_OTP | typeof AMR_RECOVERY_CODE;

const SECOND_FACTOR_METHODS: ReadonlySet<string> = new Set<SecondFactorMethod>([AMR_OTP, AMR_RECOVERY_CODE]);

/**
 * The methods of the authentication this second factor completes (OpenID Connect Core §2, RFC
 * 8176 §1: the methods used in the authentication): the session's first factor (the email, proven
 * when it signed in, which a step-up does not ask again), the second factor just used, and "mfa".
 * An earlier second factor of the session (a recovery code at sign-in, before an authenticator code
 * now) is not part of it: this one takes its place, as auth_time does.
 */
export function amrWithSecondFactor(previous: readonly string[] | undefined, method: SecondFactorMethod): string[] {
  const firstFactor = (previous ?? [AMR_EMAIL]).filter((value) => value !== AMR_MFA && !SECOND_FACTOR_METHODS.has(value));
  return [...new Set([...firstFactor, method]), AMR_MFA];
}

/**
 * The login result's `ts` (epoch seconds): when the factor was proven, which becomes the session's
 * loginTs and so the ID token's auth_time. Without it oidc-provider takes the moment the result is
 * applied, and a consent page of its own re-applies the login it merges from the step before
 * (mergeWithLastSubmission): auth_time moved on to the press of "Allow", up to the sign-in's
 * lifetime later, satisfying an app's max_age and the account page's "recent sign-in" with a
 * factor proven that long before (OpenID Connect Core §2: the time the authentication occurred).
 * Read from the store's clock, not this process's: a sign-out everywhere's stamp, taken there by
 * whichever process, is compared with it (accounts/accounts.ts nowSecondsFor).
 */
export function loginProvenNow(accounts: Pick<Accounts, 'nowSecondsFor'>, accountId: string): Promise<number> {
  return accounts.nowSecondsFor(accountId);
}
