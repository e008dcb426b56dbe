import { join } from 'node:path';
import ejs from 'ejs';
import type { SupportContact } from '../config/support-contact.ts';
import { utcMinute, type MailMessage } from './mail-message.ts';
import type { SecurityEvent, SecurityNoticeJob } from './security-notice-job.ts';

/** Subject and first sentence of each notice: what happened, in the holder's words. */
const WHAT_HAPPENED: Record<SecurityEvent, { subject: string; sentence: string | ((job: SecurityNoticeJob) => string) }> = {
  'totp-added': { subject: 'An authenticator app was set up for your account', sentence: 'An authenticator app was set up as the second step of your sign-ins, and new recovery codes were issued.' },
  'totp-removed': { subject: 'The authenticator app was removed from your account', sentence: 'The authenticator app was removed from your account: sign-ins need only your email again, and your recovery codes and remembered browsers no longer work.' },
  'recovery-codes-renewed': { subject: 'New recovery codes were issued for your account', sentence: 'New recovery codes were issued for your account; the codes you had before no longer work.' },
  'recovery-code-used': { subject: 'A recovery code was used to sign in to your account', sentence: 'A recovery code was used instead of your authenticator app to sign in to your account. That code no longer works.' },
  'account-deleted': { subject: 'Your account was deleted', sentence: 'Your account was deleted: apps can no longer sign you in with it, and no browser is signed in as you any more.' },
  'account-deleted-by-administrator': { subject: 'Your administrator deleted your account', sentence: 'Your administrator deleted your account: apps can no longer sign you in with it, and no browser is signed in as you any more.' },
  'signed-out-everywhere-by-administrator': { subject: 'Your administrator signed you out everywhere', sentence: 'Your administrator signed you out everywhere: no browser or app is signed in as you any more, and apps that could act for you on their own no longer can. Sign in again where you want to go on.' },
  'second-factor-reset': { subject: 'Your administrator removed the authenticator app from your account', sentence: 'Your administrator removed the authenticator app, the recovery codes and the remembered browsers from your account, and signed you out everywhere: sign-ins need only your email again.' },
  // The new address is named: if the change was not the holder's, it is what they and their
  // administrator need to find the account. The old mailbox held the account until this change.
  'email-changed': { subject: 'Your account now signs in with another address', sentence: (job) => `Your account was moved to another email address${job.otherAddress ? `, ${job.otherAddress}` : ''}: this address no longer signs you in to it.` },
  'email-now-sign-in-address': { subject: 'This is now the address your account signs in with', sentence: (job) => `This address is now the one your account signs in with${job.otherAddress ? `, instead of ${job.otherAddress}` : ''}. Your authenticator app, recovery codes and remembered browsers stay as they were.` },
  'email-changed-by-administrator': { subject: 'Your administrator moved your account to another address', sentence: (job) => `Your administrator moved your account to another email address${job.otherAddress ? `, ${job.otherAddress}` : ''}, and signed you out everywhere: this address no longer signs you in to it.` },
  'email-now-sign-in-address-by-administrator': { subject: 'Your administrator made this the address your account signs in with', sentence: (job) => `Your administrator made this address the one your account signs in with${job.otherAddress ? `, instead of ${job.otherAddress}` : ''}, and signed you out everywhere. Your authenticator app, recovery codes and remembered browsers stay as they were.` },
};

export const isKnownSecurityEvent = (event: unknown): event is SecurityEvent => typeof event === 'string' && Object.hasOwn(WHAT_HAPPENED, event);

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

/** Renders a notice of a change to how an account is protected, HTML and text. */
export async function renderSecurityNotice({ appName, support, accountUrl, job, viewsDir }: { appName: string; support?: SupportContact; accountUrl: string; job: SecurityNoticeJob; viewsDir: string }): Promise<MailMessage> {
  const { subject, sentence } = WHAT_HAPPENED[job.event];
  const locals = {
    appName,
    // SUPPORT_CONTACT, named where the notice says to tell the administrator. Every advice says
    // so, which is why a notice ends without the closing line of the other mails: that sentence
    // already says when to turn to it, and the contact twice in a few lines only repeats itself.
    // Undefined leaves it out.
    support,
    accountUrl,
    sentence: typeof sentence === 'function' ? sentence(job) : sentence,
    advice: ADVICE[job.event] ?? 'check-account',
    device: job.device,
    atUtc: utcMinute(new Date(job.at)),
  };
  const [html, text] = await Promise.all([
    ejs.renderFile(join(viewsDir, 'mail/security-notice.html.ejs'), locals, { cache: true }),
    ejs.renderFile(join(viewsDir, 'mail/security-notice.txt.ejs'), locals, { cache: true, escape: (s: unknown) => String(s) }),
  ]);
  return { to: job.to, subject: `${appName}: ${subject}`, html, text };
}
