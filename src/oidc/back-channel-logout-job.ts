/**
 * A logout token on its way to an app's `backchannel_logout_uri` (OpenID Connect Back-Channel
 * Logout 1.0). It is signed where the sign-out happened and sent by the mail worker, from the same
 * durable queue as the mail, with the same retries: an app that is down for a minute still hears
 * that its user signed out, and the sign-out page never waits for an app.
 */
export interface BackChannelLogoutJob {
  kind: 'backchannel-logout';
  clientId: string;
  /** The signed JWT, as the app will receive it in the `logout_token` form field. */
  logoutToken: string;
  /** Seconds since the epoch: the token's `exp`. An app would refuse it after that, so it is not sent. */
  expiresAt: number;
}
