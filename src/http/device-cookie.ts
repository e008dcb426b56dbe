import type Cookies from 'cookies';
import { signedCookie } from './signed-cookie.ts';

/**
 * The remembered-browser cookie: the device ids this browser was remembered under, newest first,
 * sent to every path (the policy check on /auth reads it too, for sessions that already exist).
 *
 * Not host-only, so a site on a sibling subdomain (or a plain-http answer before HSTS) can set
 * it: with a copy of its own signed cookie, it can make a visitor's browser carry its device id.
 * Such an id proves nothing, since the device must also be on record for the account signing in
 * (auth/remembered-devices.ts); and remembering never records an id the browser sent, only one
 * minted for that account there and then, added to the list. Were the browser's id reused, the
 * planter's own browser would be remembered for the visitor's account: the visitor's email alone
 * would then sign the planter in, past the authenticator. A new name (__Host-) would make every
 * remembered browser ask for its authenticator once more.
 */
const deviceCookie = (secure: boolean) => signedCookie({ name: 'sesame_device', path: '/', secure });

/** Ids kept per browser: one per account remembered on it, as many as people share a browser. */
const KEPT = 5;

// The interaction routes and oidc-provider's policy checks both read it, from Koa contexts.
interface WithCookies {
  cookies: Cookies;
}

/** The device ids this browser holds (their shape is checked where they are looked up). */
export function readDeviceIds(ctx: WithCookies): string[] {
  // Reading needs no attributes: the name is the same either way.
  const value = deviceCookie(false).read(ctx);
  return value ? value.split('.').slice(0, KEPT) : [];
}

/** Adds a device id just minted for an account this browser is now remembered for. */
export function addDeviceId(ctx: WithCookies, deviceId: string, { days, secure }: { days: number; secure: boolean }) {
  const ids = [deviceId, ...readDeviceIds(ctx).filter((kept) => kept !== deviceId)].slice(0, KEPT);
  deviceCookie(secure).write(ctx, ids.join('.'), { maxAgeSeconds: days * 86_400 });
}
