import type { Translator } from '../i18n/translate.ts';

// The words auth/device-summary.ts writes for what it cannot name.
const UNKNOWN_BROWSER = 'an unknown browser';
const SOME_BROWSER = 'a browser';
const UNKNOWN_SYSTEM = 'an unknown system';

/**
 * "Chrome on Linux" in the page's language. The sign-in keeps the requesting device as
 * auth/device-summary.ts wrote it, in English words (the account page and the audit log show
 * the same summary); the link's page puts those words into the sign-in's language. Product and
 * system names stay as they are; a summary of another shape is shown as it was stored.
 */
export function requestedFromIn(summary: string, { t }: Pick<Translator, 't'>): string {
  if (summary === UNKNOWN_BROWSER) return t('device.unknownBrowser');
  const parts = /^(.+) on (.+)$/.exec(summary);
  if (!parts) return summary;
  const browser = parts[1] === SOME_BROWSER ? t('device.someBrowser') : parts[1]!;
  const system = parts[2] === UNKNOWN_SYSTEM ? t('device.unknownSystem') : parts[2]!;
  return t('device.browserOnSystem', { browser, system });
}
