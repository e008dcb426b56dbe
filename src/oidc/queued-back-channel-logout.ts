import { randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { MailQueue } from '../mail/mail-queue.ts';
import type { BackChannelLogoutJob } from './back-channel-logout-job.ts';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

// The library's own Client#backchannelLogout (lib/models/client.js) signs the token and posts it at
// once, in the request, once: its types leave the method out.
type ClientWithBackChannelLogout = { clientId: string; backchannelLogoutUri?: string; backchannelLogoutSessionRequired?: boolean };

/**
 * Makes every back-channel logout of this provider a job on the queue instead of a call made in the
 * request: the library's own sign-out (end_session, which otherwise holds the page until each app
 * answered, up to 2.5 s apiece) and Sesame's account-wide sign-outs alike, since both call
 * Client#backchannelLogout. The token is the one the library would send (an ID token with the
 * logout event, a fresh `jti`, the `sid` where the app asked for it, `typ: logout+jwt`); the
 * promise settles once the job is accepted, so the library's `backchannel.success` now means
 * "queued" and its `backchannel.error` "could not be queued".
 */
export function queueBackChannelLogouts(provider: Provider, queue: Pick<MailQueue, 'enqueue'>): void {
  const { IdToken } = provider as unknown as { IdToken: new (claims: object, options: { client: unknown; ctx: undefined }) => LogoutToken };
  Object.defineProperty(provider.Client.prototype, 'backchannelLogout', {
    configurable: true,
    writable: true,
    async value(this: ClientWithBackChannelLogout, sub: string, sid: string | undefined) {
      const token = new IdToken({ sub }, { client: this, ctx: undefined });
      // The subject is the account id as the app knows it (pairwise where the app is), unmasked.
      token.mask = { sub: null };
      token.set('events', { [LOGOUT_EVENT]: {} });
      token.set('jti', randomBytes(16).toString('base64url'));
      if (this.backchannelLogoutSessionRequired) token.set('sid', sid);
      const logoutToken = await token.issue({ use: 'logout' });
      const job: BackChannelLogoutJob = { kind: 'backchannel-logout', clientId: this.clientId, logoutToken, expiresAt: expiryOf(logoutToken) };
      await queue.enqueue(job);
    },
  });
}

interface LogoutToken {
  mask: Record<string, null>;
  set(claim: string, value: unknown): void;
  issue(options: { use: 'logout' }): Promise<string>;
}

/** The token's `exp`, read back from what was just signed. */
function expiryOf(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
  if (typeof payload.exp !== 'number') throw new Error('the logout token has no exp');
  return payload.exp;
}
