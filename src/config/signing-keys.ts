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

// The members of a JWK that may be published: everything but the private parts.
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'];

/** The public half of a private JWKS, to verify ID tokens Sesame itself issued. */
export function publicSigningKeys(jwks: { keys: readonly Record<string, unknown>[] }): { keys: Record<string, unknown>[] } {
  return { keys: jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([member]) => PUBLIC_MEMBERS.includes(member)))) };
}

export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'PS256', 'ES256'];

/** One fresh private signing key for `alg`, with a kid that says what it is and is never reused. */
export function generateSigningKey(alg: SigningAlgorithm): Record<string, unknown> {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid: `${alg === 'ES256' ? 'ec' : 'rsa'}-${randomUUID()}`, use: 'sig', alg };
}
