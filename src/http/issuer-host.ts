import type { IncomingMessage } from 'node:http';

/**
 * oidc-provider builds every URL it publishes or redirects to (discovery's endpoints, jwks_uri,
 * the audience it expects in client assertions) from the request's URL and host, and Koa takes
 * that host from X-Forwarded-Host when TRUST_PROXY is on. Whoever sends a request would choose
 * it, and a document answered for them can be kept by Sesame's own cache (published-documents.ts)
 * or a CDN and then given to everyone: endpoints on an attacker's host, where apps send their
 * secrets and codes. Sesame has one public name, the issuer's: every request is read as addressed
 * to it.
 */
export function createIssuerHostPin(issuer: string) {
  const { host, protocol } = new URL(issuer);
  // The scheme too: an https issuer answers only requests that came over TLS (https-only.ts),
  // and a plain-http one (development) has no TLS for a proxy to speak of.
  const plainHttp = protocol === 'http:';
  return function pinHostToIssuer(req: IncomingMessage) {
    req.headers.host = host;
    delete req.headers['x-forwarded-host'];
    if (plainHttp) delete req.headers['x-forwarded-proto'];
    // A request line may name a whole URL (`GET http://other.example/path`, RFC 9112 §3.2.2), and
    // Koa then takes ctx.href from it as it stands: only its path and query are kept.
    const url = req.url ?? '/';
    if (!url.startsWith('/')) {
      const named = URL.parse(url);
      req.url = named && (named.protocol === 'http:' || named.protocol === 'https:') ? `${named.pathname}${named.search}` : '/';
    }
  };
}
