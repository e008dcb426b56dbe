import type { Context, Next } from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import type { RequestScopes } from '../store/request-scope.ts';
import { oidcRecordKey } from '../store/keys.ts';
import { relatedRecordKeys } from './related-records.ts';

const RESUME = /^\/auth\/([A-Za-z0-9_-]{1,64})$/;

/**
 * Before oidc-provider handles an authorization request, start reading what it will ask for first:
 * the browser's session (named by the `_session` cookie) and, when the request resumes an
 * interaction (/auth/:uid), that interaction. The provider checks the cookie's signature itself
 * before it uses the session; reading a record early only changes when it arrives.
 */
export function prefetchAuthorizationRecords(prefetch: RequestScopes['prefetch']) {
  return async function prefetchSession(ctx: Context, next: Next) {
    if (ctx.method === 'GET' && ctx.path.startsWith('/auth')) {
      const models: string[] = [];
      const keys: string[] = [];
      const sessionId = ctx.cookies.get('_session', { signed: false });
      if (sessionId && /^[A-Za-z0-9_-]{1,64}$/.test(sessionId)) {
        models.push('Session');
        keys.push(oidcRecordKey('Session', sessionId));
      }
      const resume = RESUME.exec(ctx.path);
      if (resume) {
        models.push('Interaction');
        keys.push(oidcRecordKey('Interaction', resume[1]!));
      }
      // Then, in one more batch, what those point to: account, grants, the session by its uid.
      prefetch(keys, (values) => prefetch(values.flatMap((value, i) => (value ? relatedRecordKeys(models[i]!, value as AdapterPayload) : []))));
    }
    return next();
  };
}
