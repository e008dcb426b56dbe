import { Auth, type AuthConfig } from '@auth/core';
import { getToken, type JWT } from '@auth/core/jwt';
import type { OIDCConfig } from '@auth/core/providers';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// An app built on Auth.js's framework-agnostic core (@auth/core), the way its docs connect "a fully
// OIDC-compliant provider": an object with type "oidc", issuer, clientId and clientSecret, nothing
// else (Auth.js discovers the rest and keeps its default checks, PKCE). node:http serves it on a
// loopback port, handing every request under /auth to Auth(request, config) as a Web Request, as
// @auth/express and the other framework packages do.

/** The id the app gives Sesame among its providers; it names the callback path. */
export const PROVIDER_ID = 'sesame';

export interface SesameProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The checks Auth.js makes of the authorization response and ID token. @default Auth.js's: ["pkce"] */
  checks?: OIDCConfig<Record<string, unknown>>['checks'];
}

/**
 * The Auth.js configuration README's "Auth.js" snippet shows. Without a database adapter Auth.js
 * gives every sign-in a new random user id (its default `token.sub`), so the jwt callback keeps
 * Sesame's `sub` instead (Auth.js's `account.providerAccountId`), and the ID token for the sign-out.
 */
function sesameAuthConfig({ issuer, clientId, clientSecret, checks }: SesameProviderOptions, secret: string): AuthConfig {
  return {
    secret,
    trustHost: true,
    providers: [{ id: PROVIDER_ID, name: 'Sesame', type: 'oidc', issuer, clientId, clientSecret, ...(checks ? { checks } : {}) }],
    callbacks: {
      jwt({ token, account }) {
        if (account) {
          token.sub = account.providerAccountId;
          token.idToken = account.id_token;
        }
        return token;
      },
      session({ session, token }) {
        session.user.id = token.sub!;
        return session;
      },
    },
  };
}

/**
 * Every request under /auth, as README's snippet handles it: Auth(request, config), except that a
 * sign-out goes on to Sesame's (RP-initiated logout). Auth.js ends only its own session, so the ID
 * token it kept is read first; then the browser is sent to end_session_endpoint with it as
 * id_token_hint. A sign-out Auth.js refused (its CSRF check) goes where Auth.js says.
 */
async function handleAuthRequest(request: Request, config: AuthConfig, { endSessionEndpoint, postLogoutRedirectUri }: { endSessionEndpoint: string; postLogoutRedirectUri: string }): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname !== '/auth/signout' || request.method !== 'POST') return Auth(request, config);
  const token = await getToken({ req: request, secret: config.secret as string, secureCookie: url.protocol === 'https:' });
  const response = await Auth(request, config);
  // Auth.js clears its session cookie (each chunk of it) only when it accepted the sign-out.
  const signedOut = response.headers.getSetCookie().some((cookie) => /session-token(\.\d+)?=;/.test(cookie));
  if (typeof token?.idToken !== 'string' || !signedOut) return response;
  const endSession = new URL(endSessionEndpoint);
  endSession.search = new URLSearchParams({ id_token_hint: token.idToken, post_logout_redirect_uri: postLogoutRedirectUri }).toString();
  // Auth.js's Set-Cookie headers, which clear its session, go along.
  const headers = new Headers(response.headers);
  headers.set('location', endSession.href);
  return new Response(null, { status: 302, headers });
}

export interface AuthJsApp {
  /** http://127.0.0.1:{port} */
  url: string;
  /** The redirect URI Auth.js sends for the Sesame provider; register it with Sesame. */
  callbackUrl: string;
  /** Where Sesame sends the browser after a sign-out; register it as a post_logout_redirect_uri. */
  signedOutUrl: string;
  /** Points the app at Sesame (which needs `callbackUrl` before it starts); requests before answer 503. */
  connect(provider: SesameProviderOptions): void;
  /** What Auth.js keeps in its session cookie (its JWT, decrypted), for `cookieHeader`; null when signed out. */
  tokenOf(cookieHeader: string): Promise<JWT | null>;
  /** `token.sub` as Auth.js made it for each sign-in, before the jwt callback replaced it. */
  defaultSubs: string[];
  /** What Auth.js logged as errors, for failure messages. */
  errors: string[];
  close(): Promise<void>;
}

export async function startAuthJsApp(): Promise<AuthJsApp> {
  const secret = randomBytes(32).toString('base64url');
  const errors: string[] = [];
  const defaultSubs: string[] = [];
  let config: AuthConfig | undefined;
  let issuer: string | undefined;
  let endSessionEndpoint: string | undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      errors.push(String(error));
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signedOutUrl = `${url}/signed-out`;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!config || !issuer) return void res.writeHead(503).end();
    const request = await toWebRequest(req, url);
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/auth/')) {
      endSessionEndpoint ??= await discoverEndSessionEndpoint(issuer);
      return sendWebResponse(await handleAuthRequest(request, config, { endSessionEndpoint, postLogoutRedirectUri: signedOutUrl }), res);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(pathname === '/signed-out' ? 'signed out\n' : 'home\n');
  }

  return {
    url,
    callbackUrl: `${url}/auth/callback/${PROVIDER_ID}`,
    signedOutUrl,
    connect(provider) {
      issuer = provider.issuer;
      const appConfig = sesameAuthConfig(provider, secret);
      const jwt = appConfig.callbacks!.jwt!;
      config = {
        ...appConfig,
        callbacks: {
          ...appConfig.callbacks,
          jwt(params) {
            if (params.account && params.token.sub) defaultSubs.push(params.token.sub);
            return jwt(params);
          },
        },
        logger: { error: (error) => errors.push(`${error.name}: ${error.message}${error.cause ? ` (${JSON.stringify(error.cause)})` : ''}`), warn: () => {}, debug: () => {} },
      };
    },
    tokenOf: (cookieHeader) => getToken({ req: { headers: { cookie: cookieHeader } }, secret, secureCookie: false }),
    defaultSubs,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function discoverEndSessionEndpoint(issuer: string): Promise<string> {
  const metadata = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
  return metadata.end_session_endpoint;
}

/** The Web Request Auth.js takes, from node's request (headers as sent, the body read whole). */
async function toWebRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const each of [value ?? []].flat()) headers.append(name, each);
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(await req.toArray());
  return new Request(new URL(req.url!, origin), { method: req.method, headers, body });
}

/** Writes a Web Response to node's response; each Set-Cookie stays a header of its own. */
async function sendWebResponse(response: Response, res: ServerResponse): Promise<void> {
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.writeHead(response.status).end(Buffer.from(await response.arrayBuffer()));
}
