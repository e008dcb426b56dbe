import type Provider from 'oidc-provider';
import type { Session } from 'oidc-provider';
import { hmacSha256 } from '../auth/secrets.ts';
import { clientDisplayName } from '../interaction/client-name.ts';
import type { Store } from '../store/store.ts';
import { accountSessionsIndex } from './account-sessions-index.ts';
import { endBrowserSessions, liveSessionsOf, type EndedSessions } from './end-account-sessions.ts';
import { sessionDevices } from './session-devices.ts';

/** One browser signed in to the account, as its owner sees it on the account page. */
export interface BrowserSession {
  /** Names it in forms: a keyed hash of the session id, which is the browser's cookie (a bearer secret) and never leaves the server. */
  handle: string;
  /** "Firefox on Linux", or undefined for a session signed in before Sesame kept this. */
  device: string | undefined;
  /** The latest sign-in in that browser (an email proven, or a step-up). */
  signedInAt: Date;
  /** How it was proven: 'email', and 'otp' with an authenticator code. */
  amr: string[];
  /** The apps that browser signed in to, by name. */
  apps: string[];
  /** The browser asking. */
  current: boolean;
}

const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The account's signed-in browsers, for the account page: listed from the account's index of
 * sessions (account-sessions-index.ts), and signed out one at a time or all but the one asking
 * (OWASP ASVS V3.3.4). Signing a browser out is what "Sign out of Sesame on this browser" does
 * there: the session ends, its apps' grants and tokens are revoked, and apps with a back-channel
 * address are told (queued).
 */
export function createBrowserSessions({ store, provider, hmacKey, sessionSeconds }: { store: Store; provider: Provider; hmacKey: string; sessionSeconds: number }) {
  const index = accountSessionsIndex(store, { sessionSeconds });
  const handleOf = (sessionId: string) => hmacSha256(hmacKey, 'browser-session', sessionId);
  const liveSessions = async (accountId: string) => liveSessionsOf(provider, accountId, await index.read(accountId));

  async function describe(session: Session, device: string | undefined, currentSessionId: string | undefined): Promise<BrowserSession> {
    const apps = await Promise.all(
      Object.keys(session.authorizations ?? {}).map(async (clientId) => {
        const client = await provider.Client.find(clientId);
        // An app removed from the clients file since: its id, which is what the operator knows it by.
        return clientDisplayName(client?.clientName ?? clientId);
      }),
    );
    return {
      handle: handleOf(session.jti),
      device,
      signedInAt: new Date((session.loginTs ?? session.iat ?? 0) * 1000),
      amr: session.amr ?? [],
      apps: apps.sort((a, b) => a.localeCompare(b)),
      current: session.jti === currentSessionId,
    };
  }

  return {
    isHandle: (value: unknown): value is string => typeof value === 'string' && HANDLE.test(value),

    /** Newest sign-in first; the browser asking first of all. */
    async list(accountId: string, currentSessionId: string | undefined): Promise<BrowserSession[]> {
      const live = await liveSessions(accountId);
      const devices = await sessionDevices(store, live.map((session) => session.jti));
      const sessions = await Promise.all(live.map((session, i) => describe(session, devices[i], currentSessionId)));
      return sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.signedInAt.getTime() - a.signedInAt.getTime());
    },

    /**
     * Signs out the browser `handle` names, or with 'others' every browser but the one asking.
     * Never the one asking: that is the ordinary sign-out. Handles only ever match this account's
     * own sessions, so another person's cannot be named.
     */
    async signOut(accountId: string, which: string | 'others', currentSessionId: string | undefined, { ctx }: { ctx?: unknown } = {}): Promise<EndedSessions> {
      const chosen = (await liveSessions(accountId)).filter((session) => session.jti !== currentSessionId && (which === 'others' || handleOf(session.jti) === which));
      const ended = await endBrowserSessions(provider, accountId, chosen, { ctx, revokeGrants: true });
      await index.forget(accountId, chosen.map((session) => session.jti));
      return ended;
    },
  };
}

export type BrowserSessions = ReturnType<typeof createBrowserSessions>;
