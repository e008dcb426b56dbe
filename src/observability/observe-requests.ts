import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * One JSON log line and one latency observation per request. The line carries the path only:
 * query strings hold link tokens (/interaction/…/link?t=), authorization codes and state, so
 * they are never logged, and neither are headers (cookies, Authorization).
 */
export function createRequestObserver({ logger, metrics }: { logger: Logger; metrics: Metrics }) {
  return async function observeRequest(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    let status = 500;
    try {
      await next();
      status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplateOf(ctx);
      const method = KNOWN_METHODS.has(ctx.method) ? ctx.method : 'OTHER';
      metrics.httpRequestDuration.observe({ method, route, status: String(status) }, seconds);
      logger.info(
        { requestId: ctx.state.requestId, method, path: ctx.path.slice(0, 200), route, status, durationMs: Math.round(seconds * 10_000) / 10 },
        'request',
      );
    }
  };
}

/**
 * The matched route's template ("/interaction/:uid/email", "/token"): @koa/router and
 * oidc-provider's router both leave it in ctx._matchedRoute. Anything else gets a fixed label, so
 * a scanner trying a million paths cannot create a million time series.
 */
export function routeTemplateOf(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
  if (typeof matched === 'string') return matched;
  if (ctx.path.startsWith('/static/')) return '/static/*';
  return 'unmatched';
}

/**
 * Discovery and JWKS answered from memory on node:http (http/published-documents.ts) never reach
 * Koa, nor the latency histogram or the request log: they are public, identical for everyone,
 * answered in microseconds, and the most frequent requests of all. Each is counted by path.
 */
export function countPublishedDocument(metrics: Metrics, req: IncomingMessage) {
  const path = req.url ?? '';
  metrics.publishedDocumentsServed.set(path, (metrics.publishedDocumentsServed.get(path) ?? 0) + 1);
}
