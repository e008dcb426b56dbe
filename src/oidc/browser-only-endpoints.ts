import type { Context, Next } from 'koa';
import { HttpError } from '../http/errors.ts';

/**
 * The endpoints a browser is sent to (the library's default routes). OpenID Connect also lists
 * POST for them, but a POST from an app's site would arrive without the session cookie, which is
 * SameSite=Lax so that no other site can submit forms into a signed-in session: the library
 * leaves them GET-only (enableHttpPostMethods off), and would answer POST "page not found".
 */
const GET_ONLY = new Set(['/auth', '/session/end']);

/** In front of the provider: POST (or any other method) there is a 405 with `Allow` that says to use GET. */
export async function refuseOtherMethodsAtBrowserEndpoints(ctx: Context, next: Next) {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS' && GET_ONLY.has(ctx.path)) {
    throw new HttpError(405, 'method_not_allowed', 'That request did not work', `Send the browser here with GET (a link or redirect), not ${ctx.method}: this endpoint takes GET only.`, { Allow: 'GET, HEAD' });
  }
  return next();
}
