import type { en } from './messages-en.ts';
import type { Message } from './message.ts';

/** A key of the catalogues: every text English has. */
export type MessageKey = keyof typeof en;

/**
 * What a language's catalogue must be: every key of English, and no other (an object literal's
 * extra key fails to compile). Placeholders are checked by test/i18n/catalogues.test.ts.
 */
export type Catalogue = { readonly [K in MessageKey]: Message };
