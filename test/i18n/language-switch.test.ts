import { describe, expect, it } from '@jest/globals';
import { ownPageOf } from '../../src/i18n/language-switch.ts';
import { SIGN_IN_LOCALE_PARAM, signInLocaleOf } from '../../src/i18n/sign-in-language.ts';
import { negotiateLocale } from '../../src/i18n/negotiate-locale.ts';

describe('where the language switch may go back to', () => {
  it.each(['/account', '/interaction/abc/check', '/account/email?problem=same', '/a%2F%2Fb'])('%s, a path of Sesame’s own', (back) => {
    expect(ownPageOf(back)).toBe(back);
  });

  it.each(['//evil.example', '///evil.example', '/.//evil.example', '/\\evil.example', 'https://evil.example/', 'evil.example', '', ' /account', '/acc\nount', '/acc\tount', `/${'a'.repeat(3000)}`, undefined, ['/account']])('%p: none', (back) => {
    expect(ownPageOf(back)).toBeUndefined();
  });
});

describe('the order of languages', () => {
  it('an app’s ui_locales, then the switch’s choice, then Accept-Language, then English', () => {
    expect(negotiateLocale({ uiLocales: 'fr', chosen: 'de', acceptLanguage: 'en' })).toBe('fr');
    expect(negotiateLocale({ uiLocales: 'ja', chosen: 'de', acceptLanguage: 'fr' })).toBe('de');
    expect(negotiateLocale({ acceptLanguage: 'fr' })).toBe('fr');
    expect(negotiateLocale({})).toBe('en');
  });

  it('a sign-in goes on in the language chosen since it began, unless its app asked for one', () => {
    const begun = { params: { [SIGN_IN_LOCALE_PARAM]: 'en' } };
    expect(signInLocaleOf(begun)).toBe('en');
    expect(signInLocaleOf(begun, { chosen: 'de' })).toBe('de');
    expect(signInLocaleOf({ params: { [SIGN_IN_LOCALE_PARAM]: 'fr', ui_locales: 'fr-CA en' } }, { chosen: 'de' })).toBe('fr');
    // One that began before languages were recorded: the browser's own language decides, as before.
    expect(signInLocaleOf({ params: {} }, { chosen: 'de' })).toBeUndefined();
  });
});
