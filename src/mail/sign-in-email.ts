import { join } from 'node:path';
import ejs from 'ejs';
import type { SupportContact } from '../config/support-contact.ts';
import { DEFAULT_LOCALE, isLocale } from '../i18n/locales.ts';
import { link } from '../i18n/markup.ts';
import { translatorFor, type Translator } from '../i18n/translate.ts';
import { plainTextWords } from './plain-text-words.ts';
import { utcMinute, type MailMessage } from './mail-message.ts';
import type { SignInMailJob } from './sign-in-mail-job.ts';

/**
 * Renders the sign-in mail, HTML and text. The code stays out of the subject: lock screens and
 * notification previews show subjects to whoever stands nearby.
 */
export async function renderSignInEmail({ appName, support, job, viewsDir, codesOff = false }: { appName: string; support?: SupportContact; job: SignInMailJob; viewsDir: string; codesOff?: boolean }): Promise<MailMessage> {
  const expiresAt = new Date(job.expiresAt);
  const minutesLeft = Math.max(1, Math.round((expiresAt.getTime() - Date.now()) / 60_000));
  const translator = translatorFor(job.locale && isLocale(job.locale) ? job.locale : DEFAULT_LOCALE);
  const locals = {
    lang: translator.locale,
    t: translator.t,
    tHtml: translator.tHtml,
    mailLink: (href: string, label: string) => link(href, label, 'color:#0b5fff;'),
    appName,
    // SUPPORT_CONTACT's closing line, or, in the text of a codes-off mail, where it says the
    // administrator can switch codes back on (once, not twice). Undefined leaves it out.
    support,
    clientName: job.clientName,
    link: job.link,
    // Locked out (auth/sign-in-limits.ts): the mail leaves the code out and says why; only this
    // mailbox learns it, the sign-in page looks the same as for any address.
    codesOff,
    code: codesOff ? '' : job.code,
    // A device's sign-in (RFC 8628 §5.4): the mail says so before its link and code.
    forDevice: job.forDevice === true,
    codeGrouped: codesOff ? '' : job.code.length === 6 ? `${job.code.slice(0, 3)} ${job.code.slice(3)}` : job.code,
    expiresAtUtc: utcMinute(expiresAt),
    minutesLeft,
  };
  const [html, text] = await Promise.all([
    ejs.renderFile(join(viewsDir, 'mail/sign-in.html.ejs'), locals, { cache: true }),
    ejs.renderFile(join(viewsDir, 'mail/sign-in.txt.ejs'), { ...locals, t: plainTextWords(translator.t) }, { cache: true, escape: (s: unknown) => String(s) }),
  ]);
  return { to: job.to, subject: signInSubject(job, translator), html, text };
}

/**
 * A device's sign-in says so already in the subject, the first thing read (and all a notification
 * shows): someone who pressed Allow at /device may have typed this address (RFC 8628 §5.4). A job
 * queued by a version before it has no flag and reads as before.
 */
function signInSubject(job: SignInMailJob, { t }: Translator): string {
  return job.forDevice === true ? t('mail.subject.device', { clientName: job.clientName }) : t('mail.subject', { clientName: job.clientName });
}
