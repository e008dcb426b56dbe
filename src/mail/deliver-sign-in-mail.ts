import { createAccounts } from '../accounts/accounts.ts';
import { maySignUp } from '../accounts/signup-policy.ts';
import type { Config } from '../config/config-schema.ts';
import { VIEWS_DIR } from '../paths.ts';
import type { Store } from '../store/store.ts';
import type { Mailer } from './mailer.ts';
import { renderSignInEmail } from './sign-in-email.ts';
import type { SignInMailJob } from './sign-in-mail-job.ts';

/** What became of one job: sent, or deliberately not sent. A failure to send throws (and is retried). */
/** `unknown-kind`: a job this version cannot read (queued by a newer one during a rolling upgrade). */
export type DeliveryOutcome = 'sent' | 'no-account' | 'expired' | 'unknown-kind';

export type DeliverSignInMail = (job: SignInMailJob) => Promise<DeliveryOutcome>;

/**
 * The mail worker's decision, off the request path: an address without an account that may not
 * sign up (SIGNUP=closed, or outside SIGNUP_DOMAINS) gets no mail (the HTTP answer was the same either way). A job for an address locked out
 * of codes carries none, and its mail says why. A mail whose link and code have expired while the relay was
 * down is dropped too: it could only confuse.
 */
export function createSignInMailDelivery({ config, store, mailer, now = Date.now }: { config: Readonly<Config>; store: Store; mailer: Mailer; now?: () => number }): DeliverSignInMail {
  const accounts = createAccounts({ store });
  return async function deliverSignInMail(job) {
    // Not `<=`: a job without a readable expiry must not be sent as if it never expired.
    if (!(Date.parse(job.expiresAt) > now())) return 'expired';
    if (!maySignUp(config, job.to) && !(await accounts.findByEmail(job.to))) return 'no-account';
    await mailer.send(await renderSignInEmail({ appName: config.appName, support: config.support, job, viewsDir: VIEWS_DIR, codesOff: job.codesOff === true }));
    return 'sent';
  };
}
