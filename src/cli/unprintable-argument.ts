/**
 * Control and formatting characters: line breaks, terminal escape sequences (C0 and C1, such as
 * ESC and CSI), bidirectional overrides. No address, command, key id or algorithm has one, and an
 * argument that did would be echoed into the operator's terminal and onto stderr, where the audit
 * lines go. The zero-width (non-)joiners are left out: an internationalised domain may need them.
 */
const UNPRINTABLE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** The first argument holding such a character, written out with each of them escaped; undefined when there is none. */
export function unprintableArgument(args: readonly string[]): { position: number; escaped: string } | undefined {
  const index = args.findIndex((arg) => UNPRINTABLE.test(arg));
  if (index < 0) return undefined;
  const escaped = args[index]!.replace(new RegExp(UNPRINTABLE.source, 'gu'), (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
  return { position: index + 1, escaped };
}
