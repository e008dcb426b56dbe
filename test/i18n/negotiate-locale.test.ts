import { describe, expect, it } from '@jest/globals';
import { localeOfAcceptLanguage, localeOfUiLocales, negotiateLocale } from '../../src/i18n/negotiate-locale.ts';

describe('ui_locales (OpenID Connect Core §3.1.2.1)', () => {
  it.each([
    ['de', 'de'],
    ['fr-CA de', 'fr'],
    ['ja de-AT fr', 'de'],
    ['DE-at', 'de'],
    ['  ja   fr  ', 'fr'],
    ['en-GB', 'en'],
  ])('%j → %s: the first supported tag, by its language', (uiLocales, expected) => {
    expect(localeOfUiLocales(uiLocales)).toBe(expected);
  });

  it.each([[''], ['ja zh-Hant'], ['de_DE'], ['*'], [undefined], [42], ['x'.repeat(5000)]])('%j: none supported or not a list of tags → undefined', (uiLocales) => {
    expect(localeOfUiLocales(uiLocales)).toBeUndefined();
  });
});

describe('Accept-Language (RFC 9110 §12.5.4)', () => {
  it.each([
    ['fr', 'fr'],
    ['de-AT,de;q=0.9,en;q=0.8', 'de'],
    ['en;q=0.5, fr;q=0.9', 'fr'],
    ['ja, fr;q=0.3, de;q=0.2', 'fr'],
    ['fr;q=0.8, de;q=0.8', 'fr'],
    ['de;q=1.000, fr', 'de'],
    ['ja, *;q=0.1', 'en'],
    ['*', 'en'],
    ['en;q=0, *', 'de'],
    ['de-CH;q=0, de', 'de'],
    ['zh, de;q=banana, fr;q=0.2', 'fr'],
    ['de;level=1, fr', 'fr'],
    ['@@@, de', 'de'],
  ])('%j → %s', (header, expected) => {
    expect(localeOfAcceptLanguage(header)).toBe(expected);
  });

  it.each([[''], ['ja'], ['de;q=0'], [',,,;;;='], ['de;q=2'], ['de;q=-1'], ['\u0000de'], [undefined], [['de']], ['fr;q=0, fr-CA']])('%j: nothing supported, or nothing readable → undefined, never an error', (header) => {
    expect(localeOfAcceptLanguage(header)).toBeUndefined();
  });

  it('reads a huge header only so far, and does not choke on it', () => {
    const header = `${'xx;q=0.1,'.repeat(100_000)}de`;
    const started = performance.now();
    expect(localeOfAcceptLanguage(header)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('the sign-in\'s language', () => {
  it('ui_locales wins over Accept-Language; else Accept-Language; else English', () => {
    expect(negotiateLocale({ uiLocales: 'de', acceptLanguage: 'fr' })).toBe('de');
    expect(negotiateLocale({ uiLocales: 'ja', acceptLanguage: 'fr' })).toBe('fr');
    expect(negotiateLocale({ acceptLanguage: 'fr-BE' })).toBe('fr');
    expect(negotiateLocale({ uiLocales: 'ja', acceptLanguage: 'ja' })).toBe('en');
    expect(negotiateLocale({})).toBe('en');
  });
});
