import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { summariseUserAgent } from '../auth/device-summary.ts';
import type { MailQueue } from './mail-queue.ts';
import type { SecurityEvent } from './security-notice-job.ts';

/** Tells an account holder, by mail, of a change to how their account is protected. */
export function createSecurityNotices({ mailQueue, now = Date.now }: { mailQueue: MailQueue; now?: () => number }) {
  return {
    /** Queued with the request's last writes (app.ts), so the change and its notice go together. */
    async send(ctx: Context, account: Account, event: SecurityEvent): Promise<void> {
      await mailQueue.enqueue({ kind: 'security-notice', to: account.email, event, at: new Date(now()).toISOString(), device: summariseUserAgent(ctx.get('user-agent')) });
    },
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
