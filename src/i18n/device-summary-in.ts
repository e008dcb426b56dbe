import type { MessageKey } from './catalogues.ts';
import type { Translator } from './translate.ts';

// The words auth/device-summary.ts writes for what it cannot name.
const UNKNOWN_BROWSER = 'an unknown browser';
const SOME_BROWSER = 'a browser';
const UNKNOWN_SYSTEM = 'an unknown system';

/** The catalogue's words for a summary's parts, in the grammatical case where it stands. */
export interface SummaryWords {
  browserOnSystem: MessageKey;
  someBrowser: MessageKey;
  unknownSystem: MessageKey;
  unknownBrowser: MessageKey;
}

/** A summary standing on its own (a row of the account page's lists, a notice's "From:"): German nominative. */
const STANDING_ALONE: SummaryWords = { browserOnSystem: 'summary.browserOnSystem', someBrowser: 'summary.someBrowser', unknownSystem: 'summary.unknownSystem', unknownBrowser: 'summary.unknownBrowser' };

/**
 * "Chrome on Linux" in the reader's language. Summaries are stored in English words
 * (auth/device-summary.ts) and read by the audit log and the CLI as they are; product and system
 * names stay as they are, and a summary of another shape is shown as it was stored. `words`: the
 * case it stands in (the link's page puts it inside a sentence, interaction/requested-from.ts).
 * `administrator`: the stored words of a change made from the command line, if this summary may be one.
 */
export function deviceSummaryIn(summary: string, { t }: Pick<Translator, 't'>, { administrator, words = STANDING_ALONE }: { administrator?: string; words?: SummaryWords } = {}): string {
  if (administrator !== undefined && summary === administrator) return t('summary.administrator');
  if (summary === UNKNOWN_BROWSER) return t(words.unknownBrowser);
  const parts = /^(.+) on (.+)$/.exec(summary);
  if (!parts) return summary;
  const browser = parts[1] === SOME_BROWSER ? t(words.someBrowser) : parts[1]!;
  const system = parts[2] === UNKNOWN_SYSTEM ? t(words.unknownSystem) : parts[2]!;
  return t(words.browserOnSystem, { browser, system });
}
