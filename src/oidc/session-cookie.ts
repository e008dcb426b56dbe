import type { Context } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import type { RequestScopes } from '../store/request-scope.ts';
import type { Store } from '../store/store.ts';
import { verifiedCookieValue } from '../http/signed-cookie.ts';
import { oidcRecordKey, oidcSessionUidKey } from '../store/keys.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

const HOST_ONLY_SESSION_COOKIE = '__Host-sesame-session';
const PLAIN_SESSION_COOKIE = '_session';

/**
 * The name of the browser's Sesame session cookie. On an https issuer it carries the `__Host-`
 * prefix: the browser then takes it only with Secure, Path=/ and no Domain, so a site on a sibling
 * subdomain (app.example.com beside id.example.com) cannot plant its own signed-in session in a
 * visitor's browser (session fixation, login CSRF). The prefix needs Secure, so a plain-http
 * issuer (local development) keeps the library's name.
 */
export function sessionCookieName(secureCookies: boolean): string {
  return secureCookies ? HOST_ONLY_SESSION_COOKIE : PLAIN_SESSION_COOKIE;
}

/**
 * The session named by this browser's session cookie, for reading it early. Unverified on
 * purpose: oidc-provider checks the cookie's signature before it uses the session, and reading a
 * record early only changes when it arrives (so trying both names costs nothing but a wasted read
 * of a cookie left over from before a move to https).
 */
export function sessionOfCookie(ctx: Context): { id: string; key: string } | undefined {
  const id = ctx.cookies.get(HOST_ONLY_SESSION_COOKIE, { signed: false }) ?? ctx.cookies.get(PLAIN_SESSION_COOKIE, { signed: false });
  return id && SESSION_ID.test(id) ? { id, key: oidcRecordKey('Session', id) } : undefined;
}

/**
 * A session is stored whole under its id and under its uid (oidc/store-adapter.ts), written in one
 * batch. Having read it by id, the request also knows it by uid, which is how interactions and
 * tokens look it up: one round trip instead of two chained ones.
 */
export function rememberSessionByUid(scopes: Pick<RequestScopes, 'remember'>, id: string, session: unknown) {
  const payload = session as AdapterPayload | undefined;
  if (payload?.uid) scopes.remember(oidcSessionUidKey(payload.uid), { ...payload, jti: id });
}

/**
 * The id of this browser's Sesame session, from its session cookie, signature checked (Koa's keys
 * are the provider's): which of the account's sessions is the one asking.
 */
export function verifiedSessionIdOf(ctx: Pick<Context, 'cookies'>, secureCookies: boolean): string | undefined {
  const id = verifiedCookieValue(ctx, sessionCookieName(secureCookies));
  return id && SESSION_ID.test(id) ? id : undefined;
}

/**
 * This browser's signed-in Sesame session, from its cookie (signature checked) and its record: its
 * uid, which outlives the new ids the library gives a session at each sign-in, and its account.
 */
export async function signedInSessionOf(store: Store, ctx: Pick<Context, 'cookies'>, secureCookies: boolean): Promise<{ uid: string; accountId: string } | undefined> {
  const id = verifiedSessionIdOf(ctx, secureCookies);
  const session = id ? await store.get<AdapterPayload>(oidcRecordKey('Session', id)) : undefined;
  return session?.uid && session.accountId ? { uid: session.uid, accountId: session.accountId } : undefined;
}

/** Whether the Sesame session with this uid is still signed in as `accountId` (the store adapter keeps it under its uid too, and deletes that with it). */
export async function isSessionSignedIn(store: Store, uid: string, accountId: string): Promise<boolean> {
  const session = await store.get<AdapterPayload>(oidcSessionUidKey(uid));
  return session?.accountId === accountId;
}
