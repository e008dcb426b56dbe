import { expect, it } from '@jest/globals';
import { displayTypedUserCode, displayUserCode, isWellFormedUserCode, normaliseUserCode, USER_CODE_CHARSET, USER_CODE_MASK } from '../../src/device-flow/user-codes.ts';

// The store adapter looks up only well-formed codes: every code oidc-provider makes with Sesame's
// settings must be one, or people could not sign their devices in at all.
const USER_CODES_MODULE = 'oidc-provider/lib/helpers/user_codes.js';
const library = (await import(USER_CODES_MODULE)) as { generate(charset: string, mask: string): string; normalize(input: string): string };

it('every code the library makes with Sesame\'s charset and mask is well formed, and reads back as shown', () => {
  for (let i = 0; i < 2000; i++) {
    const shown = library.generate(USER_CODE_CHARSET, USER_CODE_MASK);
    expect(shown).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const stored = library.normalize(shown);
    expect(isWellFormedUserCode(stored)).toBe(true);
    expect(displayUserCode(stored)).toBe(shown);
  }
});

it('reads what a person types as the library does: any case, spaces and dashes ignored', () => {
  for (const typed of ['bcdf-ghjk', ' BCDF GHJK ', 'bcdfghjk', 'Bc-Df-Gh-Jk', 'bcdf\tghjk']) {
    expect(normaliseUserCode(typed)).toBe('BCDFGHJK');
    expect(normaliseUserCode(typed)).toBe(library.normalize(typed));
  }
  // Vowels, digits and the wrong length are never issued.
  for (const typed of ['ABCD-EFGH', 'BCDF-GHJ1', 'BCDF-GHJ', 'BCDF-GHJKL', '', '<BCDF-GHJK>x']) expect(isWellFormedUserCode(normaliseUserCode(typed))).toBe(false);
});

it('shows a code typed wrong in the device\'s groups of four, whatever its length', () => {
  expect([displayTypedUserCode('BCDFGHJK'), displayUserCode('BCDFGHJK')]).toEqual(['BCDF-GHJK', 'BCDF-GHJK']);
  expect(['', 'BC', 'BCDF', 'BCDFG', 'BCDFGHJKL'].map(displayTypedUserCode)).toEqual(['', 'BC', 'BCDF', 'BCDF-G', 'BCDF-GHJK-L']);
});
