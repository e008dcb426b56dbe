/**
 * Where people reach the operator (SUPPORT_CONTACT), parsed once at start-up so that pages and mail
 * only ever print these three fields and never build a link themselves.
 */
export interface SupportContact {
  /** The link: `mailto:` an address, or an http(s) URL. */
  href: string;
  /** What a page shows: the address, or the URL's host and path. */
  label: string;
  /** What a plain-text mail shows: the address, or the whole URL (mail clients make it a link). */
  plainText: string;
}

export const SUPPORT_CONTACT_MAX_LENGTH = 200;
// The hosts ISSUER may use http:// with (config-schema.ts isLoopback), repeated here because
// config-schema.ts imports this file.
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

// A plain address: the characters support addresses use, none that mean something in a mailto:
// URL (?, #, %, &) or in HTML. Not RFC 5322's every form, which an operator has no need of here.
const ADDRESS = /^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/**
 * Reads SUPPORT_CONTACT: an email address (or `mailto:` one) or an https:// URL (http:// only on
 * localhost, as for ISSUER). Anything else (javascript:, data:, a relative URL) throws, with the
 * reason as its message.
 */
export function parseSupportContact(raw: string): SupportContact {
  if (raw.length > SUPPORT_CONTACT_MAX_LENGTH) throw new Error(`must be at most ${SUPPORT_CONTACT_MAX_LENGTH} characters (got ${raw.length})`);
  // Checked before the URL parser, which would quietly drop tabs, newlines and outer spaces.
  if (/[\s\p{Cc}\p{Cf}"'`<>\\]/u.test(raw)) throw new Error(`must not contain spaces, quotes, angle brackets or control characters (got ${JSON.stringify(raw)})`);
  const address = raw.replace(/^mailto:/i, '');
  if (address.includes('@') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    if (!ADDRESS.test(address)) throw new Error(`must be a plain email address like it-help@example.com (got ${JSON.stringify(raw)})`);
    return { href: `mailto:${address}`, label: address, plainText: address };
  }
  if (!/^https?:\/\//i.test(raw)) throw new Error(`must be an email address (it-help@example.com) or an https:// URL (got ${JSON.stringify(raw)})`);
  const url = URL.parse(raw);
  if (!url || url.hostname === '') throw new Error(`must be an absolute https:// URL (got ${JSON.stringify(raw)})`);
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) throw new Error(`must be https:// (http:// only for localhost or 127.0.0.1) (got ${JSON.stringify(raw)})`);
  if (url.username || url.password) throw new Error('must not contain a user name or password');
  const path = url.pathname === '/' ? '' : url.pathname;
  return { href: url.href, label: `${url.host}${path}`, plainText: url.href };
}

/** Whether a SupportContact (from parseSupportContact, or built by hand in a test) links only where one may. */
export function isSafeSupportContact(support: SupportContact): boolean {
  try {
    return parseSupportContact(support.href).href === support.href && support.label !== '' && support.plainText !== '';
  } catch {
    return false;
  }
}

/**
 * " (it-help@example.com)", to follow "the administrator" in a message built in code and shown as
 * escaped text; nothing when SUPPORT_CONTACT is unset. Pages link the contact in their footer.
 */
export function supportContactInParentheses(support: SupportContact | undefined): string {
  return support ? ` (${support.label})` : '';
}
