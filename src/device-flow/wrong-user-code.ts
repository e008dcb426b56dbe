import type Cookies from 'cookies';
import { signedCookie } from '../http/signed-cookie.ts';
import { DEVICE_PAGE } from './device-pages.ts';
import { displayTypedUserCode, normaliseUserCode } from './user-codes.ts';

/**
 * The code a person typed at /device that was not right, put back into the form the refusal leads
 * to (`/device?error=wrong-code`), so that a typo is fixed without typing all of it again. A wrong
 * code is no secret, but it is not put in the address: the refusal's address stays a fixed key
 * (http/outcome-query.ts), nothing a link can fill in. It rides in a signed cookie, scoped to
 * /device and kept for a few minutes, that only this browser's own form sets: a form posted from
 * another site carries no session cookie and is refused as out of date before any look-up.
 *
 * Normalised as the library reads a code, so only letters, digits and `_`, and at most twice a
 * code's length: the rest of a paste that was not a code is not worth keeping.
 */
const wrongCodeCookie = (secure: boolean) => signedCookie({ name: 'sesame_wrong_user_code', path: DEVICE_PAGE, secure });
const KEPT_FOR_SECONDS = 5 * 60;
const KEPT_CHARACTERS = 16;

interface WithCookies {
  cookies: Cookies;
}

const kept = (typed: string) => normaliseUserCode(typed.slice(0, 256)).slice(0, KEPT_CHARACTERS);

/** After "That code is not right": keeps what was typed for the form the refusal leads to. */
export function keepWrongUserCode(ctx: WithCookies, typed: unknown, { secure }: { secure: boolean }) {
  const code = typeof typed === 'string' ? kept(typed) : '';
  if (code) wrongCodeCookie(secure).write(ctx, code, { maxAgeSeconds: KEPT_FOR_SECONDS });
}

/** The wrong code this browser typed last, as the form shows it ("BCDF-GHJ"); '' when there is none. */
export function wrongUserCodeOf(ctx: WithCookies): string {
  return displayTypedUserCode(kept(wrongCodeCookie(false).read(ctx) ?? ''));
}
