import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { HttpError } from './errors.ts';

/**
 * After a router's routes: a path it knows, asked with a method it does not take, is answered 405
 * with `Allow` (RFC 9110 §15.5.6), as a page or JSON like every other error, instead of "not
 * found"; OPTIONS gets the `Allow` list.
 */
export function rejectOtherMethods(router: Router) {
  const allowedMethods = router.allowedMethods();
  return async function methodNotAllowed(ctx: Context, next: Next) {
    // Only what allowedMethods itself turned into a 405 or 501: a status set further down (by
    // oidc-provider, say) is that middleware's answer and stays as it is.
    let downstreamStatus: number | undefined;
    await allowedMethods(ctx as never, async () => {
      await next();
      downstreamStatus = ctx.status;
    });
    if (ctx.status === downstreamStatus || (ctx.status !== 405 && ctx.status !== 501)) return;
    const allow = ctx.response.get('Allow');
    // allowedMethods answers 501 for any method outside its list (TRACE, PROPFIND, ...), and does
    // so on every path, known or not, since it sees a matched-routes list even when it is empty.
    // Node's parser lets through only methods it knows, so none is "unrecognized" (the case 501 is
    // for): on a path of this router it is one more method the page does not take (405); on any
    // other path the answer stays the one from further down, "not found". Either way a scanner's
    // probe is a client error, not a 5xx in the metrics and an error with a stack in the log.
    if (allow === '') {
      ctx.remove('Allow');
      ctx.status = downstreamStatus!;
      return;
    }
    throw new HttpError(405, 'method_not_allowed', { key: 'error.request.title' }, { key: 'error.methodNotAllowed', params: { method: ctx.method } }, { Allow: allow });
  };
}
