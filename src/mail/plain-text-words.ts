import type { Translator } from '../i18n/translate.ts';

/** A mail's words for its plain-text part: straight apostrophes, as plain-text mail has always been written here ("Didn't"). */
export function plainTextWords(t: Translator['t']): Translator['t'] {
  return (key, params) => t(key, params).replaceAll('’', "'");
}
