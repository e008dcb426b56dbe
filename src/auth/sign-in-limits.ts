import type { Config } from '../config/config-schema.ts';
import type { Store } from '../store/store.ts';
import { createLockout, type Lockout, type LockoutOptions } from './lockout.ts';
import type { RateLimit } from './rate-limiter.ts';

export interface SignInLimits {
  signInMailPerAddress: RateLimit;
  signInMailPerAddressFromOneIp: RateLimit;
  /** Browsers that signed in as the address before, per network: their own budget, past the address's ceiling. */
  signInMailPerAddressFromKnownBrowser: RateLimit;
  signInMailPerIp: RateLimit;
  codeEntriesPerIp: RateLimit;
  /** Device user codes entered at /device (device-flow/limit-code-entries.ts). */
  deviceCodeEntriesPerIp: RateLimit;
  /** Records oidc-provider keeps for someone not signed in (oidc/limit-sign-in-starts.ts). */
  signInStartsPerIp: RateLimit;
}

/**
 * The named budgets of the sign-in routes, from config/default.json. The names are part of the
 * Redis keys: renaming one starts its counters afresh.
 */
export function signInLimits({ rateLimits }: Pick<Config, 'rateLimits'>): SignInLimits {
  return {
    signInMailPerAddress: { name: 'sign-in-mail-address', ...rateLimits.signInMailPerAddress },
    signInMailPerAddressFromOneIp: { name: 'ip', ...rateLimits.signInMailPerAddressFromOneIp },
    signInMailPerAddressFromKnownBrowser: { name: 'sign-in-mail-known-browser', ...rateLimits.signInMailPerAddressFromOneIp },
    signInMailPerIp: { name: 'sign-in-mail-ip', ...rateLimits.signInMailPerIp },
    codeEntriesPerIp: { name: 'code-entries-ip', ...rateLimits.codeEntriesPerIp },
    deviceCodeEntriesPerIp: { name: 'device-code-entries-ip', ...rateLimits.deviceCodeEntriesPerIp },
    signInStartsPerIp: { name: 'sign-in-starts-ip', ...rateLimits.signInStartsPerIp },
  };
}

/**
 * The lockout of guessable sign-in secrets. Its subject is the normalised email address, never an
 * account id: it works before an account is known and behaves the same for addresses without one.
 * TOTP failures count against the same subject.
 */
export function createSignInLockout({ store, config, onLocked }: { store: Store; config: Pick<Config, 'hmacKey' | 'signInCode'>; /** Metrics: a lockout began. */ onLocked?: LockoutOptions['onLocked'] }): Lockout {
  return createLockout({ store, hmacKey: config.hmacKey, maxConsecutiveFailures: config.signInCode.maxConsecutiveFailures, lockSeconds: config.signInCode.lockoutSeconds, onLocked });
}
