import { expect, it } from '@jest/globals';
import { strong } from '../../src/i18n/markup.ts';
import { inEnglish, translatorFor } from '../../src/i18n/translate.ts';

it('chooses the plural form by count, with each language\'s rules (French 0 and 1 are singular)', () => {
  expect(translatorFor('en').t('check.error.triesLeft', { count: 1 })).toBe('1 try left.');
  expect(translatorFor('en').t('check.error.triesLeft', { count: 0 })).toBe('0 tries left.');
  expect(translatorFor('de').t('check.error.triesLeft', { count: 2 })).toBe('Noch 2 Versuche.');
  expect(translatorFor('fr').t('check.error.triesLeft', { count: 0 })).toBe('Il vous reste 0 essai.');
  expect(translatorFor('fr').t('check.error.triesLeft', { count: 2 })).toBe('Il vous reste 2 essais.');
});

it('tHtml escapes the words and every plain value; only markup the template made goes in as markup', () => {
  const { tHtml, t } = translatorFor('en');
  const html = tHtml('link.other.request', { clientName: '<script>x</script>', email: strong('a"b@example.com'), device: strong('<img src=x>') });
  expect(html).toBe('Someone asked to sign in to &lt;script&gt;x&lt;/script&gt; as <strong>a&#34;b@example.com</strong> from <strong>&lt;img src=x&gt;</strong>. Only continue if that was you, just now.');
  // t() is text, for templates to escape: markup values give their text.
  expect(t('approved.body', { email: strong('a@b.c') })).toBe('Go back to your other device: it continues as a@b.c by itself.');
});

it('a placeholder left unfilled stays visible rather than vanishing, and several messages make one paragraph', () => {
  expect(translatorFor('de').t('consent.heading')).toBe('{clientName} möchte wissen, wer Sie sind');
  expect(inEnglish([{ key: 'error.ended.expired' }, { key: 'error.ended.goBack' }])).toBe('This sign-in has expired or was already completed. Go back to the app and start again.');
});
