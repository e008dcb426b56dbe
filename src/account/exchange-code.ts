import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Context } from 'koa';
import type { Config } from '../config/config-schema.ts';
import { publicSigningKeys } from '../config/signing-keys.ts';
import { HttpError } from '../http/errors.ts';

export interface AccountIdToken extends JWTPayload {
  sub: string;
  acr: string;
  auth_time: number;
}

/**
 * Redeems the account page's authorization code at Sesame's own token endpoint and verifies the
 * ID token. The request goes to the socket that received this request rather than to the public
 * issuer URL: Sesame speaks plain HTTP behind its proxy, and a container often cannot reach its
 * own public address (hairpin NAT). The token's `iss` is the configured issuer either way.
 * The request says it came through TLS when the issuer is https, as the proxy would: it did not
 * leave this host, and otherwise the https rule (http/https-only.ts) sends it to the public URL.
 */
export function createCodeExchange({ config, clientId, redirectUri, signingKeys = () => config.jwks }: { config: Readonly<Config>; clientId: string; redirectUri: string; /** The key set signing right now (it changes with `keys promote`). */ signingKeys?: () => Config['jwks'] }) {
  let verification: { jwks: Config['jwks']; keys: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keysNow = () => {
    const jwks = signingKeys();
    if (verification?.jwks !== jwks) verification = { jwks, keys: createLocalJWKSet(publicSigningKeys(jwks) as Parameters<typeof createLocalJWKSet>[0]) };
    return verification.keys;
  };

  const forwardedProto = new URL(config.issuer).protocol.slice(0, -1);

  return async function exchangeCode(ctx: Context, { code, verifier, nonce }: { code: string; verifier: string; nonce: string }): Promise<AccountIdToken> {
    const response = await fetch(new URL('/token', ownOrigin(ctx)), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-forwarded-proto': forwardedProto },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { id_token?: string; error?: string };
    if (!response.ok || typeof body.id_token !== 'string') {
      throw new HttpError(400, body.error ?? 'invalid_grant', { key: 'accountSignIn.expired.title' }, { key: 'accountSignIn.used.message' });
    }
    const { payload } = await jwtVerify(body.id_token, keysNow(), { issuer: config.issuer, audience: clientId });
    if (payload.nonce !== nonce || typeof payload.sub !== 'string' || typeof payload.acr !== 'string' || typeof payload.auth_time !== 'number') {
      throw new HttpError(400, 'invalid_grant', { key: 'accountSignIn.failed.title' }, { key: 'accountSignIn.failed.message' });
    }
    return payload as AccountIdToken;
  };
}

function ownOrigin(ctx: Context): string {
  const { localAddress, localPort } = ctx.req.socket;
  if (!localAddress || !localPort) throw new Error('cannot tell the local address of this request');
  return `http://${localAddress.includes(':') ? `[${localAddress}]` : localAddress}:${localPort}`;
}
