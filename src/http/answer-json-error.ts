import type { Context } from 'koa';
import type { HttpError } from './errors.ts';

/**
 * Answers `error` in JSON, as the error handler's JSON branch does, from a middleware that must
 * answer a program in JSON whatever its Accept header says (the error handler would render a page
 * for a request that names no type) or that must not throw past the middleware around it.
 */
export function answerJsonError(ctx: Context, error: HttpError) {
  ctx.status = error.status;
  ctx.set(error.headers);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: error.code, error_description: error.message, request_id: ctx.state.requestId as unknown };
}
