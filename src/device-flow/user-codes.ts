/**
 * The user codes a device shows and a person types at /device (RFC 8628 §6.1). oidc-provider makes
 * them from these two settings; Sesame reads them back with the same rules.
 *
 * Base-20 consonants (no vowels, so no words; no digits, so no 0/O or 1/I to confuse) in 8
 * characters: 20^8, about 2.6·10^10 codes (34.5 bits, RFC 8628 §6.1's example), which the
 * per-IP budget of entries (rateLimits.deviceCodeEntriesPerIp) puts out of reach of guessing
 * (§5.1). Shown as two groups of four, easy to read out and to type on a phone.
 */
export const USER_CODE_CHARSET = 'base-20';
export const USER_CODE_MASK = '****-****';

const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
/** A group of the mask's length, or what is left: a code typed too long or too short keeps the groups. */
const TYPED_GROUP = new RegExp(`.{1,${USER_CODE_MASK.indexOf('-')}}`, 'g');
const WELL_FORMED = new RegExp(`^[${ALPHABET}]{${USER_CODE_MASK.split('*').length - 1}}$`);

/**
 * What a person typed, as the library reads it (lib/helpers/user_codes.js normalize): case does
 * not matter, and spaces, dashes and other punctuation are dropped, so "bcdf ghjk" and "BCDF-GHJK"
 * are the same code.
 */
export function normaliseUserCode(typed: string): string {
  return typed.replace(/[a-z]/g, (char) => char.toUpperCase()).replace(/\W/g, '');
}

/** Whether a normalised code could be one Sesame issued: anything else is not looked up at all. */
export function isWellFormedUserCode(normalised: string): boolean {
  return WELL_FORMED.test(normalised);
}

/** A well-formed normalised code the way the device shows it ("BCDF-GHJK"). */
export function displayUserCode(normalised: string): string {
  const characters = [...normalised];
  return [...USER_CODE_MASK].map((slot) => (slot === '*' ? characters.shift() : slot)).join('');
}

/** A code as typed, normalised, which may be wrong or of another length: in the device's groups of four ("BCDF-GHJ"). */
export function displayTypedUserCode(normalised: string): string {
  return normalised.match(TYPED_GROUP)?.join('-') ?? '';
}
