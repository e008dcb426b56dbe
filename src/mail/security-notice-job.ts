import type { Locale } from '../i18n/locales.ts';

/**
 * What changed about how an account is protected. NIST SP 800-63B asks that the subscriber be told
 * of such binding events through a channel of its own, so that a change they did not make does
 * not go unnoticed: the mailbox is that channel.
 */
export type SecurityEvent =
  | 'totp-added'
  | 'totp-removed'
  | 'recovery-codes-renewed'
  | 'recovery-code-used'
  | 'second-factor-reset'
  | 'account-deleted'
  /** The administrator deleted the account (`user remove`). */
  | 'account-deleted-by-administrator'
  /** The administrator signed the account out everywhere (`user sign-out`). */
  | 'signed-out-everywhere-by-administrator'
  /** To the address the account left: it no longer signs in to the account. */
  | 'email-changed'
  /** To the address the account moved to: it signs in now. */
  | 'email-now-sign-in-address'
  /** The same two, when the administrator moved the account (`user change-email`). */
  | 'email-changed-by-administrator'
  | 'email-now-sign-in-address-by-administrator';

/** `device` of a change the administrator made from the command line (npm run cli), in the holder's words ("From: …"). */
export const ADMINISTRATOR_DEVICE = 'your administrator, from the command line';

/** A mail to the account holder about one such change, queued where the change was made. */
export interface SecurityNoticeJob {
  kind: 'security-notice';
  to: string;
  event: SecurityEvent;
  /** ISO 8601: when it happened. */
  at: string;
  /** "Chrome on Linux": the browser that made the change, so the holder can tell if it was theirs (or the administrator's command line). */
  device: string;
  /** For a change of address: the account's other address (the new one for the old, the old one for the new). */
  otherAddress?: string;
  /**
   * The language to write in: the account's (`Account.locale`), or the page's where the change
   * was made in a browser. Absent in jobs queued by a version before it, and for an account that
   * never chose one: English.
   */
  locale?: Locale;
}
