import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { summariseUserAgent } from '../auth/device-summary.ts';
import { translatorOf } from '../i18n/page-language.ts';
import type { HeldMail, MailQueue } from './mail-queue.ts';
import type { SecurityEvent } from './security-notice-job.ts';

/**
 * How long a notice waits for the change it tells of before it goes out all the same. Far longer
 * than a request takes from the hold to the release, short enough that a notice whose release was
 * lost (Redis failing after the change) is only a minute late.
 */
export const NOTICE_HOLD_MS = 60_000;

/**
 * Tells an account holder, by mail, of a change to how their account is protected.
 *
 * A notice is queued before its change is made, never after: the change and the queue live in
 * different Redis keys (on a Cluster, different nodes), and of two writes the second can fail. A
 * change saved with its notice lost would leave the holder untold of what they must hear of; so
 * the notice is accepted first (held, see NOTICE_HOLD_MS), the change is made only then, and the
 * notice is released to go out at once, or cancelled where the change was not made (a wrong code,
 * an address taken meanwhile). Whatever fails between the two, the notice goes out when its hold
 * ends: at worst it tells of a change that an outage then stopped, while the person who made it
 * was shown an error page.
 */
export function createSecurityNotices({ mailQueue, now = Date.now, holdMs = NOTICE_HOLD_MS }: { mailQueue: Pick<MailQueue, 'hold'>; now?: () => number; holdMs?: number }) {
  /**
   * `account`: whose address the notice goes to, and in which language (its `locale`; none is
   * English). `device`: who makes the change, as auth/device-summary.ts words it ("Firefox on
   * Linux"). `otherAddress`: see SecurityNoticeJob.
   */
  function hold(account: Pick<Account, 'email' | 'locale'>, event: SecurityEvent, device: string, { otherAddress }: { otherAddress?: string } = {}): Promise<HeldMail> {
    const { locale } = account;
    return mailQueue.hold({ kind: 'security-notice', to: account.email, event, at: new Date(now()).toISOString(), device, ...(otherAddress ? { otherAddress } : {}), ...(locale ? { locale } : {}) }, holdMs);
  }
  return {
    hold,
    /**
     * A change made in a browser, told in the language its page speaks: the person who made it
     * reads it there. Released or cancelled with the request's last writes (app.ts).
     */
    holdFromBrowser: (ctx: Context, account: Pick<Account, 'email'>, event: SecurityEvent, details?: { otherAddress?: string }) =>
      hold({ email: account.email, locale: translatorOf(ctx).locale }, event, summariseUserAgent(ctx.get('user-agent')), details),
  };
}

export type SecurityNotices = ReturnType<typeof createSecurityNotices>;
