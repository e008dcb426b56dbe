import type Cookies from 'cookies';
import { hmacSha256 } from '../auth/secrets.ts';
import { signedCookie } from './signed-cookie.ts';

/**
 * "This browser has signed in as this address before": keyed hashes of the last few addresses
 * proven in this browser, in a signed cookie. It lets the owner past an address's mail ceiling
 * that clients on many networks spent together (start-limit-checks.ts): they can spend the
 * ceiling, but they cannot get this cookie without reading the mailbox. The hashes are keyed with
 * HMAC_KEY, so the cookie does not reveal the addresses to whoever reads it.
 */
// Only the email step reads it: scoped to the interaction routes. Not host-only: planted proofs
// would only let the planter's own addresses past their ceiling in the visitor's browser.
const knownAddressCookie = (secure: boolean) => signedCookie({ name: 'sesame_known', path: '/interaction', secure });

const KEPT = 5;
const DAYS = 180;
// 128 bits of the HMAC: enough to tell addresses apart; the cookie's signature stops forgery.
const PROOF_LENGTH = 22;

interface WithCookies {
  cookies: Cookies;
}

const proofOf = (hmacKey: string, email: string) => hmacSha256(hmacKey, 'known-address', email).slice(0, PROOF_LENGTH);

function readProofs(ctx: WithCookies): string[] {
  const value = knownAddressCookie(false).read(ctx);
  return value ? value.split('.').slice(0, KEPT) : [];
}

/** Whether this browser proved `email` (normalised) in an earlier sign-in. */
export function browserKnowsAddress(ctx: WithCookies, hmacKey: string, email: string): boolean {
  return readProofs(ctx).includes(proofOf(hmacKey, email));
}

/** Records that this browser just proved `email`: most recent first, the last few kept. */
export function rememberKnownAddress(ctx: WithCookies, hmacKey: string, email: string, { secure }: { secure: boolean }) {
  const proof = proofOf(hmacKey, email);
  const proofs = [proof, ...readProofs(ctx).filter((kept) => kept !== proof)].slice(0, KEPT);
  knownAddressCookie(secure).write(ctx, proofs.join('.'), { maxAgeSeconds: DAYS * 86_400 });
}

/** Signing out of Sesame on this browser: the next person at this browser learns nothing of the addresses used in it. */
export function forgetKnownAddresses(ctx: WithCookies, { secure }: { secure: boolean }) {
  knownAddressCookie(secure).clear(ctx);
}
