import type Cookies from 'cookies';
import { signedCookie } from './signed-cookie.ts';

/**
 * The remembered-browser cookie: a random device id, sent to every path (the policy check on /auth
 * reads it too, for sessions that already exist). Not host-only: a planted one proves nothing,
 * since the device must also be on record for the account signing in (auth/remembered-devices.ts),
 * and a new name would make every remembered browser ask for its authenticator once more.
 */
const deviceCookie = (secure: boolean) => signedCookie({ name: 'sesame_device', path: '/', secure });

// The interaction routes and oidc-provider's policy checks both read it, from Koa contexts.
interface WithCookies {
  cookies: Cookies;
}

export function readDeviceCookie(ctx: WithCookies): string | undefined {
  // Reading needs no attributes: the name is the same either way.
  return deviceCookie(false).read(ctx);
}

export function writeDeviceCookie(ctx: WithCookies, deviceId: string, { days, secure }: { days: number; secure: boolean }) {
  deviceCookie(secure).write(ctx, deviceId, { maxAgeSeconds: days * 86_400 });
}
