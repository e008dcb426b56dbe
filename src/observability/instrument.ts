import type Provider from 'oidc-provider';
import type { SignInCodes } from '../auth/sign-in-codes.ts';
import type { Logger } from '../logger.ts';
import type { DeliverMail } from '../mail/deliver-mail.ts';
import type { MailQueue } from '../mail/mail-queue.ts';
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

/** Counts mails accepted by the queue. */
export function instrumentMailQueue(queue: MailQueue, metrics: Metrics): MailQueue {
  return {
    ...queue,
    async enqueue(job, options) {
      await queue.enqueue(job, options);
      metrics.mailsQueued.inc();
    },
  };
}

/** Counts each delivery attempt's outcome; a failed attempt rethrows so the queue retries it. */
export function instrumentDelivery(deliver: DeliverMail, metrics: Metrics): DeliverMail {
  return async (job) => {
    try {
      const outcome = await deliver(job);
      if (outcome === 'sent') metrics.mailsSent.inc();
      else metrics.mailsSkipped.inc({ reason: outcome.replaceAll('-', '_') });
      return outcome;
    } catch (error) {
      metrics.mailSendFailures.inc();
      throw error;
    }
  };
}

/**
 * Sign-ins started (the email prompt was reached) and completed (a login result reached
 * oidc-provider, whichever route produced it: code, link, second factor), and oidc-provider's own
 * 500s, which it would otherwise swallow. Events, so the interaction routes carry no counting.
 */
export function observeProvider(provider: Provider, { metrics, logger }: { metrics: Metrics; logger: Logger }) {
  provider.on('interaction.started', (_ctx: unknown, prompt: { name: string }) => {
    if (prompt.name === 'login') metrics.signInsStarted.inc();
  });
  // Emitted when the browser comes back to /auth/:uid, after oidc-provider loaded the result. A
  // consent page's answer is merged with the login submitted before it: that login was counted
  // then. Consent given on the sign-in page itself arrives with its login (oidc/implied-grant.ts).
  provider.on('interaction.ended', (ctx: { oidc?: { result?: { login?: { amr?: string[] }; consent?: unknown } } }) => {
    const result = ctx.oidc?.result;
    const consent = result?.consent as { givenWithSignIn?: boolean } | undefined;
    if (result?.login && (!consent || consent.givenWithSignIn === true)) metrics.signInsCompleted.inc({ amr: (result.login.amr ?? []).join('+') || 'none' });
  });
  // Why an app's tokens stopped working, for the operator: a code or rotated refresh token used
  // twice (route token) revokes its whole grant, as do sign-out and the revocation endpoint. The
  // event names only the grant; the request's client owns it at the token and revocation
  // endpoints, but a sign-out revokes every app's grant from a request that names one app.
  provider.on('grant.revoked', (ctx: { oidc?: { route?: string; client?: { clientId: string } }; state?: { requestId?: string } }, grantId: string) => {
    const route = ctx.oidc?.route;
    const clientId = route === 'token' || route === 'revocation' ? ctx.oidc?.client?.clientId : undefined;
    logger.info({ requestId: ctx.state?.requestId, route, grantId, clientId }, route === 'token' ? 'grant revoked: a code or refresh token was used twice' : 'grant revoked');
  });
  // An app that missed the notice still holds its own session for this person: the operator should know which.
  // Also emitted by a sign-out everywhere (oidc/end-account-sessions.ts), after its request has
  // answered or from the CLI, where there is no request at all: ctx may be undefined.
  type BackchannelContext = { state?: { requestId?: string } } | undefined;
  type BackchannelClient = { clientId: string };
  provider.on('backchannel.success', (ctx: BackchannelContext, client: BackchannelClient) => {
    metrics.backchannelLogouts.inc({ client_id: client.clientId, result: 'delivered' });
    logger.info({ requestId: ctx?.state?.requestId, clientId: client.clientId }, 'back-channel logout delivered');
  });
  provider.on('backchannel.error', (ctx: BackchannelContext, error: Error, client: BackchannelClient) => {
    metrics.backchannelLogouts.inc({ client_id: client.clientId, result: 'failed' });
    logger.warn({ requestId: ctx?.state?.requestId, clientId: client.clientId, reason: describeFailure(error) }, 'back-channel logout failed: the app may still show this person as signed in');
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
