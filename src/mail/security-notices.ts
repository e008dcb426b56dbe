import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { summariseUserAgent } from '../auth/device-summary.ts';
import type { MailQueue } from './mail-queue.ts';
import type { SecurityEvent } from './security-notice-job.ts';

/** Tells an account holder, by mail, of a change to how their account is protected. */
export function createSecurityNotices({ mailQueue, now = Date.now }: { mailQueue: MailQueue; now?: () => number }) {
  /** `device`: who made the change, in the holder's words ("Firefox on Linux"). `otherAddress`: see SecurityNoticeJob. */
  async function notify(account: Account, event: SecurityEvent, device: string, { otherAddress }: { otherAddress?: string } = {}): Promise<void> {
    await mailQueue.enqueue({ kind: 'security-notice', to: account.email, event, at: new Date(now()).toISOString(), device, ...(otherAddress ? { otherAddress } : {}) });
  }
  return {
    notify,
    /** A change made in a browser. Queued with the request's last writes (app.ts), so the change and its notice go together. */
    send: (ctx: Context, account: Account, event: SecurityEvent, details?: { otherAddress?: string }) => notify(account, event, summariseUserAgent(ctx.get('user-agent')), details),
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
