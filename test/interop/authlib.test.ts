import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { HttpBrowser, formFields } from '../helpers/http-browser.ts';
import { finishAtApp, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Python's authlib (Debian's python3-authlib) as the app: test/interop/authlib_rp.py builds the
// authorization URL from Sesame's discovery, and after a sign-in driven here over HTTP, exchanges
// the code, validates the ID token, calls userinfo and refreshes, all with authlib's own code.
// Debian's python3 is used (PYTHON overrides it): a python3 earlier on the PATH (pyenv, a venv)
// does not see Debian's packages.

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./authlib_rp.py', import.meta.url));

function authlibClient(alg: 'RS256' | 'ES256'): ClientRegistration {
  return {
    client_id: `authlib-${alg.toLowerCase()}`,
    client_secret: `authlib-${alg.toLowerCase()}-secret-0123456789abcdef0123456789`,
    client_name: `authlib ${alg}`,
    redirect_uris: [`http://127.0.0.1:9/authlib-${alg.toLowerCase()}/callback`],
    post_logout_redirect_uris: [`http://127.0.0.1:9/authlib-${alg.toLowerCase()}/signed-out`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid email offline_access',
    id_token_signed_response_alg: alg,
  };
}
const CLIENTS = { RS256: authlibClient('RS256'), ES256: authlibClient('ES256') };

const running = useSesame({ client: false, config: { clients: Object.values(CLIENTS) } });

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

interface AuthlibOutcome {
  id_token_header: { alg: string; kid: string };
  id_token: Record<string, unknown>;
  token_type: string;
  scope: string;
  has_refresh_token: boolean;
  userinfo: Record<string, unknown>;
  /** null when no refresh token came (offline_access is granted only with prompt=consent). */
  refresh: { new_access_token: boolean; userinfo: Record<string, unknown> } | null;
  logout_url: string;
  logout_state: string;
}

/**
 * Starts authlib_rp.py for `client`, with `authParams` added to its authorization request;
 * resolves with its authorization URL and a function that hands it the callback URL (with
 * response_mode=form_post: the body the browser posted).
 */
async function startAuthlibApp(issuer: string, client: ClientRegistration, alg: string, authParams: Record<string, string> = {}) {
  const child = spawn(PYTHON, [SCRIPT, issuer, client.client_id, client.client_secret!, client.redirect_uris![0]!, alg, client.post_logout_redirect_uris![0]!, JSON.stringify(authParams)], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  // 'close' comes after the streams have ended, so stderr is complete by then.
  const closed = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`${PYTHON} could not run (${error.message}): install Debian's python3 and python3-authlib, or set PYTHON`));
    child.once('close', (code, signal) => resolve(`authlib_rp.py exited (${code ?? signal})${stderr ? `:\n${stderr}` : ''}`));
  });
  const failed = closed.then((why) => (child.exitCode === 0 ? new Promise<never>(() => {}) : Promise.reject(new Error(why))));
  async function nextLine<T>(): Promise<T> {
    const line = await Promise.race([lines.next(), failed]);
    if (line.done) throw new Error(await closed);
    return JSON.parse(line.value) as T;
  }
  const { authorization_url: authorizationUrl } = await nextLine<{ authorization_url: string }>();
  return {
    authorizationUrl,
    async finish(callbackUrl: string): Promise<AuthlibOutcome> {
      child.stdin!.end(`${callbackUrl}\n`);
      const outcome = await nextLine<AuthlibOutcome>();
      await closed;
      children.delete(child);
      return outcome;
    },
  };
}

describe('Python authlib as the app', () => {
  it.each(['RS256', 'ES256'] as const)('signs in with PKCE, validates the %s ID token, reads userinfo, refreshes and signs out', async (alg) => {
    const client = CLIENTS[alg];
    const email = `authlib-${alg.toLowerCase()}@example.com`;
    const app = await startAuthlibApp(running.sesame.url, client, alg);

    const asked = new URL(app.authorizationUrl);
    expect(asked.href.startsWith(`${running.sesame.url}/`)).toBe(true);
    expect(Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'scope', 'code_challenge_method', 'prompt'].map((name) => [name, asked.searchParams.get(name)]))).toEqual({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: client.redirect_uris![0],
      scope: 'openid email offline_access',
      code_challenge_method: 'S256',
      prompt: 'consent',
    });
    expect(asked.searchParams.get('state')).toBeTruthy();
    expect(asked.searchParams.get('nonce')).toBeTruthy();

    const { browser, page } = await signInWithCodeAt(running, app.authorizationUrl, email);
    const callback = await finishAtApp(browser, page);
    expect(callback.startsWith(`${client.redirect_uris![0]}?`)).toBe(true);

    const outcome = await app.finish(callback);
    const account = await running.sesame.accounts.findByEmail(email);
    expect(outcome.id_token_header.alg).toBe(alg);
    expect(outcome.id_token).toMatchObject({ iss: running.sesame.url, aud: client.client_id, sub: account!.id, email, email_verified: true });
    expect(outcome.token_type.toLowerCase()).toBe('bearer');
    expect(outcome.has_refresh_token).toBe(true);
    expect(outcome.userinfo).toEqual({ sub: account!.id, email, email_verified: true });
    expect(outcome.refresh).toEqual({ new_access_token: true, userinfo: { sub: account!.id, email, email_verified: true } });

    // The end_session_endpoint URL the app built, with the ID token authlib validated as the hint.
    const confirm = await browser.navigate(outcome.logout_url);
    expect([confirm.status, confirm.html]).toEqual([200, expect.stringContaining(`Only sign out of ${client.client_name}`)]);
    const action = /action="([^"]*\/session\/end\/confirm)"/.exec(confirm.html)![1]!;
    const done = await browser.navigate(new URL(action, running.sesame.url).href, { form: { ...formFields(confirm.html, '/session/end/confirm'), logout: 'yes' } });
    expect(done.leftTo).toBe(`${client.post_logout_redirect_uris![0]}?state=${outcome.logout_state}`);
    const again = await browser.navigate(app.authorizationUrl);
    expect(again.html).toContain('name="email"');
  });
});

describe('Python authlib as the app: a fresh sign-in on request, and form_post', () => {
  const client = CLIENTS.RS256;

  /** Signs `browser` in through an authlib app with the emailed code; returns the ID token authlib validated. */
  async function signIn(browser: HttpBrowser, email: string) {
    const app = await startAuthlibApp(running.sesame.url, client, 'RS256');
    const { page } = await signInWithCodeAt(running, app.authorizationUrl, email, browser);
    return (await app.finish(await finishAtApp(browser, page))).id_token;
  }

  /** Waits until the clock has passed the second `authTime` names (auth_time has whole seconds). */
  async function afterSecondOf(authTime: unknown) {
    while (Date.now() / 1000 < (authTime as number) + 1) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /**
   * Opens `app`'s authorization URL in a browser signed in to Sesame, expects the email form (no
   * single sign-on), signs in again there and hands authlib the callback.
   */
  async function signInAgain(browser: HttpBrowser, app: Awaited<ReturnType<typeof startAuthlibApp>>, email: string) {
    const emailForm = await browser.navigate(app.authorizationUrl);
    // Single sign-on would leave for the app's callback (or its consent page) here instead.
    expect([emailForm.leftTo, /\/interaction\/[^/]+$/.test(emailForm.url), emailForm.html]).toEqual([undefined, true, expect.stringContaining('name="email"')]);
    const check = await browser.navigate(`${emailForm.url}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
    const mail = await running.smtp.waitForMail(email);
    const page = await browser.navigate(`${emailForm.url}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    return app.finish(await finishAtApp(browser, page));
  }

  it('prompt=login asks a signed-in browser for the email again, and the new ID token has a newer auth_time', async () => {
    const email = 'authlib-prompt-login@example.com';
    const browser = new HttpBrowser();
    const first = await signIn(browser, email);

    // Without prompt=login the same browser is signed in by single sign-on, with the same auth_time.
    const quiet = await startAuthlibApp(running.sesame.url, client, 'RS256', { prompt: 'none' });
    const sso = await browser.navigate(quiet.authorizationUrl);
    expect(sso.leftTo?.startsWith(`${client.redirect_uris![0]}?code=`)).toBe(true);
    expect((await quiet.finish(sso.leftTo!)).id_token.auth_time).toBe(first.auth_time);

    await afterSecondOf(first.auth_time);
    const app = await startAuthlibApp(running.sesame.url, client, 'RS256', { prompt: 'login' });
    expect(new URL(app.authorizationUrl).searchParams.get('prompt')).toBe('login');
    const outcome = await signInAgain(browser, app, email);
    expect(outcome.id_token).toMatchObject({ sub: first.sub, email });
    expect(outcome.id_token.auth_time).toBeGreaterThan(first.auth_time as number);
  });

  it('max_age=0 on a sign-in a second old asks for the email again; authlib requires auth_time and the age is checked', async () => {
    const email = 'authlib-max-age@example.com';
    const browser = new HttpBrowser();
    const first = await signIn(browser, email);

    await afterSecondOf(first.auth_time);
    const app = await startAuthlibApp(running.sesame.url, client, 'RS256', { max_age: '0' });
    expect(new URL(app.authorizationUrl).searchParams.get('max_age')).toBe('0');
    const outcome = await signInAgain(browser, app, email);
    expect(outcome.id_token).toMatchObject({ sub: first.sub, email });
    expect(outcome.id_token.auth_time).toBeGreaterThan(first.auth_time as number);
  });

  it('response_mode=form_post answers with a self-submitting form to the redirect_uri, whose fields authlib exchanges', async () => {
    const email = 'authlib-form-post@example.com';
    const app = await startAuthlibApp(running.sesame.url, client, 'RS256', { response_mode: 'form_post' });
    const { page } = await signInWithCodeAt(running, app.authorizationUrl, email);

    // No redirect to the app: a page whose form posts itself there, as a browser would submit it.
    expect([page.leftTo, page.status]).toEqual([undefined, 200]);
    const form = /<form[^>]*>/.exec(page.html)![0];
    expect([/method="post"/i.test(form), /action="([^"]*)"/.exec(form)![1]]).toEqual([true, client.redirect_uris![0]]);
    expect(page.html).toMatch(/<script>[^<]*submit\(\)/);
    const fields = formFields(page.html, client.redirect_uris![0]!);
    expect(Object.keys(fields).sort()).toEqual(['code', 'iss', 'state']);
    expect(fields.iss).toBe(running.sesame.url);
    expect(fields.state).toBe(new URL(app.authorizationUrl).searchParams.get('state'));

    const outcome = await app.finish(new URLSearchParams(fields).toString());
    const account = await running.sesame.accounts.findByEmail(email);
    expect(outcome.id_token).toMatchObject({ iss: running.sesame.url, aud: client.client_id, sub: account!.id, email });
    expect(outcome.refresh).toEqual({ new_access_token: true, userinfo: { sub: account!.id, email, email_verified: true } });
  });
});
