/** What the request path hands to the mail queue; the worker renders and sends it. */
export interface SignInMailJob {
  kind: 'sign-in';
  to: string;
  clientName: string;
  link: string;
  code: string;
  /** ISO 8601 */
  expiresAt: string;
  matchNumber: number;
}
