import { createAccounts } from '../accounts/accounts.ts';
import type { Config } from '../config/config-schema.ts';
import { VIEWS_DIR } from '../paths.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryOutcome } from './deliver-sign-in-mail.ts';
import type { EmailChangeMailJob } from './email-change-mail-job.ts';
import { renderEmailChangeEmail } from './email-change-email.ts';
import type { Mailer } from './mailer.ts';

/**
 * The worker's decision, off the request path, so that the page that asked is the same whether or
 * not the new address is free: an address that already leads to another account gets a note
 * instead of the code (so no code that could work exists anywhere), and confirming fails there
 * anyway (accounts.ts changeEmail). A mail whose code expired while it waited is dropped, as is
 * one for an account deleted meanwhile.
 */
export function createEmailChangeMailDelivery({ config, store, mailer, now = Date.now }: { config: Readonly<Config>; store: Store; mailer: Mailer; now?: () => number }) {
  const accounts = createAccounts({ store });
  const accountUrl = `${config.issuer}/account`;
  return async function deliverEmailChangeMail(job: EmailChangeMailJob): Promise<DeliveryOutcome> {
    if (!(Date.parse(job.expiresAt) > now())) return 'expired';
    const [requester, holder] = await Promise.all([accounts.findById(job.accountId), accounts.findByEmail(job.to)]);
    if (!requester) return 'no-account';
    const addressTaken = holder !== undefined && holder.id !== job.accountId;
    await mailer.send(await renderEmailChangeEmail({ appName: config.appName, support: config.support, accountUrl, job, viewsDir: VIEWS_DIR, addressTaken }));
    return 'sent';
  };
}
