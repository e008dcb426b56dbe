/**
 * The claims each scope releases: oidc-provider's `claims` configuration (oidc/provider-config.ts),
 * and what an app's registered `scope` limits it to (oidc/claims-within-client-scope.ts).
 */
export const CLAIMS_BY_SCOPE: Readonly<Record<string, readonly string[]>> = {
  // acr, amr and auth_time always go to the ID token, so apps can see how the user signed in.
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  email: ['email', 'email_verified'],
  // The name the person gave on the account page; an account without one releases nothing here.
  profile: ['name'],
};
