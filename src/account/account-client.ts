import type { ClientRegistration } from '../config/config-schema.ts';

export const ACCOUNT_CLIENT_ID = 'sesame-account';

/**
 * /account is a relying party of Sesame itself, always registered: people sign in to it through
 * the same /auth flow (PKCE, the same second-factor policy) as to any app.
 */
export function accountClient(issuer: string, appName: string): ClientRegistration {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    // Read where an app's name goes: "Sign in to your Sesame account", and so in the mail's subject.
    client_name: `your ${appName} account`,
    redirect_uris: [`${issuer}/account/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid email',
    first_party: true,
    mfa: 'optional',
  };
}
