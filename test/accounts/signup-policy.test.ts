import { describe, expect, it } from '@jest/globals';
import { domainsInWords, mayMoveAccountTo, maySignUp } from '../../src/accounts/signup-policy.ts';

describe('who may sign up', () => {
  it('open: any address; closed: none', () => {
    expect(maySignUp({ signup: 'open', signupDomains: [] }, 'anyone@anywhere.net')).toBe(true);
    expect(maySignUp({ signup: 'closed', signupDomains: [] }, 'anyone@example.com')).toBe(false);
  });

  it('open with domains: exactly those domains, not their subdomains nor look-alikes', () => {
    const settings = { signup: 'open', signupDomains: ['example.com'] } as const;
    expect(maySignUp(settings, 'a@example.com')).toBe(true);
    for (const email of ['a@sub.example.com', 'a@example.com.evil.net', 'a@notexample.com', 'example.com@evil.net']) expect(maySignUp(settings, email)).toBe(false);
  });

  it('does not count an address whose local part routes the mail elsewhere as at the domain (percent hack, bang path)', () => {
    const settings = { signup: 'open', signupDomains: ['example.com'] } as const;
    for (const email of ['someone%elsewhere.net@example.com', 'elsewhere.net!someone@example.com']) {
      expect(maySignUp(settings, email)).toBe(false);
      expect(mayMoveAccountTo(settings, email)).toBe(false);
    }
    // Without domains nothing is decided by them: such an address is any other address.
    expect(maySignUp({ signup: 'open', signupDomains: [] }, 'someone%elsewhere.net@example.com')).toBe(true);
  });

  it('moves accounts only within the domains when they are set, whatever SIGNUP says', () => {
    expect(mayMoveAccountTo({ signup: 'closed', signupDomains: [] }, 'a@anywhere.net')).toBe(true);
    expect(mayMoveAccountTo({ signup: 'open', signupDomains: ['example.com'] }, 'a@anywhere.net')).toBe(false);
    expect(mayMoveAccountTo({ signup: 'open', signupDomains: ['example.com'] }, 'a@example.com')).toBe(true);
  });

  it('names the domains in a sentence', () => {
    expect(domainsInWords([])).toBe('');
    expect(domainsInWords(['a.com'])).toBe('a.com');
    expect(domainsInWords(['a.com', 'b.com'])).toBe('a.com or b.com');
    expect(domainsInWords(['a.com', 'b.com', 'c.com'])).toBe('a.com, b.com or c.com');
    expect(domainsInWords(['xn--bcher-kva.example'])).toBe('bücher.example');
  });
});
