import type { Config } from '../config/config-schema.ts';
import type { CurrentClients } from '../oidc/client-registry.ts';
import { createBackChannelLogoutDelivery, type BackChannelOutcome } from '../oidc/deliver-back-channel-logout.ts';
import { VIEWS_DIR } from '../paths.ts';
import type { Store } from '../store/store.ts';
import { createEmailChangeMailDelivery } from './deliver-email-change-mail.ts';
import { createSignInMailDelivery, type DeliveryOutcome } from './deliver-sign-in-mail.ts';
import type { MailJob } from './mail-job.ts';
import type { Mailer } from './mailer.ts';
import { isKnownSecurityEvent, renderSecurityNotice } from './security-notice-email.ts';

export type DeliverMail = (job: MailJob) => Promise<DeliveryOutcome | BackChannelOutcome>;

/** What the mail worker does with a job of each kind. A failure to send throws (and is retried unless it is permanent). */
export function createMailDelivery({
  config,
  store,
  mailer,
  clients,
  now = Date.now,
}: {
  config: Readonly<Config>;
  store: Store;
  mailer: Mailer;
  /** The registrations in force (oidc/client-registry.ts), for back-channel logout addresses. */
  clients: CurrentClients;
  now?: () => number;
}): DeliverMail {
  const deliverSignInMail = createSignInMailDelivery({ config, store, mailer, now });
  const deliverEmailChangeMail = createEmailChangeMailDelivery({ config, store, mailer, now });
  const deliverBackChannelLogout = createBackChannelLogoutDelivery({ clients, now });
  const accountUrl = `${config.issuer}/account`;
  return async function deliverMail(job) {
    if (job.kind === 'sign-in') return deliverSignInMail(job);
    if (job.kind === 'email-change') return deliverEmailChangeMail(job);
    if (job.kind === 'backchannel-logout') return deliverBackChannelLogout(job);
    // Jobs outlive the process that queued them: in a rolling upgrade a newer web process may
    // queue a kind, or a notice of an event, that this worker does not know. Dropped and counted,
    // not retried into a garbled mail.
    if (job.kind !== 'security-notice' || !isKnownSecurityEvent(job.event)) return 'unknown-kind';
    await mailer.send(await renderSecurityNotice({ appName: config.appName, support: config.support, accountUrl, job, viewsDir: VIEWS_DIR }));
    return 'sent';
  };
}
