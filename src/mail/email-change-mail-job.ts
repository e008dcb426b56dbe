import type { Locale } from '../i18n/locales.ts';

/**
 * The code that confirms a change of an account's address, on its way to the new address. Whether
 * that address is free is decided by the worker, off the request path (deliver-email-change-mail.ts).
 */
export interface EmailChangeMailJob {
  kind: 'email-change';
  /** The new address. */
  to: string;
  /** The account that asks to move to it. */
  accountId: string;
  code: string;
  /** ISO 8601 */
  expiresAt: string;
  /** The language of the page that asked. Absent in jobs queued by a version before it: English. */
  locale?: Locale;
}
