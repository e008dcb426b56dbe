import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

/** Gives each request an id for logs and error pages; an incoming X-Request-Id is never trusted. */
export async function assignRequestId(ctx: Context, next: Next) {
  ctx.state.requestId = randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
  await next();
}
