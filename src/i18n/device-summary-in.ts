import type { Translator } from './translate.ts';

// The words auth/device-summary.ts writes for what it cannot name.
const UNKNOWN_BROWSER = 'an unknown browser';
const SOME_BROWSER = 'a browser';
const UNKNOWN_SYSTEM = 'an unknown system';

/**
 * "Chrome on Linux" standing on its own (a row of the account page's lists, a notice's "From:"),
 * in the reader's language. Summaries are stored in English words (auth/device-summary.ts) and
 * read by the audit log and the CLI as they are; product and system names stay as they are, and
 * a summary of another shape is shown as it was stored. The link's page, where the summary sits
 * inside a sentence ("from Chrome on Linux"), has its own words (interaction/requested-from.ts).
 * `administrator`: the stored words of a change made from the command line, if this summary may be one.
 */
export function deviceSummaryIn(summary: string, { t }: Pick<Translator, 't'>, { administrator }: { administrator?: string } = {}): string {
  if (administrator !== undefined && summary === administrator) return t('summary.administrator');
  if (summary === UNKNOWN_BROWSER) return t('summary.unknownBrowser');
  const parts = /^(.+) on (.+)$/.exec(summary);
  if (!parts) return summary;
  const browser = parts[1] === SOME_BROWSER ? t('summary.someBrowser') : parts[1]!;
  const system = parts[2] === UNKNOWN_SYSTEM ? t('summary.unknownSystem') : parts[2]!;
  return t('summary.browserOnSystem', { browser, system });
}
