import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { RateLimit } from '../auth/rate-limiter.ts';
import { setNextStepAfterError } from '../http/next-step.ts';
import type { RateLimitGuard } from '../http/rate-limit.ts';
import { DEVICE_CONNECTED_PAGE, DEVICE_DENIED_PAGE, DEVICE_PAGE } from './device-pages.ts';
import { limitDeviceCodeEntries } from './limit-code-entries.ts';
import type { LookedUpUserCodes } from './looked-up-user-codes.ts';
import { prefillUserCode } from './prefill-user-code.ts';
import { readConfirmation } from './read-confirmation.ts';

/**
 * Sesame's part of the device pages (RFC 8628 §3.3): oidc-provider serves GET and POST /device
 * itself (device-flow/device-pages.ts renders them); these run in front of it, and the pages a
 * device's sign-in ends on are Sesame's own.
 */
export function createDeviceFlowRouter({ rateLimits, perIp, lookedUpUserCodes, secureCookies }: { rateLimits: RateLimitGuard; perIp: RateLimit; lookedUpUserCodes: LookedUpUserCodes; secureCookies: boolean }) {
  const router = new Router();
  router.get(DEVICE_PAGE, devicePage, prefillUserCode, readConfirmation({ lookedUpUserCodes, secureCookies }));
  router.post(DEVICE_PAGE, devicePage, limitDeviceCodeEntries({ rateLimits, perIp, lookedUpUserCodes, secureCookies }));
  router.get(DEVICE_CONNECTED_PAGE, devicePage, (ctx: Context) => ctx.render('device-connected'));
  router.get(DEVICE_DENIED_PAGE, devicePage, (ctx: Context) => ctx.render('device-denied'));
  return router;
}

async function devicePage(ctx: Context, next: Next) {
  // The form carries a secret of the browser's session (its xsrf field): never from a cache.
  ctx.set('Cache-Control', 'no-store');
  setNextStepAfterError(ctx, { href: DEVICE_PAGE, label: { key: 'deviceCode.backToCode' } });
  return next();
}
