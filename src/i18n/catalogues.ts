import type { Catalogue } from './catalogue.ts';
import { de } from './messages-de.ts';
import { en } from './messages-en.ts';
import { fr } from './messages-fr.ts';
import type { Locale } from './locales.ts';

export type { MessageKey } from './catalogue.ts';

/** Every language's catalogue, by its tag: plain objects, loaded once with this module. */
export const catalogues: Readonly<Record<Locale, Catalogue>> = { en, de, fr };
