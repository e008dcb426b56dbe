import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseEmailAddress } from '../../src/auth/email-address.ts';

const accepted = (input: string) => {
  const parsed = parseEmailAddress(input);
  return parsed.ok ? parsed.email : undefined;
};

describe('email addresses are validated and normalised', () => {
  it('folds case and surrounding whitespace, so one mailbox is one address (and one rate-limit and lockout subject)', () => {
    expect(accepted('  Ada.Lovelace@Example.COM\t')).toBe('ada.lovelace@example.com');
    expect(accepted('ada.lovelace@example.com.')).toBe('ada.lovelace@example.com');
  });

  it('stores internationalised domains in their ASCII form, whichever way they were typed', () => {
    expect(accepted('jürgen@bücher.example')).toBeUndefined(); // the local part must be ASCII
    expect(accepted('j@BÜCHER.example')).toBe('j@xn--bcher-kva.example');
    expect(accepted('j@xn--bcher-kva.example')).toBe('j@xn--bcher-kva.example');
    expect(accepted('j@bu\u0308cher.example')).toBe('j@xn--bcher-kva.example'); // decomposed ü, NFC first
  });

  it('enforces the RFC 5321 limits: 64 octets before the @, 254 in all', () => {
    expect(accepted(`${'a'.repeat(64)}@example.com`)).toBeDefined();
    expect(accepted(`${'a'.repeat(65)}@example.com`)).toBeUndefined();
    const label = 'b'.repeat(63);
    const domain = `${label}.${label}.${label}.${'c'.repeat(50)}.com`;
    expect(accepted(`a@${domain}`)!.length).toBeLessThanOrEqual(254);
    expect(accepted(`${'a'.repeat(64)}@${domain}`)).toBeUndefined();
    expect(accepted(`a@${'b'.repeat(64)}.com`)).toBeUndefined();
    expect(accepted('x'.repeat(100_000))).toBeUndefined();
  });

  it.each([
    ['a line break (header injection)', 'a@example.com\r\nBcc: b@example.com'],
    ['a NUL', 'a\u0000@example.com'],
    ['a second address', 'a@example.com, b@example.com'],
    ['a display name', 'A <a@example.com>'],
    ['a quoted local part', '"a b"@example.com'],
    ['a comment', 'a(comment)@example.com'],
    ['an IP literal', 'a@[127.0.0.1]'],
    ['a numeric top-level domain', 'a@10.0.0.1'],
    ['no domain dot', 'a@localhost'],
    ['two @', 'a@b@example.com'],
    ['a leading dot', '.a@example.com'],
    ['a bidi override', 'a\u202e@example.com'],
  ])('refuses %s', (_label, input) => {
    expect(accepted(input)).toBeUndefined();
  });

  it('never lets control characters, commas or angle brackets through, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (input) => {
        const email = accepted(input);
        return email === undefined || (!/[\u0000-\u001f\u007f\s,;<>()"\\[\]]/.test(email) && email.length <= 254 && email === email.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });
});
