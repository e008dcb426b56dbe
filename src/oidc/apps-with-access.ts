import type Provider from 'oidc-provider';
import type { AdapterPayload, Session } from 'oidc-provider';
import { ACCOUNT_CLIENT_ID } from '../account/account-client.ts';
import type { Account, Accounts } from '../accounts/accounts.ts';
import { derivedFromClients, type CurrentClients } from './client-registry.ts';
import { appNamesOf } from '../interaction/client-name.ts';
import { oidcGrantIndexKey, oidcRecordKey, oidcRecordKeyPrefix } from '../store/keys.ts';
import type { Store } from '../store/store.ts';
import { accountOfflineGrantsIndex } from './account-offline-grants-index.ts';
import { accountSessionsIndex } from './account-sessions-index.ts';
import { appTakesAddressByClient } from './app-email-domains.ts';
import { clientTokenCutoffs, issuedBeforeCutoff } from './client-token-cutoff.ts';
import { clientFor, liveSessionsOf, revokeGrants, sendLogoutTokens, type NotifiableClient } from './end-account-sessions.ts';

/** One app that can act for the account now, as its owner sees it on the account page. */
export interface AppWithAccess {
  clientId: string;
  name: string;
  /** What it was given beyond knowing it is you (`openid`): `email`, and `offline_access` while it holds a refresh token. */
  scopes: string[];
  /** Claims it asked for one by one (the `claims` parameter). */
  claims: string[];
  /** How many browsers signed in now have signed in to it. */
  browsers: number;
  /** It holds a refresh token: it keeps access while the person is away, after those browsers sign out or expire. */
  offline: boolean;
  /** When the earliest access it holds now was given. */
  since: Date;
}

interface GrantRecord {
  accountId?: string;
  clientId?: string;
  openid?: { scope?: string; claims?: string[] };
  iat?: number;
  exp?: number;
}

/**
 * "Apps with access" on the account page: every app that can act for the account now, found
 * through the account's signed-in browsers (their apps' grants) and its grants with offline
 * access (which outlive their browser: account-offline-grants-index.ts). Read from storage without
 * oidc-provider, so the CLI can list them too. An offline grant that has ended is forgotten from the
 * index (one whose record is gone, once it has been gone for longer than a grant being made can
 * lack it); one that lives but holds no refresh token now stays in it (its app may be about to
 * exchange a code for one: a grant is indexed only when saved, and a grant given offline access
 * later keeps its first `iat`), and goes with its period's set. Only apps registered now are
 * listed: the provider refuses every token of an app removed from the clients file. So is every
 * token of an app whose `allowed_email_domains` leave out the account's address (find-account.ts),
 * and its browsers are asked for another address: such an app is not listed either. Nor are
 * refresh tokens from before the app's `tokens_not_before`, refused too: an app that held only
 * those is listed only while a signed-in browser can still sign in to it. Both rules are read from
 * the registrations, in memory: no round trip.
 */
export function createAppsWithAccessList({
  store,
  sessionSeconds,
  grantSeconds,
  clients,
  now = () => Date.now(),
}: {
  store: Store;
  sessionSeconds: number;
  grantSeconds: number;
  /** The registrations in force (oidc/client-registry.ts). */
  clients: CurrentClients;
  /** @default Date.now */
  now?: () => number;
}) {
  const sessionsIndex = accountSessionsIndex(store, { sessionSeconds, now });
  const offlineIndex = accountOfflineGrantsIndex(store, { grantSeconds, now });
  // Built again only after a reload of the clients file.
  const rules = derivedFromClients(clients, (registered) => ({
    appName: appNamesOf(registered),
    appTakesAddress: appTakesAddressByClient(registered),
    tokenCutoffOf: clientTokenCutoffs(registered),
    // The account page itself is Sesame, not an app acting for the person; an app no longer registered has no access.
    listed: new Set(registered.map((client) => client.client_id).filter((clientId) => clientId !== ACCOUNT_CLIENT_ID)),
  }));

  /**
   * When the chain of each refresh token the grant holds began (its first issue, as find-account.ts
   * weighs it against the app's cutoff); none when it holds none. A rotated one leaves the index
   * in the batch that saves the one replacing it (oidc/store-adapter.ts keepForReuseDetection), so
   * a grant read while its token is being rotated still counts as holding one (but for the moment
   * between two commands of that batch); what is kept of it after is not counted.
   */
  async function refreshTokensBegan(grantId: string): Promise<(number | undefined)[]> {
    const tokenKeys = (await store.readIndex(oidcGrantIndexKey(grantId))).filter((key) => key.startsWith(oidcRecordKeyPrefix('RefreshToken')));
    if (tokenKeys.length === 0) return [];
    return (await store.getMany<{ iiat?: number; iat?: number }>(tokenKeys)).flatMap((record) => (record === undefined ? [] : [record.iiat ?? record.iat]));
  }

  /** The account's live grants that give access now: each with how many signed-in browsers reach it, and whether it holds a refresh token. */
  async function grantsOf(accountId: string) {
    const [sessionIds, offlineIds] = await Promise.all([sessionsIndex.read(accountId), offlineIndex.read(accountId)]);
    const sessions = await store.getMany<AdapterPayload>(sessionIds.map((id) => oidcRecordKey('Session', id)));
    // Taken before the grant records are read: forgetEnded weighs what they lacked against it.
    const lookedUpAtMs = now();
    const nowSeconds = lookedUpAtMs / 1000;
    const browsersByGrant = new Map<string, number>();
    for (const session of sessions) {
      if (session?.accountId !== accountId || (typeof session.exp === 'number' && session.exp <= nowSeconds)) continue;
      for (const authorization of Object.values((session.authorizations as Record<string, { grantId?: string }> | undefined) ?? {})) {
        if (authorization.grantId) browsersByGrant.set(authorization.grantId, (browsersByGrant.get(authorization.grantId) ?? 0) + 1);
      }
    }
    const grantIds = [...new Set([...browsersByGrant.keys(), ...offlineIds])];
    const records = await store.getMany<GrantRecord>(grantIds.map((id) => oidcRecordKey('Grant', id)));
    const live = grantIds.flatMap((id, i) => {
      const grant = records[i];
      const alive = grant?.accountId === accountId && typeof grant.clientId === 'string' && !(typeof grant.exp === 'number' && grant.exp <= nowSeconds);
      return alive ? [{ id, grant: grant as GrantRecord & { clientId: string }, browsers: browsersByGrant.get(id) ?? 0 }] : [];
    });
    // Only a refresh token lets an app act without a browser signed in: check the grants that may hold one.
    const refreshTokens = await Promise.all(live.map(({ id, grant }) => ((grant.openid?.scope ?? '').split(' ').includes('offline_access') ? refreshTokensBegan(id) : [])));
    // Only what has ended. An entry without a record may be of a grant being made (the adapter
    // writes the entry just before the record): forgetEnded waits until it cannot be.
    const notLive = offlineIds.filter((id) => !live.some((entry) => entry.id === id));
    if (notLive.length > 0) {
      const found = (id: string) => records[grantIds.indexOf(id)] !== undefined;
      await offlineIndex.forgetEnded(accountId, { ended: notLive.filter(found), missing: notLive.filter((id) => !found(id)), lookedUpAtMs });
    }
    return live.map((entry, i) => ({ ...entry, refreshTokensBegan: refreshTokens[i]!, offline: refreshTokens[i]!.length > 0 })).filter((entry) => entry.browsers > 0 || entry.offline);
  }

  /**
   * What of the grant the app can use now, by its registration: nothing at all where its domains
   * leave out the address; refresh tokens only from its cutoff on.
   */
  function usable(account: Pick<Account, 'email'>, { grant, browsers, refreshTokensBegan }: Awaited<ReturnType<typeof grantsOf>>[number]) {
    const { appTakesAddress, tokenCutoffOf } = rules();
    if (!appTakesAddress(grant.clientId, account.email)) return { browsers: 0, offline: false };
    const cutoff = tokenCutoffOf(grant.clientId);
    return { browsers, offline: refreshTokensBegan.some((began) => !issuedBeforeCutoff(cutoff, began)) };
  }

  return {
    grantsOf,
    /** Whether the app can be listed (and so named in a form): registered, and not the account page. */
    isListedApp: (value: unknown): value is string => typeof value === 'string' && rules().listed.has(value),

    /** By name. */
    async list(account: Pick<Account, 'id' | 'email'>): Promise<AppWithAccess[]> {
      const apps = new Map<string, AppWithAccess>();
      const grants = await grantsOf(account.id);
      const { listed, appName } = rules();
      for (const entry of grants) {
        const { grant } = entry;
        const { browsers, offline } = usable(account, entry);
        if (!listed.has(grant.clientId) || (browsers === 0 && !offline)) continue;
        const app = apps.get(grant.clientId) ?? { clientId: grant.clientId, name: appName(grant.clientId), scopes: [], claims: [], browsers: 0, offline: false, since: new Date((grant.iat ?? 0) * 1000) };
        const scopes = (grant.openid?.scope ?? '').split(' ').filter((scope) => scope !== '' && scope !== 'openid');
        app.scopes = [...new Set([...app.scopes, ...scopes])].sort();
        app.claims = [...new Set([...app.claims, ...(grant.openid?.claims ?? [])])].sort();
        app.browsers += browsers;
        app.offline ||= offline;
        if ((grant.iat ?? 0) * 1000 < app.since.getTime()) app.since = new Date((grant.iat ?? 0) * 1000);
        apps.set(grant.clientId, app);
      }
      // Offline access granted but no refresh token held (never issued, or expired): nothing to show.
      for (const app of apps.values()) if (!app.offline) app.scopes = app.scopes.filter((scope) => scope !== 'offline_access');
      return [...apps.values()].sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}

/**
 * The list above, and "Remove access": what one app was given ends, as if it had never been
 * signed in to. The account records the removal first (find-account.ts then refuses every token
 * the app got before it, even one no index finds, and a request in flight cannot bring one back),
 * the grants and their tokens are revoked, the browsers signed in to the app forget it (so it must
 * ask for consent again), and an app with a back-channel address is told for each of those
 * sessions, so it ends its own.
 */
export function createAppsWithAccess({
  store,
  provider,
  accounts,
  sessionSeconds,
  grantSeconds,
  clients,
}: {
  store: Store;
  provider: Provider;
  accounts: Pick<Accounts, 'removeAppAccess'>;
  sessionSeconds: number;
  grantSeconds: number;
  clients: CurrentClients;
}) {
  const listing = createAppsWithAccessList({ store, sessionSeconds, grantSeconds, clients });
  const sessionsIndex = accountSessionsIndex(store, { sessionSeconds });
  const offlineIndex = accountOfflineGrantsIndex(store, { grantSeconds });

  return {
    list: listing.list,

    /** Only a registered app can be named: any other is refused by the provider already, and the account keeps no note of arbitrary text. */
    isRegisteredApp: listing.isListedApp,

    /** How many of the account's grants of the app were revoked (0: it had none left). */
    async removeAccess(accountId: string, clientId: string, { ctx }: { ctx?: unknown } = {}): Promise<{ grantsRevoked: number }> {
      await accounts.removeAppAccess(accountId, clientId, { keepSeconds: grantSeconds });
      const grantIds = (await listing.grantsOf(accountId)).filter(({ grant }) => grant.clientId === clientId).map(({ id }) => id);
      const sessions = (await liveSessionsOf(provider, accountId, await sessionsIndex.read(accountId))).filter((session) => session.authorizations?.[clientId] !== undefined);
      const client = (await clientFor(provider, clientId)) as NotifiableClient | undefined;
      const notices = client?.backchannelLogoutUri ? sessions.map((session) => ({ client, sid: session.sidFor(clientId) })) : [];
      await Promise.all(sessions.map((session) => forgetApp(session, clientId)));
      await revokeGrants(provider, grantIds, { ctx });
      await offlineIndex.forget(accountId, grantIds);
      await sendLogoutTokens(provider, accountId, notices, { ctx });
      return { grantsRevoked: grantIds.length };
    },
  };
}

/** The browser keeps its sign-in to Sesame, but no longer counts as signed in to the app. */
async function forgetApp(session: Session, clientId: string): Promise<void> {
  delete session.authorizations![clientId];
  await session.save(Math.max(1, session.remainingTTL));
}

export type AppsWithAccessList = ReturnType<typeof createAppsWithAccessList>;
export type AppsWithAccess = ReturnType<typeof createAppsWithAccess>;
