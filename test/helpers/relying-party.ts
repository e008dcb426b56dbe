import * as client from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { TEST_CLIENT } from './test-config.ts';

export interface PendingAuthorization {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

/** A relying party driven by openid-client v6, the way a real app talks to Sesame. */
export async function startRelyingParty(issuer: string, registration: ClientRegistration = TEST_CLIENT) {
  const auth = registration.token_endpoint_auth_method === 'none' ? client.None() : client.ClientSecretBasic(registration.client_secret);
  const config = await client.discovery(new URL(issuer), registration.client_id, undefined, auth, { execute: [client.allowInsecureRequests] });
  // A machine client has none: it never sends a browser anywhere.
  const redirectUri = registration.redirect_uris?.[0] ?? '';

  return {
    config,
    redirectUri,
    async startAuthorization(params: Record<string, string> = {}): Promise<PendingAuthorization> {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...params,
      });
      return { url: url.href, verifier, state, nonce };
    },
    async handleCallback(callbackUrl: string, pending: PendingAuthorization) {
      return client.authorizationCodeGrant(config, new URL(callbackUrl), {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    },
  };
}

export type RelyingParty = Awaited<ReturnType<typeof startRelyingParty>>;
