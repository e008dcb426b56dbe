import type { Context, Next } from 'koa';

/**
 * With an https issuer, Sesame sits behind a TLS-terminating proxy (it speaks plain HTTP itself) and
 * sees https only through X-Forwarded-Proto (TRUST_PROXY). A request that did not come through
 * TLS, e.g. one that bypassed the proxy, is sent to the same path on the issuer instead of being
 * served: its Secure cookies could not be set, and whatever it carried was not encrypted.
 * 308 keeps the method (RFC 9110 §15.4.9). The target is the issuer's origin plus this request's
 * path, concatenated, never resolved: a path like //evil.example must stay on our host.
 */
export function createHttpsOnly({ issuer }: { issuer: string }) {
  const issuerOrigin = new URL(issuer).origin;
  const enabled = issuerOrigin.startsWith('https:');
  return async function httpsOnly(ctx: Context, next: Next) {
    if (!enabled || ctx.secure) return next();
    ctx.status = 308;
    ctx.set('Location', `${issuerOrigin}${ctx.url.startsWith('/') ? ctx.url : '/'}`);
    ctx.body = 'This service is only available over https.';
  };
}
