import { createHash } from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import { constantTimeEqual } from '../auth/secrets.ts';
import type { Metrics } from './metrics.ts';
import type { Readiness } from './readiness.ts';

export interface OpsRouterOptions {
  readiness: Readiness;
  metrics: Metrics;
  /**
   * /metrics access: a bearer token, or `open` (development and test), or `off` (production
   * without METRICS_TOKEN). Metrics are not secrets, but sign-in volumes and error rates of an
   * identity service are nobody else's business, and the port is the public one.
   */
  metricsAccess: { token: string } | 'open' | 'off';
}

/** /healthz (the process answers), /readyz (it can serve sign-ins) and /metrics (Prometheus). */
export function createOpsRouter({ readiness, metrics, metricsAccess }: OpsRouterOptions) {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    const report = await readiness.check();
    ctx.set('Cache-Control', 'no-store');
    ctx.status = report.status === 'ready' ? 200 : 503;
    ctx.body = report;
  });

  router.get('/metrics', async (ctx) => {
    if (metricsAccess === 'off') return; // 404 from the error handler
    if (metricsAccess !== 'open' && !hasBearer(ctx, metricsAccess.token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = { error: 'unauthorized', error_description: 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>' };
      return;
    }
    const { contentType, body } = await metrics.render();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = contentType;
    ctx.body = body;
  });

  return router;
}

function hasBearer(ctx: Context, token: string): boolean {
  // The scheme name is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are Bearer too.
  const match = /^Bearer +([^\s]+)$/i.exec(ctx.get('authorization'));
  // Hashed first, so the comparison takes the same time whatever the length of the guess.
  const digest = (value: string) => createHash('sha256').update(value).digest('base64url');
  return match !== null && constantTimeEqual(digest(match[1]!), digest(token));
}
