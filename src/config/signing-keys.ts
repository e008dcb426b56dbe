import { generateKeyPairSync, randomUUID } from 'node:crypto';

/**
 * A fresh private JWKS: RSA for RS256 (required by OpenID Connect Discovery for interoperability)
 * and P-256 for ES256 (a fraction of RSA's signing cost, for clients that register it).
 */
export function generateSigningKeys(): { keys: Record<string, unknown>[] } {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...rsa, kid: `rsa-${randomUUID()}`, use: 'sig', alg: 'RS256' },
      { ...ec, kid: `ec-${randomUUID()}`, use: 'sig', alg: 'ES256' },
    ],
  };
}
