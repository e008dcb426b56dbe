/**
 * A security notice ("authenticator added", "address changed", "account deleted") tells the
 * account holder of a change they may not have made: given up after the few minutes a sign-in
 * mail is tried for, a relay outage would leave them never told. Unlike a sign-in or
 * change-of-address mail (their codes expire in 10 minutes, and an expired one is dropped before
 * sending), nothing in a notice goes stale, so it is tried for a day, the waits growing as a sign-in
 * mail's do but no longer than 15 minutes, so that it goes out soon after the relay returns.
 */
export const SECURITY_NOTICE_RETRY_WINDOW_MS = 24 * 60 * 60_000;
export const SECURITY_NOTICE_MAX_DELAY_MS = 15 * 60_000;

/** The BullMQ backoff type of a security notice; the worker's backoff strategy computes it. */
export const SECURITY_NOTICE_BACKOFF = 'security-notice';

export interface RetrySchedule {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait after try number `attempt` (1 for the first) failed. */
  delayMs: (attempt: number) => number;
}

/**
 * The wait after a notice's try number `attempt` failed: doubling from the configured first
 * delay (`mailQueue.backoffMs`) up to 15 minutes, or up to that first delay if it is longer.
 */
export function securityNoticeDelayMs(firstDelayMs: number, attempt: number): number {
  return Math.min(firstDelayMs * 2 ** (attempt - 1), Math.max(SECURITY_NOTICE_MAX_DELAY_MS, firstDelayMs));
}

/** A notice's schedule: as many tries as fit in the day (about a hundred with the defaults). */
export function securityNoticeSchedule(firstDelayMs: number): RetrySchedule {
  const delayMs = (attempt: number) => securityNoticeDelayMs(firstDelayMs, attempt);
  let attempts = 1;
  for (let waited = 0; waited < SECURITY_NOTICE_RETRY_WINDOW_MS; attempts++) waited += delayMs(attempts);
  return { attempts, delayMs };
}
