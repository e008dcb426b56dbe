import { join } from 'node:path';
import ejs from 'ejs';
import type { SupportContact } from '../config/support-contact.ts';
import { utcMinute, type MailMessage } from './mail-message.ts';
import type { EmailChangeMailJob } from './email-change-mail-job.ts';

/**
 * Renders the mail to an address someone wants to move their account to: the code, or, when the
 * address already belongs to another account, a note that nothing can be moved there (and no
 * code). Only this mailbox learns which; the page that asked looks the same either way. The code
 * stays out of the subject, as in the sign-in mail.
 */
export async function renderEmailChangeEmail({ appName, support, accountUrl, job, viewsDir, addressTaken }: { appName: string; support?: SupportContact; accountUrl: string; job: EmailChangeMailJob; viewsDir: string; addressTaken: boolean }): Promise<MailMessage> {
  const expiresAt = new Date(job.expiresAt);
  const locals = {
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
    ejs.renderFile(join(viewsDir, 'mail/email-change.txt.ejs'), locals, { cache: true, escape: (s: unknown) => String(s) }),
  ]);
  const subject = addressTaken ? 'This address is already in use' : 'Confirm your new sign-in address';
  return { to: job.to, subject: `${appName}: ${subject}`, html, text };
}
