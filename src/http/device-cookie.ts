import type Cookies from 'cookies';

/** The remembered-browser cookie: a random device id, signed with COOKIE_KEYS, sent to every path. */
export const DEVICE_COOKIE = 'sesame_device';

// The interaction routes and oidc-provider's policy checks both read it, from Koa contexts.
interface WithCookies {
  cookies: Cookies;
}

export function readDeviceCookie(ctx: WithCookies): string | undefined {
  return ctx.cookies.get(DEVICE_COOKIE, { signed: true }) || undefined;
}

export function writeDeviceCookie(ctx: WithCookies, deviceId: string, { days, secure }: { days: number; secure: boolean }) {
  // Path '/': the policy check on /auth reads it too, for sessions that already exist.
  ctx.cookies.set(DEVICE_COOKIE, deviceId, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: days * 86_400_000, overwrite: true });
}
