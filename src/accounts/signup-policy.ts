import { DEFAULT_LOCALE } from '../i18n/locales.ts';
import { translatorFor, type Translator } from '../i18n/translate.ts';
import { domainToUnicode } from 'node:url';
import { parseMailDomain, ruledMailDomain } from '../auth/email-address.ts';
import type { Config } from '../config/config-schema.ts';

export type SignupSettings = Pick<Config, 'signup' | 'signupDomains'>;

/**
 * Whether an address without an account gets one by proving its mailbox (SIGNUP, SIGNUP_DOMAINS).
 * It is never asked on the request path of the email form: the answer there is the same for
 * every address, and the mail worker decides whether anything is sent.
 */
export function maySignUp({ signup, signupDomains }: SignupSettings, email: string): boolean {
  if (signup !== 'open') return false;
  return signupDomains.length === 0 || atDomains(signupDomains, email);
}

/**
 * Whether an existing account may move from its address to another. With SIGNUP_DOMAINS, accounts
 * stay within the domains (a person leaving the organisation must not take the account to a
 * private mailbox); an account elsewhere (a guest the administrator added) may also move within
 * its own domain, which takes nothing out of the organisation that was not out already. Without
 * SIGNUP_DOMAINS any address will do, whatever SIGNUP says: closed sign-up is about new people.
 */
export function mayMoveAccountTo(settings: SignupSettings, { from, to }: { from: string; to: string }): boolean {
  if (settings.signupDomains.length === 0 || atDomains(settings.signupDomains, to)) return true;
  const own = ownDomainOutsideSignupDomains(settings, from);
  return own !== undefined && ruledMailDomain(to) === own;
}

/**
 * The domain of an account's address when SIGNUP_DOMAINS is set and does not list it (a guest's),
 * where the account may move as well; undefined otherwise, and for an address whose part before
 * the @ routes mail on, which is at no domain (auth/email-address.ts).
 */
export function ownDomainOutsideSignupDomains({ signupDomains }: SignupSettings, email: string): string | undefined {
  const own = ruledMailDomain(email);
  return signupDomains.length > 0 && own !== undefined && !signupDomains.includes(own) ? own : undefined;
}

/** "example.com", "example.com or example.org", "a.com, b.com or c.com": for sentences on pages. */
export function domainsInWords(domains: readonly string[], translator?: Pick<Translator, 't'>): string {
  // People read an internationalised domain as they write it, not in its stored ASCII form.
  const shown = domains.map((domain) => domainToUnicode(domain) || domain);
  if (shown.length <= 1) return shown[0] ?? '';
  return (translator ?? translatorFor(DEFAULT_LOCALE)).t('list.or', { first: shown.slice(0, -1).join(', '), last: shown.at(-1) });
}

/**
 * Reads SIGNUP_DOMAINS, comma-separated: each is normalised as addresses are (lower case, an
 * internationalised name in ASCII), so that comparing with an address's domain is exact. Throws
 * with the reason as its message.
 */
export function parseSignupDomains(raw: string | undefined): string[] {
  const entries = (raw ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const domains: string[] = [];
  for (const entry of entries) {
    // A leading "@" or "*." is a common way to write "this domain": say what is meant instead of guessing.
    if (entry.startsWith('@')) throw new Error(`lists domains without "@" (got "${entry}": write "${entry.slice(1)}")`);
    if (entry.startsWith('*.')) throw new Error(`lists exact domains; subdomains are not included, name each one (got "${entry}")`);
    const domain = parseMailDomain(entry);
    if (domain === undefined) throw new Error(`must be mail domains like example.com, comma-separated (got "${entry}")`);
    if (!domains.includes(domain)) domains.push(domain);
  }
  return domains;
}

const atDomains = (domains: readonly string[], email: string) => domains.includes(ruledMailDomain(email) ?? '');
