import type Cookies from 'cookies';
import { isLocale, type Locale } from './locales.ts';

/** The language the person chose with the switch in every page's footer (i18n/language-switch.ts). */
export const LANGUAGE_COOKIE = 'lang';
/** A preference, kept as long as browsers let a cookie live (400 days, RFC 6265bis). */
const KEPT_SECONDS = 400 * 24 * 60 * 60;

/**
 * The chosen language, if the cookie names a supported one. Unsigned: it is a display preference
 * that anyone at the browser may set, and a value that is not a language is ignored.
 */
export function chosenLocaleOf(ctx: { cookies: Cookies }): Locale | undefined {
  const value = ctx.cookies.get(LANGUAGE_COOKIE, { signed: false });
  return isLocale(value) ? value : undefined;
}

/** SameSite=Lax, Secure on an https issuer, every path; HttpOnly, as no script reads it. */
export function writeChosenLocale(ctx: { cookies: Cookies }, locale: Locale, { secure }: { secure: boolean }) {
  ctx.cookies.set(LANGUAGE_COOKIE, locale, { signed: false, httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: KEPT_SECONDS * 1000, overwrite: true });
}
