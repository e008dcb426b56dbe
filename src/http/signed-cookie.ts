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
    read: (ctx) => ctx.cookies.get(cookieName, { signed: true }) || undefined,
    write(ctx, value, options) {
      ctx.cookies.set(cookieName, value, { ...attributes, path: pathFor(options), maxAge: options.maxAgeSeconds * 1000 });
    },
    // With the attributes it was set with: a browser takes a __Host- cookie's removal only with Secure and Path=/.
    clear(ctx, options) {
      ctx.cookies.set(cookieName, null, { ...attributes, path: pathFor(options) });
    },
  };
}
