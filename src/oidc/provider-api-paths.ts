import type { IncomingMessage } from 'node:http';

/**
 * oidc-provider's endpoints that apps, devices and resource servers call with a client credential
 * or a token, and that answer JSON (the library's default routes: Sesame does not move them).
 */
const PROVIDER_API_PATHS = new Set(['/token', '/token/introspection', '/token/revocation', '/me', '/device/auth']);

/**
 * A call to one of those endpoints by a program: it skips the page machinery (templates, CSP
 * nonces, the interaction and account routers; app.ts). The library answers with an HTML error
 * page when the request prefers HTML (a person who opened /me in a browser), so a request whose
 * Accept names html, or any text type, is served as a page request.
 */
export function isProviderApiRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  if (!PROVIDER_API_PATHS.has(query === -1 ? url : url.slice(0, query))) return false;
  const accept = req.headers.accept;
  return accept === undefined || !/html|text\//i.test(accept);
}
