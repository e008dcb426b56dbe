import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Whether a refresh grant replaces the refresh token it used. Always for a public client: its
 * refresh token is bound to nothing else, so rotation (with reuse revoking the grant) is how a
 * stolen one is caught (RFC 9700 §4.14.2). For a confidential client only when registered with
 * `rotate_refresh_tokens: true`: its token is useless without the client's own credentials, and
 * rotation would make any two refreshes that overlap (several server processes of one app, as
 * Apache's mod_auth_openidc runs) count as a replay and sign the person out of that app.
 */
export function rotatesRefreshTokens(ctx: KoaContextWithOIDC): boolean {
  const client = ctx.oidc.client;
  if (!client) return true;
  return client.clientAuthMethod === 'none' || client.metadata().rotate_refresh_tokens === true;
}
