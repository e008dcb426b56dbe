import { expect, it } from '@jest/globals';
import { summariseUserAgent } from '../../src/auth/device-summary.ts';
import { translatorFor } from '../../src/i18n/translate.ts';
import { requestedFromIn } from '../../src/interaction/requested-from.ts';

const userAgents = [
  'Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1',
  'curl/8.5.0',
  'Mozilla/5.0 (PlayStation) Gecko',
  undefined,
];

it('in English the stored summary reads as it was written, for every shape device-summary.ts writes', () => {
  for (const userAgent of userAgents) {
    const summary = summariseUserAgent(userAgent);
    expect(requestedFromIn(summary, translatorFor('en'))).toBe(summary);
  }
});

it('in German and French the words around the names are the page\'s, and product names stay', () => {
  const de = translatorFor('de');
  const fr = translatorFor('fr');
  expect(requestedFromIn('Chrome on Linux', de)).toBe('Chrome unter Linux');
  expect(requestedFromIn('a browser on an unknown system', de)).toBe('einem Browser unter einem unbekannten System');
  expect(requestedFromIn('an unknown browser', fr)).toBe('un navigateur inconnu');
  expect(requestedFromIn('Safari on iOS', fr)).toBe('Safari sous iOS');
  // A summary of another shape (a record written by some other version) is shown as stored.
  expect(requestedFromIn('something else', de)).toBe('something else');
});
