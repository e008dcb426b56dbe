import { DEFAULT_LOCALE, isLocale, SUPPORTED_LOCALES, type Locale } from './locales.ts';

// RFC 5646 §2.1 in its loose form: letters, then subtags of letters and digits. Anything else is skipped.
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
// RFC 9110 §12.4.2: a weight is 0 to 1 with at most three decimals.
const WEIGHT = /^[qQ]=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
// A header is read only this far: it is a hint, never worth parsing at length.
const MAX_HEADER_CHARS = 1024;

/** The supported language a tag names: its primary subtag (`de-AT` → `de`), else undefined. */
function supportedLanguageOf(tag: string): Locale | undefined {
  if (!LANGUAGE_TAG.test(tag)) return undefined;
  const primary = tag.split('-', 1)[0]!.toLowerCase();
  return isLocale(primary) ? primary : undefined;
}

/**
 * The first supported language of an authorization request's `ui_locales` (OpenID Connect Core
 * §3.1.2.1: space-separated BCP 47 tags, in order of preference), else undefined.
 */
export function localeOfUiLocales(uiLocales: unknown): Locale | undefined {
  if (typeof uiLocales !== 'string') return undefined;
  for (const tag of uiLocales.slice(0, MAX_HEADER_CHARS).split(/\s+/)) {
    const locale = supportedLanguageOf(tag);
    if (locale) return locale;
  }
  return undefined;
}

/**
 * The supported language a browser's Accept-Language prefers most (RFC 9110 §12.5.4), else
 * undefined. Weights are honoured (`q=0` rules a language out), `*` stands for any language not
 * named, and entries that do not parse are skipped: a malformed header is never an error.
 */
export function localeOfAcceptLanguage(header: unknown): Locale | undefined {
  if (typeof header !== 'string') return undefined;
  const ranges: { tag: string; weight: number }[] = [];
  for (const entry of header.slice(0, MAX_HEADER_CHARS).split(',')) {
    const [rawTag = '', ...parameters] = entry.split(';').map((part) => part.trim());
    if (rawTag !== '*' && !LANGUAGE_TAG.test(rawTag)) continue;
    let weight = 1;
    let readable = true;
    for (const parameter of parameters) {
      const match = WEIGHT.exec(parameter);
      if (match) weight = Number(match[1]);
      else readable = false;
    }
    if (readable) ranges.push({ tag: rawTag, weight });
  }
  // Ruled out: a language named with q=0 by its primary tag alone ("de;q=0", not "de-CH;q=0").
  const refused = new Set(ranges.filter((r) => r.weight === 0 && !r.tag.includes('-')).map((r) => r.tag.toLowerCase()));
  const named = new Set(ranges.map((r) => r.tag.split('-', 1)[0]!.toLowerCase()));
  // Stable sort: equal weights keep the header's order.
  for (const { tag, weight } of ranges.filter((r) => r.weight > 0).sort((a, b) => b.weight - a.weight)) {
    if (tag === '*') {
      const any = SUPPORTED_LOCALES.find((locale) => !named.has(locale) && !refused.has(locale));
      if (any) return any;
      continue;
    }
    const locale = supportedLanguageOf(tag);
    if (locale && !refused.has(locale)) return locale;
  }
  return undefined;
}

/**
 * The language of a page or a sign-in: the app's `ui_locales`, else the language chosen with the
 * switch in the footer (`chosen`, i18n/language-cookie.ts), else the browser's Accept-Language,
 * else English.
 */
export function negotiateLocale({ uiLocales, chosen, acceptLanguage }: { uiLocales?: unknown; chosen?: Locale; acceptLanguage?: unknown }): Locale {
  return localeOfUiLocales(uiLocales) ?? chosen ?? localeOfAcceptLanguage(acceptLanguage) ?? DEFAULT_LOCALE;
}
