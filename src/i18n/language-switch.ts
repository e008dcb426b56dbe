import type { Context, Next } from 'koa';
import { NotFound } from '../http/errors.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { writeChosenLocale } from './language-cookie.ts';
import { isLocale, LANGUAGE_NAMES, SUPPORTED_LOCALES, type Locale } from './locales.ts';

/** The switch's address: `/language/de?back=/interaction/abc`. */
const SWITCH_PATH = /^\/language\/([^/]+)$/;
/** Where a switch leads when it names no page of Sesame's own to go back to. */
const FALLBACK_PAGE = '/account';
/** An address kept in a link is bounded; a longer one goes to FALLBACK_PAGE. */
const MAX_BACK_CHARS = 2048;
const ORIGIN = 'http://sesame.invalid';

/**
 * `back` as a path and query of Sesame's own, else undefined: never another origin
 * (`//evil.example`, `/\evil.example`, `https://…`), so the switch cannot be an open redirect.
 * Parsed as the browser would resolve it against Sesame's address, then only its path and query kept.
 */
export function ownPageOf(back: unknown): string | undefined {
  if (typeof back !== 'string' || back.length > MAX_BACK_CHARS || !back.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(back)) return undefined;
  const url = URL.parse(back, ORIGIN);
  if (!url || url.origin !== ORIGIN || url.pathname.startsWith('//')) return undefined;
  return url.pathname + url.search;
}

/**
 * The query parameters a page needs to be shown again, and the shape each may have: the link's
 * token (its page shows nothing without it), and the key of a form's outcome (http/outcome-query.ts).
 * Anything else in the address is left behind, so that no word a link's maker put there (`next=`)
 * travels on in the switch's links.
 */
const KEPT_PARAMETERS: Readonly<Record<string, RegExp>> = { t: /^[A-Za-z0-9_-]{1,128}$/, problem: /^[a-z-]{1,40}$/, done: /^[a-z-]{1,40}$/ };

/**
 * The page the switch sends the browser back to, shown again in the chosen language. A page shown
 * in answer to a form (a POST) is not fetched again: a sign-in's page goes to its current step,
 * any other to its own address, where each of Sesame's forms has a page.
 */
function backAddressOf(ctx: Context): string {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    const signIn = /^\/interaction\/[^/]+/.exec(ctx.path);
    return signIn ? signIn[0] : ctx.path;
  }
  const kept = new URLSearchParams();
  for (const [name, shape] of Object.entries(KEPT_PARAMETERS)) {
    const value = ctx.query[name];
    if (typeof value === 'string' && shape.test(value)) kept.set(name, value);
  }
  const query = kept.toString();
  return query === '' ? ctx.path : `${ctx.path}?${query}`;
}

export interface LanguageLink {
  locale: Locale;
  name: string;
  href: string;
  current: boolean;
}

/** The footer's links, one per language, each back to this page (views/partials/foot.ejs). */
export function languageLinksOf(ctx: Context, current: Locale): LanguageLink[] {
  const back = ownPageOf(backAddressOf(ctx)) ?? FALLBACK_PAGE;
  return SUPPORTED_LOCALES.map((locale) => ({ locale, name: LANGUAGE_NAMES[locale], href: `/language/${locale}?${new URLSearchParams({ back })}`, current: locale === current }));
}

/**
 * GET /language/:locale?back=… — the language switch: remembers the choice in the `lang` cookie
 * (i18n/language-cookie.ts) and goes back to the page it was pressed on, which then speaks it. A
 * GET from a link, which needs no script and no form: it changes nothing but how pages read in
 * this browser, so a link on another site that sets it (SameSite=Lax lets a top-level GET carry
 * it) can do no more than the person's own click. It outranks the browser's Accept-Language, and
 * a sign-in's own language unless the app asked for one (ui_locales).
 */
export function createLanguageSwitch({ issuer }: { issuer: string }) {
  const secure = cookiesAreSecure(issuer);
  return async function switchLanguage(ctx: Context, next: Next) {
    const match = SWITCH_PATH.exec(ctx.path);
    if (!match) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const locale = match[1];
    if (!isLocale(locale)) throw new NotFound();
    writeChosenLocale(ctx, locale, { secure });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 303;
    ctx.redirect(ownPageOf(ctx.query.back) ?? FALLBACK_PAGE);
  };
}
