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
}
