import type { Locale } from '../i18n/locales.ts';

/** What the request path hands to the mail queue; the worker renders and sends it. */
export interface SignInMailJob {
  kind: 'sign-in';
  to: string;
  clientName: string;
  link: string;
  code: string;
  /** ISO 8601 */
  expiresAt: string;
  /**
   * The address is locked out of codes (auth/sign-in-limits.ts): the mail says so and carries the
   * link only (`code` is empty). Decided when the code was issued, on the request path.
   */
  codesOff?: boolean;
  /**
   * The sign-in a device's "Allow" at /device started (RFC 8628): the mail says so, since whoever
   * pressed Allow may have typed someone else's address (remote phishing, §5.4). Absent in jobs
   * queued by a version before it: those mails read as before.
   */
  forDevice?: boolean;
  /**
   * The sign-in's language (i18n/sign-in-language.ts), which its pages speak. Absent in jobs
   * queued by a version before it: those mails are in English, as they were.
   */
  locale?: Locale;
}
