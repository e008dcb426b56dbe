import { join } from 'node:path';
import ejs from 'ejs';
import type { SupportContact } from '../config/support-contact.ts';
import type { MessageKey } from '../i18n/catalogues.ts';
import { deviceSummaryIn } from '../i18n/device-summary-in.ts';
import { DEFAULT_LOCALE, isLocale } from '../i18n/locales.ts';
import { link } from '../i18n/markup.ts';
import { translatorFor, type Translator } from '../i18n/translate.ts';
import { plainTextWords } from './plain-text-words.ts';
import { utcMinute, type MailMessage } from './mail-message.ts';
import { ADMINISTRATOR_DEVICE, type SecurityEvent, type SecurityNoticeJob } from './security-notice-job.ts';

/**
 * Subject and first sentence of each notice, what happened in the holder's words (their catalogue
 * keys `notice.<name>.subject` and `.sentence`). A change of address names the account's other
 * address where the job has it (`.sentenceWithAddress`): if the change was not the holder's, it
 * is what they and their administrator need to find the account. The old mailbox held the
 * account until this change.
 */
const NOTICE_NAMES = {
  'totp-added': 'totpAdded',
  'totp-removed': 'totpRemoved',
  'recovery-codes-renewed': 'recoveryCodesRenewed',
  'recovery-code-used': 'recoveryCodeUsed',
  'account-deleted': 'accountDeleted',
  'account-deleted-by-administrator': 'accountDeletedByAdministrator',
  'signed-out-everywhere-by-administrator': 'signedOutEverywhereByAdministrator',
  'second-factor-reset': 'secondFactorReset',
  'email-changed': 'emailChanged',
  'email-now-sign-in-address': 'emailNowSignInAddress',
  'email-changed-by-administrator': 'emailChangedByAdministrator',
  'email-now-sign-in-address-by-administrator': 'emailNowSignInAddressByAdministrator',
} as const satisfies Record<SecurityEvent, string>;
type NoticeName = (typeof NOTICE_NAMES)[SecurityEvent];
type NamingAddress = Extract<`notice.${NoticeName}.sentenceWithAddress`, MessageKey> extends `notice.${infer N}.sentenceWithAddress` ? N : never;
const NAMES_ADDRESS = new Set<NoticeName>(['emailChanged', 'emailNowSignInAddress', 'emailChangedByAdministrator', 'emailNowSignInAddressByAdministrator'] satisfies NamingAddress[]);

export const isKnownSecurityEvent = (event: unknown): event is SecurityEvent => typeof event === 'string' && Object.hasOwn(NOTICE_NAMES, event);

/**
 * What the notice advises below what happened. Events an administrator causes (npm run cli): the
 * holder did not make the change themselves, so "if this was you" does not fit. A moved account:
 * this address can no longer open the account page. A deleted one: no account is left to check.
 */
type Advice = 'second-factor-reset' | 'by-administrator' | 'account-moved' | 'account-gone' | 'check-account';
const ADVICE: Partial<Record<SecurityEvent, Advice>> = {
  'second-factor-reset': 'second-factor-reset',
  'email-changed-by-administrator': 'by-administrator',
  'email-now-sign-in-address-by-administrator': 'by-administrator',
  'account-deleted-by-administrator': 'by-administrator',
  'signed-out-everywhere-by-administrator': 'by-administrator',
  'email-changed': 'account-moved',
  'account-deleted': 'account-gone',
};

/** What happened, in the notice's language. */
function sentenceOf(job: SecurityNoticeJob, { t }: Pick<Translator, 't'>): string {
  const name = NOTICE_NAMES[job.event];
  if (job.otherAddress && NAMES_ADDRESS.has(name)) return t(`notice.${name as NamingAddress}.sentenceWithAddress`, { address: job.otherAddress });
  return t(`notice.${name}.sentence`);
}

/**
 * Renders a notice of a change to how an account is protected, HTML and text, in the job's
 * language: the account's (accounts.ts `locale`), or the page's where the change was made in a
 * browser. A job queued by a version before languages has none: English, as it was.
 */
export async function renderSecurityNotice({ appName, support, accountUrl, job, viewsDir }: { appName: string; support?: SupportContact; accountUrl: string; job: SecurityNoticeJob; viewsDir: string }): Promise<MailMessage> {
  const translator = translatorFor(isLocale(job.locale) ? job.locale : DEFAULT_LOCALE);
  const locals = {
    lang: translator.locale,
    t: translator.t,
    tHtml: translator.tHtml,
    mailLink: (href: string, label: string) => link(href, label, 'color:#0b5fff;'),
    appName,
    // SUPPORT_CONTACT, named where the notice says to tell the administrator. Every advice says
    // so, which is why a notice ends without the closing line of the other mails: that sentence
    // already says when to turn to it, and the contact twice in a few lines only repeats itself.
    // Undefined leaves it out.
    support,
    accountUrl,
    sentence: sentenceOf(job, translator),
    advice: ADVICE[job.event] ?? 'check-account',
    device: deviceSummaryIn(job.device, translator, { administrator: ADMINISTRATOR_DEVICE }),
    atUtc: utcMinute(new Date(job.at)),
  };
  const [html, text] = await Promise.all([
    ejs.renderFile(join(viewsDir, 'mail/security-notice.html.ejs'), locals, { cache: true }),
    ejs.renderFile(join(viewsDir, 'mail/security-notice.txt.ejs'), { ...locals, t: plainTextWords(translator.t), sentence: sentenceOf(job, { t: plainTextWords(translator.t) }) }, { cache: true, escape: (s: unknown) => String(s) }),
  ]);
  return { to: job.to, subject: `${appName}: ${translator.t(`notice.${NOTICE_NAMES[job.event]}.subject`)}`, html, text };
}
