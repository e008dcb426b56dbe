/**
 * Whether Sesame's cookies carry `Secure`: whenever the issuer is https. Sesame itself speaks plain
 * HTTP behind the TLS proxy, so the request cannot tell; the issuer is the public address browsers use.
 */
export function cookiesAreSecure(issuer: string): boolean {
  return new URL(issuer).protocol === 'https:';
}
