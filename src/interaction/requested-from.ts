import { deviceSummaryIn, type SummaryWords } from '../i18n/device-summary-in.ts';
import type { Translator } from '../i18n/translate.ts';

/** Inside the link page's sentence: German dative, "von einem Browser unter Linux aus". */
const IN_A_SENTENCE: SummaryWords = { browserOnSystem: 'device.browserOnSystem', someBrowser: 'device.someBrowser', unknownSystem: 'device.unknownSystem', unknownBrowser: 'device.unknownBrowser' };

/**
 * "Chrome on Linux" in the page's language. The sign-in keeps the requesting device as
 * auth/device-summary.ts wrote it, in English words (the account page and the audit log show
 * the same summary); the link's page puts those words into the sign-in's language.
 */
export function requestedFromIn(summary: string, translator: Pick<Translator, 't'>): string {
  return deviceSummaryIn(summary, translator, { words: IN_A_SENTENCE });
}
