import type { Context, Next } from 'koa';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { code, link, localTime, strong, timeText } from './markup.ts';
import { chosenLocaleOf } from './language-cookie.ts';
import { languageLinksOf } from './language-switch.ts';
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
  // The footer's switch (views/partials/foot.ejs), made only when a page is rendered.
  Object.defineProperty(ctx.state, 'languageLinks', { get: () => languageLinksOf(ctx, locale), enumerable: true, configurable: true });
}

/** The language this request's pages speak (English until one is chosen). */
export function translatorOf(ctx: Pick<Context, 'state'>): Translator {
  return ctx.state.translator ?? translatorFor(DEFAULT_LOCALE);
}

/** The development pages (the demo app, the dev outbox): English only, as they are for the people who build with Sesame. */
const DEVELOPMENT_PAGES = /^\/(?:demo|dev)(?:\/|$)/;

/**
 * Every page speaks the language this browser chose with the footer's switch, else its
 * Accept-Language, until something knows better (a sign-in's own language,
 * interaction/read-interaction-records.ts; an app's `ui_locales` on its failed request). Reading
 * a cookie and parsing a header is all it costs. JSON errors stay English (http/error-handler.ts).
 */
export async function speakBrowserLanguage(ctx: Context, next: Next) {
  if (DEVELOPMENT_PAGES.test(ctx.path)) {
    // English, said as such, with no switch that could not change them.
    speakLanguage(ctx, DEFAULT_LOCALE);
    Object.defineProperty(ctx.state, 'languageLinks', { value: undefined, enumerable: true, configurable: true });
  } else {
    speakLanguage(ctx, negotiateLocale({ chosen: chosenLocaleOf(ctx), acceptLanguage: ctx.get('accept-language') }));
  }
  return next();
}
