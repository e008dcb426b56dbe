import { describe, expect, it } from '@jest/globals';
import { catalogues } from '../../src/i18n/catalogues.ts';
import { SUPPORTED_LOCALES } from '../../src/i18n/locales.ts';
import type { Message } from '../../src/i18n/message.ts';
import { en } from '../../src/i18n/messages-en.ts';

// Every language says everything English says, with the same values filled in: a missing key would
// show English in the middle of a page, a lost placeholder would drop the app's name or the address,
// a made-up one would show "{name}" to the reader. Adding a language: copy messages-en.ts, and this
// test lists what is still missing or wrong.

const placeholdersOf = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const formsOf = (message: Message): string[] => (typeof message === 'string' ? [message] : Object.values(message).filter((form): form is string => typeof form === 'string'));
/** The placeholders a message uses, over all its forms (a plural form may leave `{count}` out: "one minute"). */
const placeholderSetOf = (message: Message) => [...new Set(formsOf(message).flatMap(placeholdersOf))].sort();

const others = SUPPORTED_LOCALES.filter((locale) => locale !== 'en');

describe.each(others)('the %s catalogue', (locale) => {
  const catalogue = catalogues[locale] as Record<string, Message>;

  it('has every key of English and no other', () => {
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(en).sort());
  });

  it('fills in the same placeholders as English, in each message', () => {
    const mismatched = Object.entries(en as Record<string, Message>)
      .filter(([key, english]) => key in catalogue && JSON.stringify(placeholderSetOf(catalogue[key]!)) !== JSON.stringify(placeholderSetOf(english)))
      .map(([key, english]) => `${key}: ${placeholderSetOf(catalogue[key]!).join(',')} (English: ${placeholderSetOf(english).join(',')})`);
    expect(mismatched).toEqual([]);
  });

  it('has plural forms where English has them, each form its language uses, and no text left empty', () => {
    const rules = new Intl.PluralRules(locale);
    // The forms whole numbers up to a thousand take (minutes, tries, days); French "many" is for millions.
    const categories = new Set(Array.from({ length: 1001 }, (_, n) => rules.select(n)));
    const problems: string[] = [];
    for (const [key, english] of Object.entries(en as Record<string, Message>)) {
      const message = catalogue[key];
      if (message === undefined) continue;
      if (typeof english !== typeof message) problems.push(`${key}: ${typeof english === 'string' ? 'a plural where English has a text' : 'a text where English has plural forms'}`);
      if (typeof message !== 'string') {
        for (const category of categories) if (message[category] === undefined) problems.push(`${key}: no "${category}" form`);
      }
      if (formsOf(message).some((form) => form.trim() === '')) problems.push(`${key}: empty`);
    }
    expect(problems).toEqual([]);
  });
});

it('English has its own plural forms complete, and a catalogue string is text, never markup', () => {
  for (const locale of SUPPORTED_LOCALES) {
    for (const [key, message] of Object.entries(catalogues[locale] as Record<string, Message>)) {
      // Markup comes from the template (i18n/markup.ts), around values it escaped itself.
      for (const form of formsOf(message)) expect([key, /<\/?[a-z][^>]*>/i.test(form)]).toEqual([key, false]);
      if (typeof message !== 'string') expect([key, message.other !== undefined]).toEqual([key, true]);
    }
  }
});
