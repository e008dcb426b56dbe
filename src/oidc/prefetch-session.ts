import type { Context, Next } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import type { RequestScopes } from '../store/request-scope.ts';
import { oidcRecordKey } from '../store/keys.ts';
import { relatedRecordKeys, sessionRelatedKeys } from './related-records.ts';
import { rememberSessionByUid, sessionOfCookie } from './session-cookie.ts';
import { rememberCarriedRecords } from './carried-records.ts';

// Where a sign-in resumes: /auth/:uid, or /device/:uid for one a device's user code started.
const RESUME = /^\/(?:auth|device)\/([A-Za-z0-9_-]{1,64})$/;

/**
 * Before oidc-provider handles an authorization request, start reading what it will ask for first:
 * the browser's session (named by its session cookie) and, when the request resumes an
 * interaction (/auth/:uid, /device/:uid), that interaction. The provider checks the cookie's
 * signature itself before it uses the session; reading a record early only changes when it arrives.
 */
export function prefetchAuthorizationRecords(scopes: Pick<RequestScopes, 'prefetch' | 'warm' | 'remember'>) {
  return async function prefetchSession(ctx: Context, next: Next) {
    if (ctx.method === 'GET' && (ctx.path === '/auth' || RESUME.test(ctx.path))) {
      const session = sessionOfCookie(ctx);
      const resume = RESUME.exec(ctx.path);
      // One batch, awaited here where the provider would wait for it anyway; then, in one more
      // batch, what they point to: account, grants, the session by its uid.
      const keys = [session?.key, resume ? oidcRecordKey('Interaction', resume[1]!) : undefined];
      const values = await scopes.prefetch(keys.filter((key): key is string => key !== undefined));
      const sessionRecord = (session ? values[0] : undefined) as AdapterPayload | undefined;
      const interaction = (resume ? values.at(-1) : undefined) as AdapterPayload | undefined;
      if (session && sessionRecord) rememberSessionByUid(scopes, session.id, sessionRecord);
      rememberCarriedRecords(scopes, interaction);
      scopes.warm([...(sessionRecord ? sessionRelatedKeys(sessionRecord) : []), ...(interaction ? relatedRecordKeys('Interaction', interaction) : [])]);
    }
    return next();
  };
}
