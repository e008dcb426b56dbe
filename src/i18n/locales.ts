/**
 * The languages Sesame speaks, as BCP 47 primary language subtags. English is the source of every
 * text and the default. Adding one: a catalogue file (messages-en.ts is the model), its entry in
 * catalogues.ts, its tag here, and its name in LANGUAGE_NAMES below.
 */
export const SUPPORTED_LOCALES = ['en', 'de', 'fr'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

export function isLocale(value: unknown): value is Locale {
  return (SUPPORTED_LOCALES as readonly unknown[]).includes(value);
}

/** Each language's name in itself (an endonym), as the language switch shows it to someone who reads only that one. */
export const LANGUAGE_NAMES: Readonly<Record<Locale, string>> = { en: 'English', de: 'Deutsch', fr: 'Français' };
