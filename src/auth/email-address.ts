import type { MessageKey } from '../i18n/catalogue.ts';
import { inEnglish } from '../i18n/translate.ts';
import { domainToASCII } from 'node:url';

/** `problem` is the English of `problemKey` (i18n/messages-en.ts), for pages that speak only English. */
export type EmailParse = { ok: true; email: string } | { ok: false; problem: string; problemKey: EmailProblemKey };
type EmailProblemKey = Extract<MessageKey, `email.problem.${string}`>;
const problem = (problemKey: EmailProblemKey): EmailParse => ({ ok: false, problem: inEnglish({ key: problemKey }), problemKey });

// RFC 5321 limits: 64 octets local part, 254 for the whole path.
const MAX_LOCAL = 64;
const MAX_TOTAL = 254;
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Validates and normalises an address typed by a person: trims it, lower-cases it (one account per
 * mailbox in practice, whatever RFC 5321 allows), converts an internationalised domain to its
 * ASCII form, and rejects anything that could inject mail headers (control characters, commas,
 * angle brackets) or that no mail server would accept.
 */
export function parseEmailAddress(input: unknown): EmailParse {
  if (typeof input !== 'string') return problem('email.problem.empty');
  const trimmed = input.normalize('NFC').trim();
  if (trimmed === '') return problem('email.problem.empty');
  if (trimmed.length > MAX_TOTAL * 2) return problem('email.problem.tooLong');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s,;<>()[\]\\"]/.test(trimmed)) return problem('email.problem.symbols');
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1 || trimmed.indexOf('@') !== at) {
    return problem('email.problem.shape');
  }
  const local = trimmed.slice(0, at).toLowerCase();
  const domainInput = trimmed.slice(at + 1);
  if (local.length > MAX_LOCAL || !DOT_ATOM.test(local)) {
    return problem('email.problem.mailbox');
  }
  const domain = parseMailDomain(domainInput);
  if (domain === undefined) return problem('email.problem.domain');
  const email = `${local}@${domain}`;
  if (email.length > MAX_TOTAL) return problem('email.problem.tooLong');
  return { ok: true, email };
}

/**
 * A mail domain as addresses carry it after parseEmailAddress: lower case, an internationalised
 * name in its ASCII form, no trailing dot; undefined when no mail server would accept it.
 */
export function parseMailDomain(input: string): string | undefined {
  const domain = domainToASCII(input.toLowerCase().replace(/\.$/, ''));
  const labels = domain.split('.');
  if (domain === '' || labels.length < 2 || !labels.every((label) => LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) return undefined;
  return domain;
}

/**
 * The domain a rule about domains may hold a normalised address to (SIGNUP_DOMAINS, an app's
 * allowed_email_domains); undefined when its local part names another destination: the "%" hack
 * ("someone%elsewhere.net@example.com", RFC 1123 §5.2.16) or a UUCP bang path
 * ("elsewhere.net!someone@example.com"). Relays still follow both for the domains they serve
 * (Postfix's allow_percent_hack and swap_bangpath are on by default, and Sesame's relay is often
 * the organisation's own), so proving such a mailbox may prove one somewhere else entirely.
 */
export function ruledMailDomain(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  return /[%!]/.test(email.slice(0, at)) ? undefined : email.slice(at + 1);
}
