import type { EmailChangeMailJob } from './email-change-mail-job.ts';
import type { SecurityNoticeJob } from './security-notice-job.ts';
import type { SignInMailJob } from './sign-in-mail-job.ts';

/** Every mail Sesame sends goes through the queue as one of these. */
export type MailJob = SignInMailJob | SecurityNoticeJob | EmailChangeMailJob;
