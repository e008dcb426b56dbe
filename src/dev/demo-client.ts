import type { ClientRegistration } from '../config/config-schema.ts';

export const DEMO_CLIENT_ID = 'sesame-demo';

/** The relying party behind /demo: registered only in development, never from the clients file. */
export function demoClient(issuer: string): ClientRegistration {
  return {
    client_id: DEMO_CLIENT_ID,
    client_name: 'Sesame demo app',
    // Its home: pages that end one of its sign-ins or sign-outs lead back here (interaction/app-address.ts).
    client_uri: `${issuer}/demo`,
    redirect_uris: [`${issuer}/demo/callback`],
    post_logout_redirect_uris: [`${issuer}/demo`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid email profile offline_access',
  };
}
