import type { BackChannelLogoutJob } from '../oidc/back-channel-logout-job.ts';
import type { EmailChangeMailJob } from './email-change-mail-job.ts';
import type { SecurityNoticeJob } from './security-notice-job.ts';
import type { SignInMailJob } from './sign-in-mail-job.ts';

/**
 * Every mail Sesame sends goes through the queue as one of these, and so does every back-channel
 * logout token: both must reach someone outside Sesame however long that someone is down.
 */
export type MailJob = SignInMailJob | SecurityNoticeJob | EmailChangeMailJob | BackChannelLogoutJob;
