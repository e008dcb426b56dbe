import type { Context } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import type { RequestScopes } from '../store/request-scope.ts';
import { oidcRecordKey, oidcSessionUidKey } from '../store/keys.ts';

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The session named by this browser's `_session` cookie, for reading it early. Unverified on
 * purpose: oidc-provider checks the cookie's signature before it uses the session, and reading a
 * record early only changes when it arrives.
 */
export function sessionOfCookie(ctx: Context): { id: string; key: string } | undefined {
  const id = ctx.cookies.get('_session', { signed: false });
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
