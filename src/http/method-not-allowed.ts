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
    throw new HttpError(ctx.status, ctx.status === 405 ? 'method_not_allowed' : 'not_implemented', 'That request did not work', `This page does not take ${ctx.method} requests.`, allow ? { Allow: allow } : {});
  };
}
