import type { Context, Next } from 'koa';
import type { Csrf } from '../http/csrf.ts';
import { parseForm } from '../http/parse-form.ts';

/** Parses the body into ctx.state.form and checks the interaction's CSRF token. */
export function readForm({ csrf, maxBodyBytes }: { csrf: Csrf; maxBodyBytes: number }) {
  return async function readFormWithCsrf(ctx: Context, next: Next) {
    const form = await parseForm(ctx, maxBodyBytes);
    csrf.verify(ctx, ctx.params.uid ?? '', form.csrf);
    ctx.state.form = form;
    return next();
  };
}
