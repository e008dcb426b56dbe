import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import { DEVICE_CODE_GRANT_TYPE } from '../device-flow/poll-interval.ts';
import type { SignInCodes } from '../auth/sign-in-codes.ts';
import type { Logger } from '../logger.ts';
import type { DeliverMail } from '../mail/deliver-mail.ts';
import type { MailJob } from '../mail/mail-job.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
import { withoutAddresses } from '../mail/without-addresses.ts';
import { accountOfReplayedGrantSource } from '../oidc/replayed-grant-source.ts';
import type { AuditLog } from './audit-log.ts';
import type { Metrics } from './metrics.ts';

// Counting happens around the modules that do the work, not inside them: the auth and mail code
// stays free of metrics, and the instrumentation stays in one place.

/** Counts refused codes by reason. */
export function instrumentSignInCodes(signInCodes: SignInCodes, metrics: Metrics): SignInCodes {
  return {
    ...signInCodes,
    async redeemCode(interactionUid, code) {
      const result = await signInCodes.redeemCode(interactionUid, code);
      if (!result.ok) metrics.codeFailures.inc({ reason: result.reason });
      return result;
    },
  };
}

/** Counts mails accepted by the queue (logout tokens are counted by the provider's events, below). */
export function instrumentMailQueue(queue: MailQueue, metrics: Metrics): MailQueue {
  return {
    ...queue,
    async enqueue(job, options) {
      await queue.enqueue(job, options);
      if (job.kind !== 'backchannel-logout') metrics.mailsQueued.inc();
    },
    // Counted when released: one cancelled (the change it told of was not made) is no mail.
    async hold(job, holdMs) {
      const held = await queue.hold(job, holdMs);
      return {
        ...held,
        async release() {
          await held.release();
          if (job.kind !== 'backchannel-logout') metrics.mailsQueued.inc();
        },
      };
    },
  };
}

/**
 * Counts each delivery attempt's outcome; a failed attempt rethrows so the queue retries it. A
 * logout token that reached its app is logged too: the operator looks for the app that missed one.
 */
export function instrumentDelivery(deliver: DeliverMail, metrics: Metrics, logger: Logger): DeliverMail {
  return async (job) => {
    try {
      const outcome = await deliver(job);
      if (job.kind === 'backchannel-logout') {
        const delivered = outcome === 'delivered';
        metrics.backchannelLogouts.inc({ client_id: job.clientId, result: delivered ? 'delivered' : 'dropped' });
        logger.info({ clientId: job.clientId }, delivered ? 'back-channel logout delivered' : 'back-channel logout dropped: the app or its back-channel address is no longer registered');
      } else if (outcome === 'sent') metrics.mailsSent.inc();
      else metrics.mailsSkipped.inc({ reason: outcome.replaceAll('-', '_') });
      return outcome;
    } catch (error) {
      if (job.kind !== 'backchannel-logout') metrics.mailSendFailures.inc();
      throw error;
    }
  };
}

/** What the queue reports of a failed attempt: logged, and counted (and audited) when no attempt is left. */
export function reportDeliveryFailure({ metrics, logger, audit }: { metrics: Metrics; logger: Logger; audit: AuditLog }) {
  return (error: unknown, job: MailJob | undefined, attempt: number, final: boolean) => {
    if (job?.kind === 'backchannel-logout') {
      const line = { clientId: job.clientId, attempt, reason: describeFailure(error as Error) };
      if (!final) return logger.info(line, 'back-channel logout failed, will retry');
      metrics.backchannelLogouts.inc({ client_id: job.clientId, result: 'failed' });
      logger.warn(line, 'back-channel logout failed: the app may still show this person as signed in');
      audit.record({ event: 'backchannel_logout.failed', clientId: job.clientId, stage: 'delivery', reason: line.reason });
      return;
    }
    if (final) metrics.mailsFailed.inc();
    // A relay's refusal often names the recipient; the log names no address.
    logger[final ? 'error' : 'warn']({ err: withoutAddresses((error as Error).message), attempt }, final ? 'sign-in mail failed for good' : 'sign-in mail failed, will retry');
  };
}

/**
 * Sign-ins started (the email prompt was reached) and completed (a login result reached
 * oidc-provider, whichever route produced it: code, link, second factor), and oidc-provider's own
 * 500s, which it would otherwise swallow. Events, so the interaction routes carry no counting.
 */
export function observeProvider(provider: Provider, { metrics, logger, audit }: { metrics: Metrics; logger: Logger; audit: AuditLog }) {
  provider.on('interaction.started', (_ctx: unknown, prompt: { name: string }) => {
    if (prompt.name === 'login') metrics.signInsStarted.inc();
  });
  // Emitted when the browser comes back to /auth/:uid, after oidc-provider loaded the result. A
  // consent page's answer is merged with the login submitted before it: that login was counted
  // then. Consent given on the sign-in page itself arrives with its login (oidc/implied-grant.ts).
  type EndedInteraction = { oidc?: { result?: { login?: { accountId: string; amr?: string[]; acr?: string }; consent?: unknown }; client?: { clientId: string } } };
  provider.on('interaction.ended', (ctx: EndedInteraction) => {
    const result = ctx.oidc?.result;
    const consent = result?.consent as { givenWithSignIn?: boolean } | undefined;
    if (!result?.login || (consent && consent.givenWithSignIn !== true)) return;
    const amr = result.login.amr ?? [];
    metrics.signInsCompleted.inc({ amr: amr.join('+') || 'none' });
    audit.record({ event: 'sign_in.completed', accountId: result.login.accountId, clientId: ctx.oidc?.client?.clientId, amr, acr: result.login.acr });
  });
  // An app given an authorization on the strength of the browser's Sesame session alone (single
  // sign-on, nothing asked, or only consent): no login result, so sign_in.completed said nothing.
  type AuthorizedContext = { oidc?: { result?: { login?: unknown }; session?: { accountId?: string }; client?: { clientId: string } } };
  provider.on('authorization.success', (ctx: AuthorizedContext) => {
    const accountId = ctx.oidc?.session?.accountId;
    const clientId = ctx.oidc?.client?.clientId;
    if (ctx.oidc?.result?.login || !accountId || !clientId) return;
    audit.record({ event: 'sign_in.single_sign_on', accountId, clientId });
  });
  // Why an app's tokens stopped working, for the operator: a code or rotated refresh token used
  // twice (route token) revokes its whole grant, as do sign-out and the revocation endpoint. The
  // event names only the grant; the request's client owns it at the token and revocation
  // endpoints, but a sign-out revokes every app's grant from a request that names one app.
  // Also emitted by a sign-out of other browsers on the account page (oidc/end-account-sessions.ts).
  type RevokingContext = { oidc?: { route?: string; client?: { clientId: string }; params?: { grant_type?: unknown }; entities?: { RefreshToken?: { accountId?: string } } }; state?: { requestId?: string } } | undefined;
  provider.on('grant.revoked', (ctx: RevokingContext, grantId: string) => {
    const route = ctx?.oidc?.route;
    const clientId = route === 'token' || route === 'revocation' ? ctx?.oidc?.client?.clientId : undefined;
    logger.info({ requestId: ctx?.state?.requestId, route, grantId, clientId }, route === 'token' ? 'grant revoked: a code or refresh token was used twice' : 'grant revoked');
    // A reused refresh token is an entity by then; a reused authorization or device code is not,
    // and the adapter noted its account when it found it used (oidc/replayed-grant-source.ts).
    if (route === 'token') {
      const grantType = ctx?.oidc?.params?.grant_type;
      const accountId = ctx?.oidc?.entities?.RefreshToken?.accountId ?? accountOfReplayedGrantSource(ctx);
      audit.record({ event: 'token.reuse_detected', clientId, accountId, grantType: typeof grantType === 'string' ? grantType : undefined });
    }
  });
  // A refresh token used: which app, for whom, and (the line's origin) from where. A stolen refresh
  // token shows as uses from an address the app does not use; where rotation would not catch it
  // (a confidential client's token is not rotated), these lines are all there is. Codes exchanged
  // are not written: the sign-in before them was. Every other grant type is left out here.
  type GrantContext = { oidc?: { params?: { grant_type?: unknown }; client?: { clientId: string }; entities?: { RefreshToken?: { accountId?: string } } } };
  provider.on('grant.success', (ctx: GrantContext) => {
    if (ctx.oidc?.params?.grant_type !== 'refresh_token') return;
    const clientId = ctx.oidc.client?.clientId;
    const accountId = ctx.oidc.entities?.RefreshToken?.accountId;
    if (clientId && accountId) audit.record({ event: 'token.refreshed', clientId, accountId });
  });
  // Sign-outs queue a logout token per app (oidc/queued-back-channel-logout.ts); the mail worker
  // reports what became of each (instrumentDelivery, reportDeliveryFailure). Also emitted by a
  // sign-out everywhere (oidc/end-account-sessions.ts), from the CLI too, where there is no
  // request at all: ctx may be undefined.
  type BackchannelContext = { state?: { requestId?: string } } | undefined;
  type BackchannelClient = { clientId: string };
  provider.on('backchannel.success', (ctx: BackchannelContext, client: BackchannelClient) => {
    metrics.backchannelLogouts.inc({ client_id: client.clientId, result: 'queued' });
    logger.info({ requestId: ctx?.state?.requestId, clientId: client.clientId }, 'back-channel logout queued');
  });
  // An app that missed the notice still holds its own session for this person: the operator should know which.
  provider.on('backchannel.error', (ctx: BackchannelContext, error: Error, client: BackchannelClient) => {
    metrics.backchannelLogouts.inc({ client_id: client.clientId, result: 'failed' });
    const reason = describeFailure(error);
    logger.warn({ requestId: ctx?.state?.requestId, clientId: client.clientId, reason }, 'back-channel logout could not be queued: the app may still show this person as signed in');
    audit.record({ event: 'backchannel_logout.failed', clientId: client.clientId, stage: 'queue', reason });
  });
  provider.on('server_error', (ctx: { state?: { requestId?: string }; path?: string }, error: Error) => {
    logger.error({ err: error, requestId: ctx.state?.requestId, path: ctx.path }, 'oidc-provider server error');
  });
}

// fetch's own message is "fetch failed" whatever went wrong; the cause says what (ECONNREFUSED, a timeout).
function describeFailure(error: Error): string {
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${error.message}: ${cause.code ?? cause.message ?? String(cause)}` : error.message;
}

const GRANT_TYPE_OF_MODEL: Readonly<Record<string, string>> = { AuthorizationCode: 'authorization_code', RefreshToken: 'refresh_token', DeviceCode: DEVICE_CODE_GRANT_TYPE };

/**
 * The store adapter's onRaceRevoked: a code or refresh token used twice at once (a thief racing
 * the app, or the app itself retrying) revokes its grant in the adapter, where the library's
 * `grant.revoked` never fires; the operator gets the line a replay one after the other gives.
 */
export function reportRaceRevocation({ logger, audit }: { logger: Logger; audit: AuditLog }) {
  return (model: string, record: AdapterPayload) => {
    const clientId = typeof record.clientId === 'string' ? record.clientId : undefined;
    logger.info({ grantId: record.grantId, clientId, model }, 'grant revoked: a code or refresh token was used twice at once');
    audit.record({ event: 'token.reuse_detected', clientId, accountId: typeof record.accountId === 'string' ? record.accountId : undefined, grantType: GRANT_TYPE_OF_MODEL[model] });
  };
}
