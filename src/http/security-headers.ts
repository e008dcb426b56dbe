import { randomBase64 } from '../auth/secrets.ts';
import type { Context, Next } from 'koa';

/**
 * A strict Content-Security-Policy (https://www.w3.org/TR/CSP3/#strict-csp): a script runs only
 * when it carries this response's nonce, so injected markup cannot run script even if escaping
 * failed somewhere. Styles come only from our stylesheet (no inline style at all). oidc-provider
 * adds the sha256 of its own form_post script to script-src when it renders one
 * (lib/helpers/script_src_sha.js), which is why this runs before the provider.
 * form-action is left out on purpose: browsers apply it to the redirect chain after a form POST,
 * which ends at the relying party's redirect_uri.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join(';');
}

export const HSTS = 'max-age=63072000; includeSubDomains';

/** For answers that are data, never a page (JSON endpoints, discovery, JWKS): nothing loads, nothing frames them. */
export const DATA_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * `hsts`: send Strict-Transport-Security, on answers to requests that came over TLS only (RFC 6797
 * §7.2: never over plain HTTP, where an attacker could forge or strip it anyway).
 */
export function createSecurityHeaders({ hsts }: { hsts: boolean }) {
  return async function securityHeaders(ctx: Context, next: Next) {
    // 128 bits, fresh per response; views put it on their <script> tags as cspNonce.
    const nonce = randomBase64(16);
    ctx.state.cspNonce = nonce;
    ctx.set('Content-Security-Policy', contentSecurityPolicy(nonce));
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    setHeadersOfEveryAnswer(ctx, hsts);
    await next();
  };
}

/**
 * The same protections for JSON endpoints, which render no page and so need no nonce: one fixed
 * policy, as on discovery and JWKS (http/published-documents.ts).
 */
export function createDataSecurityHeaders({ hsts }: { hsts: boolean }) {
  return async function dataSecurityHeaders(ctx: Context, next: Next) {
    ctx.set('Content-Security-Policy', DATA_CSP);
    setHeadersOfEveryAnswer(ctx, hsts);
    await next();
  };
}

function setHeadersOfEveryAnswer(ctx: Context, hsts: boolean) {
  ctx.set('X-Content-Type-Options', 'nosniff');
  // Older browsers that do not know frame-ancestors.
  ctx.set('X-Frame-Options', 'DENY');
  // Sign-in links carry secrets in their URL: never leak them to another site as a Referer.
  ctx.set('Referrer-Policy', 'no-referrer');
  if (hsts && ctx.secure) ctx.set('Strict-Transport-Security', HSTS);
}
