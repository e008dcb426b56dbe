import { join } from 'node:path';
import ejs from 'ejs';
import type { SupportContact } from '../config/support-contact.ts';
import { DEFAULT_LOCALE, isLocale } from '../i18n/locales.ts';
import { link } from '../i18n/markup.ts';
import { translatorFor } from '../i18n/translate.ts';
import { plainTextWords } from './plain-text-words.ts';
import { utcMinute, type MailMessage } from './mail-message.ts';
import type { EmailChangeMailJob } from './email-change-mail-job.ts';

/**
 * Renders the mail to an address someone wants to move their account to: the code, or, when the
 * address already belongs to another account, a note that nothing can be moved there (and no
 * code). Only this mailbox learns which; the page that asked looks the same either way. The code
 * stays out of the subject, as in the sign-in mail. In the language of the page that asked
 * (`job.locale`); a job queued by a version before it has none: English.
 */
export async function renderEmailChangeEmail({ appName, support, accountUrl, job, viewsDir, addressTaken }: { appName: string; support?: SupportContact; accountUrl: string; job: EmailChangeMailJob; viewsDir: string; addressTaken: boolean }): Promise<MailMessage> {
  const expiresAt = new Date(job.expiresAt);
  const translator = translatorFor(isLocale(job.locale) ? job.locale : DEFAULT_LOCALE);
  const locals = {
    lang: translator.locale,
    t: translator.t,
    tHtml: translator.tHtml,
    mailLink: (href: string, label: string) => link(href, label, 'color:#0b5fff;'),
    appName,
    // SUPPORT_CONTACT's closing line; undefined leaves it out.
    support,
    accountUrl,
    addressTaken,
    code: addressTaken ? '' : job.code,
    codeGrouped: addressTaken ? '' : job.code.length === 6 ? `${job.code.slice(0, 3)} ${job.code.slice(3)}` : job.code,
    expiresAtUtc: utcMinute(expiresAt),
    minutesLeft: Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 60_000)),
  };
  const [html, text] = await Promise.all([
    ejs.renderFile(join(viewsDir, 'mail/email-change.html.ejs'), locals, { cache: true }),
    ejs.renderFile(join(viewsDir, 'mail/email-change.txt.ejs'), { ...locals, t: plainTextWords(translator.t) }, { cache: true, escape: (s: unknown) => String(s) }),
  ]);
  const subject = translator.t(addressTaken ? 'emailMail.subject.taken' : 'emailMail.subject');
  return { to: job.to, subject: `${appName}: ${subject}`, html, text };
}
