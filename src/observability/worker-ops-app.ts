import Koa from 'koa';
import { metricsAccessFor, sendsHsts } from '../app.ts';
import type { Config } from '../config/config-schema.ts';
import { createErrorHandler } from '../http/error-handler.ts';
import { rejectOtherMethods } from '../http/method-not-allowed.ts';
import { assignRequestId } from '../http/request-id.ts';
import { createDataSecurityHeaders } from '../http/security-headers.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from './metrics.ts';
import { createRequestObserver } from './observe-requests.ts';
import { createOpsRouter } from './ops-router.ts';
import type { Readiness } from './readiness.ts';

/**
 * The mail worker process's port: /healthz, /readyz and /metrics, with the web role's answers to
 * everything else. Errors are JSON without a stack (nothing here renders a page), a known path
 * asked with another method is 405, and every answer carries the headers for data, not pages.
 */
export function createWorkerOpsApp({ config, logger, metrics, readiness }: { config: Readonly<Config>; logger: Logger; metrics: Metrics; readiness: Readiness }): Koa {
  const app = new Koa({ proxy: config.trustProxy, maxIpsCount: 1 });
  const ops = createOpsRouter({ readiness, metrics, metricsAccess: metricsAccessFor(config) });
  app.use(assignRequestId);
  app.use(createRequestObserver({ logger, metrics }));
  app.use(createErrorHandler({ logger, jsonOnly: true }));
  app.use(createDataSecurityHeaders({ hsts: sendsHsts(config) }));
  app.use(ops.routes());
  app.use(rejectOtherMethods(ops));
  return app;
}
