import type { Context } from 'koa';

/**
 * GET (and HEAD) of an address that only takes a form's POST: 303 to the page that form belongs
 * to, instead of a 405 with no way back. `pageOf` builds the path from the route's own checked
 * parameters only, so the answer can never lead off the site.
 */
export function seeOtherPage(pageOf: (ctx: Context) => string) {
  return function seeOtherPageForGet(ctx: Context) {
    ctx.status = 303;
    ctx.redirect(pageOf(ctx));
  };
}
