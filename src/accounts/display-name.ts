/** The longest name kept, in characters (code points): room for a full name in any script. */
export const DISPLAY_NAME_MAX_CHARACTERS = 64;

export type DisplayNameProblem = 'too-long' | 'unprintable';
export type ParsedDisplayName = { ok: true; name: string | undefined } | { ok: false; problem: DisplayNameProblem };

/**
 * Characters a name may not hold: controls (a line break would start a line of its own in a log or
 * a mail header an app writes), unassigned and private-use code points, lone surrogates, line and
 * paragraph separators, and format characters: the bidirectional controls and marks, which make a
 * name read in another order than it is written ("Trojan Source"), invisible operators, soft
 * hyphens, interlinear annotations. The zero-width joiner and non-joiner stay, which some scripts
 * and emoji need, and so do the tag characters of subdivision flags (🏴 of Scotland).
 */
const UNPRINTABLE = /[\p{Cc}\p{Cn}\p{Co}\p{Cs}\p{Zl}\p{Zp}]|(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}/u;

/**
 * A name with nothing that shows: spaces and default-ignorable code points only (zero-width
 * spaces and joiners, the Hangul fillers, a soft hyphen). Apps would show it as a blank name
 * rather than fall back to the email as they do for none.
 */
const SHOWS_NOTHING = /^[\s\p{Default_Ignorable_Code_Point}]*$/u;

/**
 * The name a person gives their account (OpenID Connect's `name` claim), as typed into the account
 * page: in NFC, so that one name is one string whichever keyboard composed it, with spaces
 * trimmed and runs of them made one. Empty means no name: apps then get none.
 */
export function parseDisplayName(input: string): ParsedDisplayName {
  if (UNPRINTABLE.test(input.replace(/[\t\r\n]/g, ' '))) return { ok: false, problem: 'unprintable' };
  const name = input.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (name === '') return { ok: true, name: undefined };
  if (SHOWS_NOTHING.test(name)) return { ok: false, problem: 'unprintable' };
  if ([...name].length > DISPLAY_NAME_MAX_CHARACTERS) return { ok: false, problem: 'too-long' };
  return { ok: true, name };
}
