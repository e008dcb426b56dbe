import type { Context, Next } from 'koa';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { code, link, localTime, strong, timeText } from './markup.ts';
import { negotiateLocale } from './negotiate-locale.ts';
import { translatorFor, type Translator } from './translate.ts';

/** What every template can use to speak: the page's `lang`, `t`, `tHtml`, and the markup makers for `tHtml`'s values. */
export function templateLocalsOf(translator: Translator) {
  return { lang: translator.locale, t: translator.t, tHtml: translator.tHtml, strong, codeText: code, link, localTime, timeText };
}

/** The defaults of every render (koa-views options): English, for a page rendered before any language was chosen. */
export const englishTemplateLocals = templateLocalsOf(translatorFor(DEFAULT_LOCALE));

/** From here on the request's pages, errors included, speak `locale`. */
export function speakLanguage(ctx: Context, locale: Locale) {
  const translator = translatorFor(locale);
  ctx.state.translator = translator;
  Object.assign(ctx.state, templateLocalsOf(translator));
}

/** The language this request's pages speak (English until one is chosen). */
export function translatorOf(ctx: Pick<Context, 'state'>): Translator {
  return ctx.state.translator ?? translatorFor(DEFAULT_LOCALE);
}

/**
 * The pages that speak people's languages: the sign-in from /auth until back at the app, and the
 * device pages. The account page, sign-out and the rest are English for now (README "Languages"):
 * a page half in one language and half in another would be worse.
 */
const LOCALISED_PATHS = /^\/(?:auth|interaction|device|account)(?:\/|$)/;

/**
 * The localised pages: the browser's Accept-Language, until something knows better (a sign-in's
 * own language, interaction/read-interaction-records.ts). Parsing the header is all it costs.
 */
export async function speakBrowserLanguage(ctx: Context, next: Next) {
  if (LOCALISED_PATHS.test(ctx.path)) speakLanguage(ctx, negotiateLocale({ acceptLanguage: ctx.get('accept-language') }));
  return next();
}
