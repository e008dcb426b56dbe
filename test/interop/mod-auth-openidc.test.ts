import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { apacheRedirectUri, apacheSignedOutUrl, requireApacheOidc, startApacheOidc, type RunningApacheOidc } from '../helpers/apache-oidc.ts';
import { launchChromium } from '../helpers/browser.ts';
import { freePort, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Apache's mod_auth_openidc (Debian's libapache2-mod-auth-openidc) as the app, configured as the
// README advises (PKCE S256, offline_access with prompt=consent, logout through ?logout=), with
// headless Chromium as the person's browser: the module sends a request that is not a browser's
// navigation (Node's fetch says Sec-Fetch-Mode: cors) a 401 instead of to Sesame.
// Apache's port is chosen first: Sesame must know the client's redirect URI when it starts, and
// Apache must know Sesame's discovery URL.
// A second Apache, for the same client, answers with OIDCResponseMode form_post.

let redis: StartedRedis;
let smtp: SmtpSink;
let sesame: RunningSesame;
let apache: RunningApacheOidc;
/** A second Apache for the same client, with OIDCResponseMode form_post. */
let formPostApache: RunningApacheOidc;
let client: ClientRegistration;
let browser: Browser;

beforeAll(async () => {
  requireApacheOidc();
  const port = await freePort();
  const formPostPort = await freePort();
  client = {
    client_id: 'apache-app',
    client_secret: 'apache-app-secret-0123456789abcdef0123456789',
    client_name: 'Apache app',
    redirect_uris: [apacheRedirectUri(port), apacheRedirectUri(formPostPort)],
    post_logout_redirect_uris: [apacheSignedOutUrl(port)],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid email offline_access',
    // Where the module takes logout tokens, as the README advises.
    backchannel_logout_uri: `${apacheRedirectUri(port)}?logout=backchannel`,
    backchannel_logout_session_required: true,
  };
  redis = await startRedis();
  smtp = await startSmtpSink();
  sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config: { clients: [client] } });
  apache = await startApacheOidc({ port, issuer: sesame.url, client, scope: 'openid email offline_access', authRequestParams: 'prompt=consent' });
  formPostApache = await startApacheOidc({ port: formPostPort, issuer: sesame.url, client, responseMode: 'form_post' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await apache?.stop();
  await formPostApache?.stop();
  await sesame?.close();
  await smtp?.stop();
  await redis?.stop();
});

interface ModuleSession {
  access_token: string;
  refresh_token?: string;
  id_token: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

/** What the module keeps for this browser: its info hook (OIDCInfoHook) at `<OIDCRedirectURI>?info=json`. */
async function moduleSession(page: Page): Promise<ModuleSession> {
  const response = await page.goto(`${apache.redirectUri}?info=json`);
  if (response!.status() !== 200) throw new Error(`the info hook answered ${response!.status()}; Apache's log:\n${apache.errorLog()}`);
  return (await response!.json()) as ModuleSession;
}

/** Opens the protected page of `app`, which sends the browser to Sesame, and signs in there with the emailed code. */
async function signInThroughApache(page: Page, email: string, app = apache) {
  await page.goto(app.protectedUrl);
  expect(page.url().startsWith(`${sesame.url}/interaction/`)).toBe(true);
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const mail = await smtp.waitForMail(email);
  await page.getByLabel('Code from the email').fill(mail.code!);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(app.protectedUrl);
}

describe('Apache mod_auth_openidc as the app', () => {
  it('signs in with PKCE and passes the claims of the ID token and userinfo to the protected page', async () => {
    const email = 'apache@example.com';
    const context = await browser.newContext();
    const page = await context.newPage();
    const asked: URL[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${sesame.url}/auth?`)) asked.push(new URL(request.url()));
    });

    await signInThroughApache(page, email);
    expect(asked).toHaveLength(1);
    expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'scope', 'code_challenge_method', 'prompt'].map((name) => [name, asked[0]!.searchParams.get(name)]))).toEqual({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: apache.redirectUri,
      scope: 'openid email offline_access',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });

    const account = await sesame.accounts.findByEmail(email);
    const shown = await page.goto(apache.protectedUrl);
    expect([shown!.status(), await shown!.text()]).toEqual([200, 'signed in\n']);
    const headers = shown!.headers();
    expect([headers.oidc_claim_email, headers.oidc_claim_sub]).toEqual([email, account!.id]);

    const session = await moduleSession(page);
    expect(session.id_token).toMatchObject({ iss: sesame.url, aud: client.client_id, sub: account!.id, email, email_verified: true });
    expect(session.userinfo).toEqual({ sub: account!.id, email, email_verified: true });
    expect(session.refresh_token).toBeTruthy();
    await context.close();
  });

  it('refreshes the access token through the module\'s refresh hook', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughApache(page, 'apache-refresh@example.com');
    const before = await moduleSession(page);

    await page.goto(`${apache.redirectUri}?refresh=${encodeURIComponent(apache.protectedUrl)}&access_token=${encodeURIComponent(before.access_token)}`);
    expect(page.url()).toBe(apache.protectedUrl);
    const after = await moduleSession(page);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).toBeTruthy();
    const { userinfo_endpoint: userinfoEndpoint } = (await (await fetch(`${sesame.url}/.well-known/openid-configuration`)).json()) as { userinfo_endpoint: string };
    const userinfo = await fetch(userinfoEndpoint, { headers: { authorization: `Bearer ${after.access_token}` } });
    expect(await userinfo.json()).toMatchObject({ email: 'apache-refresh@example.com' });
    await context.close();
  });

  it('signs out of Sesame through <OIDCRedirectURI>?logout=, back to the app\'s page', async () => {
    const email = 'apache-logout@example.com';
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughApache(page, email);

    await page.goto(`${apache.redirectUri}?logout=${encodeURIComponent(apache.signedOutUrl)}`);
    expect(page.url().startsWith(`${sesame.url}/`)).toBe(true);
    await page.getByRole('button', { name: 'Sign out of Sesame on this browser' }).click();
    await page.waitForURL(`${apache.signedOutUrl}*`);
    expect(await page.textContent('body')).toBe('signed out\n');

    // Both sessions are gone: the protected page sends the browser to Sesame's email form again.
    await page.goto(apache.protectedUrl);
    expect(page.url().startsWith(`${sesame.url}/interaction/`)).toBe(true);
    await expect(page.getByLabel('Email address').isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('"Only sign out of" the app ends the module\'s session and keeps Sesame\'s', async () => {
    const email = 'apache-only-app@example.com';
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughApache(page, email);

    await page.goto(`${apache.redirectUri}?logout=${encodeURIComponent(apache.signedOutUrl)}`);
    await page.getByRole('button', { name: 'Only sign out of Apache app' }).click();
    await page.waitForURL(`${apache.signedOutUrl}*`);

    // The module asks Sesame again, which still knows this browser: no email, no code, only the
    // consent page (prompt=consent asks it every time), and back at the app as the same person.
    await page.goto(apache.protectedUrl);
    expect(page.url().startsWith(`${sesame.url}/interaction/`)).toBe(true);
    await expect(page.getByLabel('Email address').isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.waitForURL(apache.protectedUrl);
    expect((await moduleSession(page)).userinfo).toMatchObject({ email });
    await context.close();
  });

  it('ends the module\'s session when the person signs out at Sesame (back-channel logout)', async () => {
    const email = 'apache-back-channel@example.com';
    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughApache(page, email);
    expect((await moduleSession(page)).userinfo).toMatchObject({ email });

    // Signed out at Sesame itself, not through the app: only the logout token can tell the module.
    const { end_session_endpoint: endSession } = (await (await fetch(`${sesame.url}/.well-known/openid-configuration`)).json()) as { end_session_endpoint: string };
    await page.goto(endSession);
    await page.getByRole('button', { name: 'Sign out of Sesame on this browser' }).click();
    await page.waitForURL(`${sesame.url}/session/end/success`);

    // The token goes out on the durable queue: wait for the module to have ended the session.
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await context.request.get(apache.protectedUrl, { maxRedirects: 0 })).status();
      if (status !== 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (status !== 302) throw new Error(`the protected page still answered ${status} 5 s after the sign-out; Apache's log:\n${apache.errorLog()}`);
    await page.goto(apache.protectedUrl);
    expect(page.url().startsWith(`${sesame.url}/interaction/`)).toBe(true);
    await expect(page.getByLabel('Email address').isVisible()).resolves.toBe(true);
    await context.close();
  });

  it('signs in with OIDCResponseMode form_post: Sesame\'s page posts code, state and iss to the module', async () => {
    const email = 'apache-form-post@example.com';
    const context = await browser.newContext();
    const page = await context.newPage();
    const asked: URL[] = [];
    const posted: { method: string; form: URLSearchParams }[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${sesame.url}/auth?`)) asked.push(new URL(request.url()));
      if (request.url().startsWith(formPostApache.redirectUri)) posted.push({ method: request.method(), form: new URLSearchParams(request.postData() ?? '') });
    });

    await signInThroughApache(page, email, formPostApache);

    expect(asked.map((url) => url.searchParams.get('response_mode'))).toEqual(['form_post']);
    // The browser reached the module's callback by a POST of the form, not by a redirect.
    expect(posted.map(({ method, form }) => [method, [...form.keys()].sort(), form.get('iss')])).toEqual([['POST', ['code', 'iss', 'state'], sesame.url]]);
    const shown = await page.goto(formPostApache.protectedUrl);
    expect([shown!.status(), await shown!.text(), shown!.headers().oidc_claim_email]).toEqual([200, 'signed in\n', email]);
    await context.close();
  });
});
