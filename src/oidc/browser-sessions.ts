import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { Account, Accounts } from '../accounts/accounts.ts';
import { hmacSha256 } from '../auth/secrets.ts';
import { derivedFromClients, type CurrentClients } from './client-registry.ts';
import { appNamesOf } from '../interaction/client-name.ts';
import { oidcRecordKey } from '../store/keys.ts';
import type { Store } from '../store/store.ts';
import { accountSessionsIndex } from './account-sessions-index.ts';
import { appTakesAddressByClient } from './app-email-domains.ts';
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
 * The account's signed-in browsers as its owner (the account page) or the administrator (`user
 * show`) sees them: read from the account's index of sessions (account-sessions-index.ts) and the
 * session records themselves, without oidc-provider, so the CLI needs no signing keys for it.
 */
export function createBrowserSessionList({ store, hmacKey, sessionSeconds, clients }: { store: Store; hmacKey: string; sessionSeconds: number; clients: CurrentClients }) {
  const index = accountSessionsIndex(store, { sessionSeconds });
  // Built again only after a reload of the clients file.
  const rules = derivedFromClients(clients, (registered) => ({ appName: appNamesOf(registered), appTakesAddress: appTakesAddressByClient(registered) }));
  const handleOf = (sessionId: string) => hmacSha256(hmacKey, 'browser-session', sessionId);
  return {
    /** Names a session in forms: a keyed hash of its id, which is the browser's cookie and never leaves the server. */
    handleOf,

    /** Newest sign-in first; the browser asking (`currentSessionId`) first of all. */
    async list(account: Pick<Account, 'id' | 'email'>, currentSessionId?: string): Promise<BrowserSession[]> {
      const accountId = account.id;
      const ids = await index.read(accountId);
      const records = await store.getMany<AdapterPayload>(ids.map((id) => oidcRecordKey('Session', id)));
      const nowSeconds = Date.now() / 1000;
      // Expired, or since signed in as someone else in that browser: not this account's any more.
      const live = ids.flatMap((id, i) => {
        const record = records[i];
        return record?.accountId === accountId && !(typeof record.exp === 'number' && record.exp <= nowSeconds) ? [{ id, record }] : [];
      });
      // An app counts as signed in through a browser while the grant it got there lives: one whose
      // access was removed (or revoked) may still be named by a session a request in flight saved back.
      const authorizationsOf = (record: AdapterPayload) => Object.entries((record.authorizations as Record<string, { grantId?: string }> | undefined) ?? {});
      const grantIds = [...new Set(live.flatMap(({ record }) => authorizationsOf(record).flatMap(([, { grantId }]) => (grantId ? [grantId] : []))))];
      const [devices, grants] = await Promise.all([sessionDevices(store, live.map(({ id }) => id)), store.getManyJson(grantIds.map((id) => oidcRecordKey('Grant', id)))]);
      const liveGrants = new Set(grantIds.filter((_, i) => grants[i] !== undefined));
      const { appName, appTakesAddress } = rules();
      const sessions = live.map(({ id, record }, i): BrowserSession => ({
        handle: handleOf(id),
        device: devices[i],
        signedInAt: new Date(((record.loginTs as number | undefined) ?? record.iat ?? 0) * 1000),
        amr: (record.amr as string[] | undefined) ?? [],
        apps: authorizationsOf(record)
          .filter(([, { grantId }]) => grantId !== undefined && liveGrants.has(grantId))
          // As on Apps with access: an app whose allowed_email_domains leave out the address has
          // its tokens refused and the browser asked for another address, so it is not signed in.
          .filter(([clientId]) => appTakesAddress(clientId, account.email))
          .map(([clientId]) => appName(clientId))
          .sort((a, b) => a.localeCompare(b)),
        current: id === currentSessionId,
      }));
      return sessions.sort((a, b) => Number(b.current) - Number(a.current) || b.signedInAt.getTime() - a.signedInAt.getTime());
    },
  };
}

/**
 * The account page's "Where you are signed in": the list above, and signing browsers out one at a
 * time or all but the one asking (OWASP ASVS V3.3.4). Signing a browser out is what "Sign out of
 * Sesame on this browser" does there: the session ends, its apps' grants and tokens are revoked,
 * and apps with a back-channel address are told (queued).
 */
export function createBrowserSessions({
  store,
  provider,
  accounts,
  hmacKey,
  sessionSeconds,
  clients,
}: {
  store: Store;
  provider: Provider;
  accounts: Pick<Accounts, 'endSessions'>;
  hmacKey: string;
  sessionSeconds: number;
  clients: CurrentClients;
}) {
  const index = accountSessionsIndex(store, { sessionSeconds });
  const listing = createBrowserSessionList({ store, hmacKey, sessionSeconds, clients });

  return {
    isHandle: (value: unknown): value is string => typeof value === 'string' && HANDLE.test(value),

    list: (account: Pick<Account, 'id' | 'email'>, currentSessionId: string | undefined) => listing.list(account, currentSessionId),

    /**
     * Signs out the browser `handle` names, or with 'others' every browser but the one asking.
     * Never the one asking: that is the ordinary sign-out. Handles only ever match this account's
     * own sessions, so another person's cannot be named.
     */
    async signOut(accountId: string, which: string | 'others', currentSessionId: string | undefined, { ctx }: { ctx?: unknown } = {}): Promise<EndedSessions> {
      const live = await liveSessionsOf(provider, accountId, await index.read(accountId));
      const chosen = live.filter((session) => session.jti !== currentSessionId && (which === 'others' || listing.handleOf(session.jti) === which));
      // First on the account, which every use of a session reads: a request of such a browser in
      // flight now may save its session again after it is destroyed below.
      if (chosen.length > 0) await accounts.endSessions(accountId, chosen.map((session) => session.uid), { keepSeconds: sessionSeconds });
      const ended = await endBrowserSessions(provider, accountId, chosen, { ctx, revokeGrants: true });
      await index.forget(accountId, chosen.map((session) => session.jti));
      return ended;
    },
  };
}

export type BrowserSessionList = ReturnType<typeof createBrowserSessionList>;
export type BrowserSessions = ReturnType<typeof createBrowserSessions>;
