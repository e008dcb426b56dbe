import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { PROVIDER_ID, startAuthJsApp, type AuthJsApp } from '../helpers/authjs-app.ts';
import { HttpBrowser, formFields } from '../helpers/http-browser.ts';
import { startRedis, type StartedRedis } from '../helpers/redis.ts';
import { finishAtApp, signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Auth.js (@auth/core, the core of next-auth, @auth/sveltekit and @auth/express) as the app,
// configured with Sesame as a generic OIDC provider the way Auth.js's docs say (test/helpers/
// authjs-app.ts; README's "Auth.js" snippet is its configuration). The person's browser is
// HttpBrowser: it presses the button of Auth.js's own sign-in page, signs in on Sesame's pages
// with the emailed code, and signs out through Auth.js's own sign-out page. The apps listen
// first: Sesame must know their redirect URIs when it starts.

let redis: StartedRedis;
let smtp: SmtpSink;
let sesame: RunningSesame;
/** Auth.js with its defaults (checks: PKCE). */
let app: AuthJsApp;
/** Auth.js with every check it offers an OIDC provider: PKCE, state and nonce. */
let strictApp: AuthJsApp;

function registrationFor(name: string, { callbackUrl, signedOutUrl }: AuthJsApp): ClientRegistration {
  return {
    client_id: name,
    client_secret: `${name}-secret-0123456789abcdef0123456789`,
    client_name: name === 'authjs-app' ? 'Auth.js app' : 'Strict Auth.js app',
    redirect_uris: [callbackUrl],
    post_logout_redirect_uris: [signedOutUrl],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    // Auth.js asks for "openid profile email" unless told otherwise.
    scope: 'openid email profile',
  };
}

beforeAll(async () => {
  app = await startAuthJsApp();
  strictApp = await startAuthJsApp();
  const client = registrationFor('authjs-app', app);
  const strictClient = registrationFor('authjs-strict-app', strictApp);
  redis = await startRedis();
  smtp = await startSmtpSink();
  sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config: { clients: [client, strictClient] } });
  app.connect({ issuer: sesame.url, clientId: client.client_id, clientSecret: client.client_secret! });
  strictApp.connect({ issuer: sesame.url, clientId: strictClient.client_id, clientSecret: strictClient.client_secret!, checks: ['pkce', 'state', 'nonce'] });
});

afterAll(async () => {
  await app?.close();
  await strictApp?.close();
  await sesame?.close();
  await smtp?.stop();
  await redis?.stop();
});

interface AuthJsSession {
  user: { id: string; email: string };
  expires: string;
}

/** What Auth.js's session endpoint (what useSession() and auth() read) says of `browser`. */
async function sessionAt(target: AuthJsApp, browser: HttpBrowser): Promise<AuthJsSession | null> {
  const response = await browser.request(`${target.url}/auth/session`);
  expect(response.status).toBe(200);
  return (await response.json()) as AuthJsSession | null;
}

/**
 * Presses "Sign in with Sesame" on Auth.js's own sign-in page and signs in on Sesame's pages with
 * the emailed code (when `email` is given; otherwise expects single sign-on: no email form, at most
 * the consent page); returns the authorization URL Auth.js built and the callback Sesame sent back.
 */
async function signInThroughAuthJs(target: AuthJsApp, browser: HttpBrowser, email?: string) {
  const signInPage = await browser.navigate(`${target.url}/auth/signin`);
  const toSesame = await browser.navigate(`${target.url}/auth/signin/${PROVIDER_ID}`, { form: formFields(signInPage.html, `/auth/signin/${PROVIDER_ID}`) });
  if (!toSesame.leftTo?.startsWith(`${sesame.url}/`)) throw new Error(`Auth.js did not send the browser to Sesame: ${toSesame.status} ${toSesame.url}; Auth.js logged: ${target.errors.join('\n')}`);
  let callback: string;
  if (email) callback = await finishAtApp(browser, (await signInWithCodeAt({ smtp }, toSesame.leftTo, email, browser)).page);
  else {
    const page = await browser.navigate(toSesame.leftTo);
    expect(page.html).not.toContain('name="email"');
    callback = await finishAtApp(browser, page);
  }
  expect(callback.startsWith(`${target.callbackUrl}?`)).toBe(true);
  const landing = await browser.navigate(callback);
  if (landing.url !== `${target.url}/`) throw new Error(`Auth.js did not finish the sign-in: ${landing.status} ${landing.url}; Auth.js logged: ${target.errors.join('\n')}`);
  return { authorizationUrl: new URL(toSesame.leftTo), callbackUrl: new URL(callback) };
}

/**
 * Submits Auth.js's own sign-out page; the app (test/helpers/authjs-app.ts) then sends the browser
 * to Sesame's end_session_endpoint, where the person chooses "Sign out of Sesame on this browser"
 * (`everywhere`) or "Only sign out of <app>". Checks that Auth.js's session ended before Sesame's page.
 */
async function signOutThroughAuthJs(target: AuthJsApp, browser: HttpBrowser, { everywhere }: { everywhere: boolean }) {
  const signOutPage = await browser.navigate(`${target.url}/auth/signout`);
  const toSesame = await browser.navigate(`${target.url}/auth/signout`, { form: formFields(signOutPage.html, '/auth/signout') });
  expect(await sessionAt(target, browser)).toBeNull();
  const endSession = new URL(toSesame.leftTo!);
  expect([endSession.origin, endSession.searchParams.get('post_logout_redirect_uri'), endSession.searchParams.has('id_token_hint')]).toEqual([sesame.url, target.signedOutUrl, true]);

  const confirm = await browser.navigate(endSession.href);
  expect(confirm.status).toBe(200);
  const action = /action="([^"]*\/session\/end\/confirm)"/.exec(confirm.html)![1]!;
  const done = await browser.navigate(new URL(action, sesame.url).href, { form: { ...formFields(confirm.html, '/session/end/confirm'), ...(everywhere ? { logout: 'yes' } : {}) } });
  expect(done.leftTo).toBe(target.signedOutUrl);
  expect((await browser.navigate(done.leftTo!)).html).toBe('signed out\n');
}

describe('Auth.js as the app', () => {
  it("signs in with Auth.js's defaults: its session carries the email and Sesame's sub, and the ID token it accepted is signed as Sesame publishes", async () => {
    const email = 'authjs@example.com';
    const browser = new HttpBrowser();
    const { authorizationUrl, callbackUrl } = await signInThroughAuthJs(app, browser, email);
    const account = await sesame.accounts.findByEmail(email);

    expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'scope', 'code_challenge_method', 'state', 'nonce'].map((name) => [name, authorizationUrl.searchParams.get(name)]))).toEqual({
      response_type: 'code',
      client_id: 'authjs-app',
      redirect_uri: app.callbackUrl,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
      // Auth.js's default checks are PKCE alone.
      state: null,
      nonce: null,
    });
    // RFC 9207: Auth.js (oauth4webapi) compares iss with the issuer it discovered.
    expect(callbackUrl.searchParams.get('iss')).toBe(sesame.url);

    expect(await sessionAt(app, browser)).toEqual({ user: { id: account!.id, email }, expires: expect.any(String) });
    // Why README's snippet sets token.sub: without a database Auth.js's own user id is new at each sign-in.
    expect(app.defaultSubs).toHaveLength(1);
    expect(app.defaultSubs[0]).not.toBe(account!.id);

    const discovery = (await (await fetch(`${sesame.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string; id_token_signing_alg_values_supported: string[] };
    const { idToken } = (await app.tokenOf(browser.cookieHeader(new URL(app.url))))!;
    const { alg } = decodeProtectedHeader(idToken as string);
    // An app registered without id_token_signed_response_alg gets RS256, OpenID Connect's default,
    // which Auth.js checks against the published list.
    expect([alg, discovery.id_token_signing_alg_values_supported.includes(alg!)]).toEqual(['RS256', true]);
    const { payload } = await jwtVerify(idToken as string, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: sesame.url, audience: 'authjs-app' });
    expect(payload).toMatchObject({ sub: account!.id, email, email_verified: true });
    expect(app.errors).toEqual([]);
  });

  it("signs out of Auth.js and of Sesame, and the person's next sign-in asks for the email again and gets the same sub", async () => {
    const email = 'authjs-again@example.com';
    const browser = new HttpBrowser();
    await signInThroughAuthJs(app, browser, email);
    const first = await sessionAt(app, browser);

    // A sign-out posted without Auth.js's CSRF token (from another site) is refused by Auth.js, and
    // the app does not send the browser on to Sesame either.
    const forged = await browser.request(`${app.url}/auth/signout`, { form: {} });
    expect([forged.status, forged.headers.get('location')]).toEqual([302, `${app.url}/auth/signin?error=MissingCSRF`]);
    expect((await sessionAt(app, browser))?.user).toEqual(first!.user);
    app.errors.length = 0;

    await signOutThroughAuthJs(app, browser, { everywhere: true });

    // Sesame's session ended too: the email form again, and the same person is the same sub.
    await signInThroughAuthJs(app, browser, email);
    const second = await sessionAt(app, browser);
    expect(second).toEqual({ user: { id: first!.user.id, email }, expires: expect.any(String) });
    expect((await sesame.accounts.findByEmail(email))!.id).toBe(first!.user.id);
    // Auth.js's own id for the person was not the same: why the jwt callback keeps Sesame's.
    expect(app.defaultSubs.at(-1)).not.toBe(app.defaultSubs.at(-2));
    expect(app.errors).toEqual([]);
  });

  it('with PKCE, state and nonce checked, signs in; "Only sign out of <app>" ends the app\'s session and the next sign-in is single sign-on with the same sub', async () => {
    const email = 'authjs-strict@example.com';
    const browser = new HttpBrowser();
    const { authorizationUrl } = await signInThroughAuthJs(strictApp, browser, email);
    expect([authorizationUrl.searchParams.get('code_challenge_method'), authorizationUrl.searchParams.has('state'), authorizationUrl.searchParams.has('nonce')]).toEqual(['S256', true, true]);
    const { idToken } = (await strictApp.tokenOf(browser.cookieHeader(new URL(strictApp.url))))!;
    const { payload } = await jwtVerify(idToken as string, createRemoteJWKSet(new URL(`${sesame.url}/jwks`)), { issuer: sesame.url, audience: 'authjs-strict-app' });
    expect(payload.nonce).toBe(authorizationUrl.searchParams.get('nonce'));
    const first = await sessionAt(strictApp, browser);
    expect(first!.user).toEqual({ id: (await sesame.accounts.findByEmail(email))!.id, email });

    await signOutThroughAuthJs(strictApp, browser, { everywhere: false });

    await signInThroughAuthJs(strictApp, browser);
    expect((await sessionAt(strictApp, browser))!.user).toEqual(first!.user);
    expect(strictApp.errors).toEqual([]);
  });
});
