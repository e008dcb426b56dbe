import type { Context } from 'koa';

/** API clients get JSON errors; browsers get pages. */
export function wantsJson(ctx: Context): boolean {
  return ctx.accepts('html', 'json') === 'json';
}
