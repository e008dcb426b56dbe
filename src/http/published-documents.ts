import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, Next } from 'koa';
import { DATA_CSP, HSTS } from './security-headers.ts';

/** The documents every relying party and resource server fetches: static between key changes. */
const PUBLISHED_PATHS = new Set(['/.well-known/openid-configuration', '/jwks']);

interface Published {
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
  /** The same, with Strict-Transport-Security: for requests that came over TLS. */
  secureHeaders: Record<string, string>;
}

export interface PublishedDocuments {
  /**
   * Answers a plain GET of discovery or JWKS from memory, straight on node:http, before Koa or
   * oidc-provider see it. False when the request is anything else or the document is not cached
   * yet; then the caller hands the request on.
   */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** Koa middleware in front of the provider: keeps the provider's answer the first time. */
  capture(ctx: Context, next: Next): Promise<void>;
  /** Drops what is cached, e.g. when the signing keys change. */
  invalidate(): void;
}

/**
 * oidc-provider builds the discovery document and the JWKS anew on every request, at about a
 * third of a bare Koa hello-world's rate (OIDC-PROVIDER-NOTES.md addendum). Their content only
 * changes with the configuration or the keys, so the first answer is kept and replayed, with an
 * ETag so clients can revalidate for nothing. The answer is the provider's own: nothing here
 * decides what the documents say.
 */
export function createPublishedDocuments({ hsts, trustProxy }: { hsts: boolean; /** X-Forwarded-Proto tells whether a request came over TLS. */ trustProxy: boolean }): PublishedDocuments {
  // As Koa's ctx.secure: Sesame speaks plain HTTP, so only a trusted proxy's word makes a request secure.
  const cameOverTls = (req: IncomingMessage) => {
    const proto = req.headers['x-forwarded-proto'];
    return trustProxy && typeof proto === 'string' && proto.split(',', 1)[0]!.trim() === 'https';
  };
  const cache = new Map<string, Published>();
  // Bumped by invalidate(): an answer that began before the keys changed is not kept.
  let generation = 0;

  return {
    serve(req, res) {
      if (req.method !== 'GET' || req.url === undefined) return false;
      const document = cache.get(req.url);
      if (!document) return false;
      const secure = hsts && cameOverTls(req);
      const headers = secure ? document.secureHeaders : document.headers;
      if (req.headers['if-none-match'] === document.etag) {
        res.writeHead(304, { ETag: document.etag, 'Cache-Control': headers['Cache-Control']!, ...(secure ? { 'Strict-Transport-Security': HSTS } : {}) });
        res.end();
        return true;
      }
      res.writeHead(200, headers);
      res.end(document.body);
      return true;
    },

    async capture(ctx, next) {
      const startedIn = generation;
      await next();
      if (startedIn !== generation) return;
      // Only the exact path: a query string could make the provider answer differently.
      if (ctx.method !== 'GET' || !PUBLISHED_PATHS.has(ctx.path) || ctx.querystring !== '' || ctx.status !== 200) return;
      if (typeof ctx.body !== 'object' || ctx.body === null || Buffer.isBuffer(ctx.body)) return;
      const body = Buffer.from(JSON.stringify(ctx.body));
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      const headers = {
        'Content-Type': ctx.response.get('Content-Type') || 'application/json; charset=utf-8',
        'Content-Length': String(body.length),
        ETag: etag,
        // A minute of caching; a new signing key is published well before it signs anything.
        'Cache-Control': 'public, max-age=60',
        // Public documents, readable by single-page apps of any origin (as the provider answers).
        'Access-Control-Allow-Origin': '*',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': DATA_CSP,
        'Referrer-Policy': 'no-referrer',
      };
      cache.set(ctx.path, { body, etag, headers, secureHeaders: { ...headers, 'Strict-Transport-Security': HSTS } });
    },

    invalidate() {
      generation++;
      cache.clear();
    },
  };
}
