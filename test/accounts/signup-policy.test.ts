import { describe, expect, it } from '@jest/globals';
import { domainsInWords, mayMoveAccountTo, maySignUp, ownDomainOutsideSignupDomains } from '../../src/accounts/signup-policy.ts';

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
      expect(mayMoveAccountTo(settings, { from: 'a@example.com', to: email })).toBe(false);
    }
    // Without domains nothing is decided by them: such an address is any other address.
    expect(maySignUp({ signup: 'open', signupDomains: [] }, 'someone%elsewhere.net@example.com')).toBe(true);
  });

  it('moves accounts only within the domains when they are set, whatever SIGNUP says', () => {
    expect(mayMoveAccountTo({ signup: 'closed', signupDomains: [] }, { from: 'a@example.com', to: 'a@anywhere.net' })).toBe(true);
    expect(mayMoveAccountTo({ signup: 'open', signupDomains: ['example.com'] }, { from: 'a@example.com', to: 'a@anywhere.net' })).toBe(false);
    expect(mayMoveAccountTo({ signup: 'open', signupDomains: ['example.com'] }, { from: 'a@example.com', to: 'b@example.com' })).toBe(true);
  });

  it('lets an account at another domain (an invited guest) move within its own domain too, and into the listed ones, but nowhere else', () => {
    const settings = { signup: 'open', signupDomains: ['example.com'] } as const;
    const guest = 'guest@contractor.net';
    expect(ownDomainOutsideSignupDomains(settings, guest)).toBe('contractor.net');
    expect(mayMoveAccountTo(settings, { from: guest, to: 'guest.renamed@contractor.net' })).toBe(true);
    expect(mayMoveAccountTo(settings, { from: guest, to: 'guest@example.com' })).toBe(true);
    for (const to of ['guest@private.net', 'guest@sub.contractor.net', 'guest%private.net@contractor.net']) expect(mayMoveAccountTo(settings, { from: guest, to })).toBe(false);
    // An organisation's account has no other domain of its own: it stays at the listed ones.
    expect(ownDomainOutsideSignupDomains(settings, 'staff@example.com')).toBeUndefined();
    // An address that routes mail on is at no domain, so its account gains none.
    expect(ownDomainOutsideSignupDomains(settings, 'someone%private.net@contractor.net')).toBeUndefined();
    expect(mayMoveAccountTo(settings, { from: 'someone%private.net@contractor.net', to: 'someone@contractor.net' })).toBe(false);
    // Without domains there is no rule, and no domain of one's own to speak of.
    expect(ownDomainOutsideSignupDomains({ signup: 'open', signupDomains: [] }, guest)).toBeUndefined();
  });

  it('names the domains in a sentence', () => {
    expect(domainsInWords([])).toBe('');
    expect(domainsInWords(['a.com'])).toBe('a.com');
    expect(domainsInWords(['a.com', 'b.com'])).toBe('a.com or b.com');
    expect(domainsInWords(['a.com', 'b.com', 'c.com'])).toBe('a.com, b.com or c.com');
    expect(domainsInWords(['xn--bcher-kva.example'])).toBe('bücher.example');
  });
});
