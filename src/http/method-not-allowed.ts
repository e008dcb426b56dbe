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
    await allowedMethods(ctx as never, next);
    if (ctx.status !== 405 && ctx.status !== 501) return;
    const allow = ctx.response.get('Allow');
    throw new HttpError(ctx.status, ctx.status === 405 ? 'method_not_allowed' : 'not_implemented', 'That request did not work', `This page does not take ${ctx.method} requests.`, allow ? { Allow: allow } : {});
  };
}
