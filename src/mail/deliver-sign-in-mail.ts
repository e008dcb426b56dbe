import { createAccounts } from '../accounts/accounts.ts';
import type { Config } from '../config/config-schema.ts';
import { VIEWS_DIR } from '../paths.ts';
import type { Store } from '../store/store.ts';
import type { Mailer } from './mailer.ts';
import { renderSignInEmail } from './sign-in-email.ts';
import type { SignInMailJob } from './sign-in-mail-job.ts';

/**
 * The mail worker's decision, off the request path: with closed sign-up an address without an
 * account gets no mail. The HTTP answer was the same either way.
 */
export function createSignInMailDelivery({ config, store, mailer }: { config: Readonly<Config>; store: Store; mailer: Mailer }) {
  const accounts = createAccounts({ store });
  return async function deliverSignInMail(job: SignInMailJob) {
    if (config.signup === 'closed' && !(await accounts.findByEmail(job.to))) return;
    await mailer.send(await renderSignInEmail({ appName: config.appName, job, viewsDir: VIEWS_DIR }));
  };
}
