import type { Context, Next } from 'koa';

// No inline script or style anywhere: scripts and the stylesheet are files under /static.
// form-action is left out on purpose: browsers apply it to the redirect chain after a form POST,
// which ends at the relying party's redirect_uri.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join(';');

export function createSecurityHeaders({ hsts }: { hsts: boolean }) {
  return async function securityHeaders(ctx: Context, next: Next) {
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    // Sign-in links carry secrets in their URL: never leak them to another site as a Referer.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (hsts) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    await next();
  };
}
