import { catalogues, type MessageKey } from './catalogues.ts';
import type { Message } from './message.ts';
import { DEFAULT_LOCALE, type Locale } from './locales.ts';
import { escapeHtml, Markup } from './markup.ts';

/** A placeholder's value. `count` also chooses a plural form (see message.ts). Markup only reaches pages through `tHtml`. */
export type MessageParams = Readonly<Record<string, string | number | Markup | undefined>>;

/** A text not yet in words: its key and its values. Errors carry these, and are put in words for the reader at the top. */
export interface MessageRef {
  key: MessageKey;
  params?: MessageParams;
}

export interface Translator {
  locale: Locale;
  /** The message as plain text, for templates to escape (`<%= t(...) %>`) and for mail headers. */
  t(key: MessageKey, params?: MessageParams): string;
  /**
   * The message as HTML, for `<%- tHtml(...) %>`: the catalogue's words and every plain value are
   * escaped here, and only values made by markup.ts (`strong(email)`) are put in as markup. So a
   * sentence that wraps a word in <strong> keeps its word order in every language, while no
   * catalogue string and no value can add HTML of its own.
   */
  tHtml(key: MessageKey, params?: MessageParams): string;
  /** Several messages as one paragraph: an error's sentences (http/errors.ts). */
  say(parts: readonly MessageRef[]): string;
}

const PLACEHOLDER = /\{(\w+)\}/g;
const pluralRules = new Map<Locale, Intl.PluralRules>();
const translators = new Map<Locale, Translator>();

function pluralRulesOf(locale: Locale): Intl.PluralRules {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules;
}

/** The catalogue's text of `key` in `locale`, its plural form chosen by `params.count`. */
function textOf(locale: Locale, key: MessageKey, params: MessageParams | undefined): string {
  const message: Message = catalogues[locale][key] ?? catalogues[DEFAULT_LOCALE][key];
  if (typeof message === 'string') return message;
  const count = typeof params?.count === 'number' ? params.count : Number.NaN;
  const form = Number.isNaN(count) ? 'other' : pluralRulesOf(locale).select(count);
  return message[form] ?? message.other;
}

function fill(text: string, params: MessageParams | undefined, asHtml: boolean): string {
  // Words between the placeholders are escaped too when HTML is asked for: a catalogue string is text.
  let out = '';
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const words = text.slice(last, match.index);
    out += asHtml ? escapeHtml(words) : words;
    const value = params?.[match[1]!];
    if (value === undefined) out += asHtml ? escapeHtml(match[0]) : match[0];
    else if (value instanceof Markup) out += asHtml ? value.html : value.text;
    else out += asHtml ? escapeHtml(String(value)) : String(value);
    last = match.index + match[0].length;
  }
  const rest = text.slice(last);
  return out + (asHtml ? escapeHtml(rest) : rest);
}

/** The translator of `locale`, made once: the catalogues are plain objects loaded with the module. */
export function translatorFor(locale: Locale): Translator {
  let translator = translators.get(locale);
  if (translator) return translator;
  const t = (key: MessageKey, params?: MessageParams) => fill(textOf(locale, key, params), params, false);
  translator = {
    locale,
    t,
    tHtml: (key, params) => fill(textOf(locale, key, params), params, true),
    say: (parts) => parts.map((part) => t(part.key, part.params)).join(' '),
  };
  translators.set(locale, translator);
  return translator;
}

/** The English words of a message: logs, JSON errors, and the English pages as they always read. */
export function inEnglish(parts: MessageRef | readonly MessageRef[]): string {
  return translatorFor(DEFAULT_LOCALE).say(Array.isArray(parts) ? parts : [parts as MessageRef]);
}
