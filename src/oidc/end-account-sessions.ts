import type Provider from 'oidc-provider';
import type { Client, Session } from 'oidc-provider';
import type { Store } from '../store/store.ts';
import { accountSessionsIndex } from './account-sessions-index.ts';

/** What became of one app's logout token here: on the durable queue, for the mail worker to send (and retry). */
export type BackChannelNotice = { clientId: string; result: 'queued' } | { clientId: string; result: 'failed'; reason: string };

export interface EndedSessions {
  /** How many of the account's browser sessions were ended. */
  sessionsEnded: number;
  /** One per app per session, for apps with a `backchannel_logout_uri`. */
  backChannelLogouts: BackChannelNotice[];
}

export type EndAccountSessions = (accountId: string, options?: { ctx?: unknown }) => Promise<EndedSessions>;

// Client#backchannelLogout (oidc/queued-back-channel-logout.ts puts the token on the queue); the library's types leave it out.
export type NotifiableClient = Client & { backchannelLogout(sub: string, sid: string | undefined): Promise<void> };

/**
 * Ends every browser session of an account, as a sign-out of Sesame in each of those browsers
 * would, and tells the apps (OpenID Connect Back-Channel Logout 1.0): for each session, each app
 * that signed in through it and registered a `backchannel_logout_uri` gets a logout token with the
 * session's `sid` for that app. The tokens are the ones the library's end_session action makes
 * (Client#backchannelLogout), queued the same way (the mail worker sends them, retrying an app that
 * is down), and reported through the same `backchannel.success` / `backchannel.error` events.
 *
 * Used by every account-wide sign-out (a change of address, `user sign-out`, `user reset-mfa`) and
 * by deleting an account. When this resolves the sessions are gone and the tokens queued; nothing
 * here waits for an app.
 *
 * The grants are left to the caller's own rule: the account's stamp (`signedOutAt`, or its removal)
 * already refuses every token issued before it, offline_access ones included.
 */
export function createEndAccountSessions({ store, provider, sessionSeconds }: { store: Store; provider: Provider; sessionSeconds: number }): EndAccountSessions {
  const index = accountSessionsIndex(store, { sessionSeconds });
  return async function endAccountSessions(accountId, { ctx } = {}) {
    const ids = await index.read(accountId);
    const ended = await endBrowserSessions(provider, accountId, await liveSessionsOf(provider, accountId, ids), { ctx, revokeGrants: false });
    // Every entry read, on every day it was saved: ended now, or ended before.
    await index.forget(accountId, ids);
    return ended;
  };
}

/** The sessions among `ids` that still exist and are still this account's. */
export async function liveSessionsOf(provider: Provider, accountId: string, ids: readonly string[]): Promise<Session[]> {
  const found = (await Promise.all(ids.map((id) => provider.Session.find(id)))) as (Session | undefined)[];
  // Expired, or since signed in as someone else in that browser: not this account's any more.
  return found.filter((session): session is Session => session !== undefined && session.accountId === accountId);
}

/**
 * Ends these sessions of the account as "Sign out of Sesame" in each browser would: each app with
 * a back-channel address that signed in through one gets a logout token (queued), and the session
 * goes. `revokeGrants`: also what the apps got through them (their tokens), as the library's own
 * sign-out does; an account-wide sign-out leaves that to the account's stamp, which refuses every
 * token issued before it. The caller takes them out of the account's index.
 */
export async function endBrowserSessions(provider: Provider, accountId: string, sessions: readonly Session[], { ctx, revokeGrants: alsoGrants }: { ctx?: unknown; revokeGrants: boolean }): Promise<EndedSessions> {
  const notices: { client: NotifiableClient; sid: string | undefined }[] = [];
  const grantIds: string[] = [];
  await Promise.all(
    sessions.map(async (session) => {
      for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
        if (alsoGrants && authorization.grantId) grantIds.push(authorization.grantId);
        const client = (await clientFor(provider, clientId)) as NotifiableClient | undefined;
        if (client?.backchannelLogoutUri) notices.push({ client, sid: session.sidFor(client.clientId) });
      }
      await session.destroy();
    }),
  );
  await revokeGrants(provider, grantIds, { ctx });
  const backChannelLogouts = await sendLogoutTokens(provider, accountId, notices, { ctx });
  return { sessionsEnded: sessions.length, backChannelLogouts };
}

// A listener's throw must not undo a sign-out that already happened.
function emitSafely(provider: Provider, ...args: Parameters<Provider['emit']>) {
  try {
    provider.emit(...args);
  } catch {}
}

/** Revokes these grants as the library's own sign-out does: every token and code of each (the store indexes them by grant), then the grant. */
export async function revokeGrants(provider: Provider, grantIds: readonly string[], { ctx }: { ctx?: unknown }): Promise<void> {
  await Promise.all(
    grantIds.map(async (grantId) => {
      await provider.AccessToken.revokeByGrantId(grantId);
      await (provider.Grant as unknown as { adapter: { destroy(id: string): Promise<void> } }).adapter.destroy(grantId);
      emitSafely(provider, 'grant.revoked', ctx, grantId);
    }),
  );
}

/** Queues each app's logout token for its session `sid` (the mail worker sends them), reported through `backchannel.success` / `backchannel.error`. */
export function sendLogoutTokens(provider: Provider, accountId: string, notices: readonly { client: NotifiableClient; sid: string | undefined }[], { ctx }: { ctx?: unknown }): Promise<BackChannelNotice[]> {
  return Promise.all(
    notices.map(({ client, sid }) =>
      client.backchannelLogout(accountId, sid).then(
        (): BackChannelNotice => {
          emitSafely(provider, 'backchannel.success', ctx, client, accountId, sid);
          return { clientId: client.clientId, result: 'queued' };
        },
        (error: Error): BackChannelNotice => {
          emitSafely(provider, 'backchannel.error', ctx, error, client, accountId, sid);
          return { clientId: client.clientId, result: 'failed', reason: error.message };
        },
      ),
    ),
  );
}

/** The app, or undefined where it is no longer registered (as the library's end_session does). */
export async function clientFor(provider: Provider, clientId: string): Promise<Client | undefined> {
  try {
    return await provider.Client.find(clientId);
  } catch (error) {
    // Told by its code, not by `instanceof errors.InvalidClient`: importing the library's errors
    // here would load all of oidc-provider into the CLI (src/cli), a second per command.
    if ((error as { error?: unknown }).error === 'invalid_client') return undefined;
    throw error;
  }
}
