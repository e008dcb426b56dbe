import { generateSecret, verifySync } from 'otplib';
import type { Store } from '../store/store.ts';

// What every authenticator app supports (Google Authenticator ignores anything else).
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SECRET_BYTES = 20;
/**
 * A step's code is accepted from the start of the step before it to the end of the step after
 * it (90 s), so the last claimed step must be remembered that long; the extra step absorbs clock
 * skew between processes.
 */
const CLAIM_TTL_SECONDS = 4 * TOTP_PERIOD_SECONDS;

/** The latest time step used by the account: only a later one is accepted (see claimStep). */
export const totpLastStepKey = (accountId: string) => `totp-last-step:{${accountId}}`;

/** Base32, 160 bits: the RFC 4226 recommended length and what authenticator apps expect. */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * otpauth:// URI for enrolment. Built by hand rather than with otplib's generateURI, which leaves
 * out algorithm/digits/period when they are the defaults: some apps guess wrong without them.
 */
export function totpKeyUri({ secret, issuer, accountName }: { secret: string; issuer: string; accountName: string }): string {
  // The label is "issuer:account"; a colon inside either part would make it ambiguous.
  if (issuer === '' || issuer.includes(':')) throw new TypeError('TOTP issuer must be non-empty and contain no ":"');
  if (accountName === '' || accountName.includes(':')) throw new TypeError('TOTP account name must be non-empty and contain no ":"');
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(accountName)}`;
  // encodeURIComponent, not URLSearchParams: apps show a '+' for a space literally.
  const query = [
    `secret=${encodeURIComponent(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}

/**
 * The RFC 6238 time step the code belongs to, tolerating one step of clock drift either way, or
 * undefined when it matches none. Returning the step (not a boolean) lets the caller claim it
 * with the replay guard; accepting a code without claiming its step would allow replays.
 */
export function findTotpStep(secret: string, code: string, nowMs: number = Date.now()): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const result = verifySync({
    secret,
    token,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(nowMs / 1000),
    // Covers exactly steps t-1..t+1: floor((now - 30) / 30) to floor((now + 30) / 30).
    epochTolerance: TOTP_PERIOD_SECONDS,
  });
  // The result type is shared with HOTP, which has no timeStep; ours is always the TOTP shape.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

export interface TotpReplayGuard {
  /**
   * True only for a step later than every step this account used before, across all processes
   * sharing the store. Later, not merely unused: a code seen over someone's shoulder from the
   * step before stays valid for a while, and must not work once the owner has signed in with a
   * newer one (RFC 6238 §5.2; NIST SP 800-63B §5.1.4.2).
   */
  claimStep(accountId: string, step: number): Promise<boolean>;
}

export function createTotpReplayGuard({ store }: { store: Store }): TotpReplayGuard {
  return {
    async claimStep(accountId, step) {
      if (!Number.isSafeInteger(step) || step < 0) throw new TypeError(`TOTP step must be a non-negative integer (got ${step})`);
      // One atomic compare-and-raise: of concurrent sign-ins with the same code, exactly one wins.
      return store.raiseTo(totpLastStepKey(accountId), step, CLAIM_TTL_SECONDS);
    },
  };
}
