/**
 * A failure that sending again cannot cure: the job is given up at once, whatever attempts are left.
 * Thrown by a delivery that knows as much (an app refusing a logout token with a 4xx, a token past
 * its expiry).
 */
export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
}

/**
 * A PermanentFailure, or a relay's 5xx to the recipient or to the message itself (RFC 5321 §4.2.1:
 * "permanent negative completion"): the same mail sent again can only be refused again, so it is
 * not retried. A 5xx to the sender or to the login is retried all the same: that is the relay's
 * configuration or ours, which an operator can fix while the mail waits.
 */
export function isPermanentRejection(error: unknown): boolean {
  if (error instanceof PermanentFailure) return true;
  const { responseCode, command } = (error ?? {}) as { responseCode?: unknown; command?: unknown };
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && (command === 'RCPT TO' || command === 'DATA');
}
