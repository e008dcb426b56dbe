import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { formFields } from '../helpers/http-browser.ts';
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
  refresh: { new_access_token: boolean; userinfo: Record<string, unknown> };
  logout_url: string;
  logout_state: string;
}

/** Starts authlib_rp.py for `client`; resolves with its authorization URL and a function that hands it the callback. */
async function startAuthlibApp(issuer: string, client: ClientRegistration, alg: string) {
  const child = spawn(PYTHON, [SCRIPT, issuer, client.client_id, client.client_secret!, client.redirect_uris![0]!, alg, client.post_logout_redirect_uris![0]!], { stdio: ['pipe', 'pipe', 'pipe'] });
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
