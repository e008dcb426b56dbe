import type Cookies from 'cookies';

// Interaction routes, account routes and oidc-provider's policy checks all read them, from Koa contexts.
interface WithCookies {
  cookies: Cookies;
}

export interface SignedCookieOptions {
  name: string;
  /** The routes that read it. */
  path: string;
  /** The issuer is https: the cookie carries Secure. */
  secure: boolean;
  /**
   * A cookie that says who is signed in somewhere, where one planted by a site on a sibling
   * subdomain (app.example.com beside id.example.com) would sign the visitor in as the planter
   * (login CSRF). On an https issuer it is named `__Host-<name>`, which browsers take only with
   * Secure, Path=/ and no Domain: no other host can set it. The prefix needs Path=/, so its path
   * widens to every route; a plain-http issuer (local development) keeps the name and the path.
   */
  hostOnly?: boolean;
}

export interface SignedCookie {
  /** The name the browser holds it under. */
  readonly name: string;
  read(ctx: WithCookies): string | undefined;
  /** `path` narrows a cookie that is not host-only further (one page's address). */
  write(ctx: WithCookies, value: string, options: { maxAgeSeconds: number; path?: string }): void;
  clear(ctx: WithCookies, options?: { path?: string }): void;
}

/** The signature check of the keys Koa and oidc-provider were given (http/cookie-keys.ts). */
interface SignatureKeys {
  index(data: string, digest: string): number;
}

/**
 * The value of a signed cookie whose signature any of COOKIE_KEYS made, else undefined. It writes
 * nothing, where `cookies.get(name, { signed: true })` re-signs a cookie signed with an older key:
 * that Set-Cookie carries none of the cookie's attributes (no Max-Age, Path=/, no Secure unless
 * the request came over TLS, no SameSite), so after a rotation of COOKIE_KEYS the first read turned
 * a remembered browser's 30-day signature into one that ends when the browser closes (and a
 * __Host- cookie's, without Secure, into a header the browser drops). A cookie signed with an old
 * key stays valid as it was set, while that key is listed; the next write signs it with the new one.
 */
export function verifiedCookieValue(ctx: WithCookies, name: string): string | undefined {
  const value = ctx.cookies.get(name, { signed: false });
  const signature = ctx.cookies.get(`${name}.sig`, { signed: false });
  const keys = (ctx.cookies as unknown as { keys?: SignatureKeys }).keys;
  if (!value || !signature || !keys) return undefined;
  return keys.index(`${name}=${value}`, signature) >= 0 ? value : undefined;
}

/**
 * One of Sesame's own cookies: signed with COOKIE_KEYS (oidc-provider's and Sesame's signatures
 * read each other's), HttpOnly, SameSite=Lax (see SECURITY.md, Cookies), Secure on an https issuer.
 */
export function signedCookie({ name, path, secure, hostOnly = false }: SignedCookieOptions): SignedCookie {
  const prefixed = hostOnly && secure;
  const cookieName = prefixed ? `__Host-${name}` : name;
  const attributes = { signed: true, httpOnly: true, sameSite: 'lax', secure, path: prefixed ? '/' : path, overwrite: true } as const;
  const pathFor = (options?: { path?: string }) => (prefixed ? '/' : (options?.path ?? attributes.path));
  return {
    name: cookieName,
    read: (ctx) => verifiedCookieValue(ctx, cookieName),
    write(ctx, value, options) {
      ctx.cookies.set(cookieName, value, { ...attributes, path: pathFor(options), maxAge: options.maxAgeSeconds * 1000 });
    },
    // With the attributes it was set with: a browser takes a __Host- cookie's removal only with Secure and Path=/.
    clear(ctx, options) {
      ctx.cookies.set(cookieName, null, { ...attributes, path: pathFor(options) });
    },
  };
}
