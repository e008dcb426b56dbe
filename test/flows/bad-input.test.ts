import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it, jest } from '@jest/globals';
import { decodeEntities, formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An app whose registered redirect_uri has a query of its own, written as the operator wrote it.
const QUERY_APP = { ...TEST_CLIENT, client_id: 'query-app', redirect_uris: ['http://127.0.0.1:9/cb?flag&tenant=a%20b'] };
// An app the operator keeps from people's addresses: its scope is openid alone (and it belongs to
// the operator, so nobody is asked to consent to what it gets).
const OPENID_ONLY_APP = { ...TEST_CLIENT, client_id: 'openid-only-app', redirect_uris: ['http://127.0.0.1:9/openid-only'], scope: 'openid', first_party: true };
const running = useSesame({ config: { clients: [TEST_CLIENT, SERVER_APP_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, QUERY_APP, OPENID_ONLY_APP] } });

/** Opens the app's authorization and returns the email form page. */
async function openEmailForm(browser = new HttpBrowser()) {
  const page = await browser.navigate((await running.rp.startAuthorization()).url);
  return { browser, page, uid: page.url.split('/').pop()!, fields: formFields(page.html, '/email') };
}

function expectNoLeak(html: string) {
  expect(html).not.toMatch(/at .*\.(ts|js):\d+/);
  expect(html).not.toMatch(/Error:/);
}

describe('bad input gets a clear 4xx, never a 5xx', () => {
  it.each([
    ['empty', ''],
    ['no at sign', 'not-an-email'],
    ['two at signs', 'a@b@example.com'],
    ['header injection', 'victim@example.com\r\nBcc: everyone@example.com'],
    ['display name', 'Eve <eve@example.com>'],
    ['a list', 'a@example.com,b@example.com'],
    ['huge', `${'a'.repeat(300)}@example.com`],
    ['huge domain', `a@${'b'.repeat(260)}.com`],
    ['html', '<script>alert(1)</script>@example.com'],
  ])('refuses an email that is %s, and shows the form again', async (_label, email) => {
    const { browser, uid, fields } = await openEmailForm();
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...fields, email } });
    expect(page.status).toBe(400);
    expect(page.html).toContain('role="alert"');
    expect(page.html).toContain('name="email"');
    expect(page.html).not.toContain('<script>alert');
    expectNoLeak(page.html);
  });

  it('normalises case, whitespace and internationalised domains', async () => {
    const { browser, uid, fields } = await openEmailForm();
    await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...fields, email: '  Mixed.Case@BÜCHER.example ' } });
    const mail = await running.smtp.waitForMail('mixed.case@xn--bcher-kva.example');
    expect(mail.code).toMatch(/^\d{6}$/);
  });

  it('rejects a body over the size limit with 413', async () => {
    const { browser, uid, fields } = await openEmailForm();
    const response = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...fields, email: 'a@example.com', pad: 'x'.repeat(100_000) } });
    expect(response.status).toBe(413);
    expectNoLeak(await response.text());
  });

  it('rejects a JSON body with 415 and a repeated field with 400', async () => {
    const { browser, uid, fields } = await openEmailForm();
    const json = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });
    expect(json.status).toBe(415);
    const polluted = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(fields.csrf!)}&email=a@example.com&email=b@example.com`,
    });
    expect(polluted.status).toBe(400);
  });

  it('refuses a form without the interaction cookie (stale or foreign) with a helpful page', async () => {
    const { uid, fields } = await openEmailForm();
    const page = await new HttpBrowser().navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...fields, email: 'a@example.com' } });
    expect(page.status).toBe(400);
    expect(page.html).toContain('This sign-in has ended');
    expectNoLeak(page.html);
  });

  it('refuses a form without a valid CSRF token, or from another origin', async () => {
    const { browser, uid, fields } = await openEmailForm();
    const missing = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { form: { email: 'a@example.com' } });
    expect(missing.status).toBe(403);
    const forged = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { form: { csrf: 'forged', email: 'a@example.com' } });
    expect(forged.status).toBe(403);
    const crossSite = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...fields, email: 'a@example.com' }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
  });

  it('answers an unknown interaction uid or an unknown page with a 4xx page', async () => {
    const browser = new HttpBrowser();
    expect((await browser.navigate(`${running.sesame.url}/interaction/nope`)).status).toBe(400);
    expect((await browser.navigate(`${running.sesame.url}/interaction/${'x'.repeat(500)}`)).status).toBe(404);
    expect((await browser.navigate(`${running.sesame.url}/nowhere`)).status).toBe(404);
    const json = await browser.request(`${running.sesame.url}/nowhere`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers a method a page does not take with 405 and Allow, as a page or JSON', async () => {
    const { browser, uid } = await openEmailForm();
    for (const [method, path, allow] of [['PUT', `/interaction/${uid}/email`, 'POST, HEAD, GET'], ['DELETE', `/interaction/${uid}/check`, 'HEAD, GET'], ['PATCH', '/account', 'HEAD, GET']] as const) {
      const page = await browser.request(`${running.sesame.url}${path}`, { method });
      expect([method, path, page.status, page.headers.get('allow')]).toEqual([method, path, 405, allow]);
      expect(await page.text()).toContain(`This page does not take ${method} requests.`);
    }
    const json = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { method: 'PUT', headers: { accept: 'application/json' } });
    expect([json.status, await json.json()]).toEqual([405, expect.objectContaining({ error: 'method_not_allowed' })]);
    const options = await browser.request(`${running.sesame.url}/interaction/${uid}/email`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([200, 'POST, HEAD, GET']);
    // A path no router knows is still simply not found, whatever the method.
    expect((await browser.request(`${running.sesame.url}/nowhere`, { method: 'PUT' })).status).toBe(404);
  });

  it('a method outside the routers\' list (TRACE, PROPFIND: scanners send them) is a 405 on a page and a 404 elsewhere, never a 5xx', async () => {
    const { uid } = await openEmailForm();
    const answers: [string, string, number, string | undefined][] = [];
    for (const method of ['TRACE', 'PROPFIND']) {
      for (const path of [`/interaction/${uid}/email`, '/account', '/nowhere', '/jwks', '/static/sesame.css']) {
        const { status, headers } = await requestWith(method, `${running.sesame.url}${path}`);
        answers.push([method, path, status, headers.allow]);
      }
    }
    expect(answers).toEqual([
      ['TRACE', `/interaction/${uid}/email`, 405, 'POST, HEAD, GET'],
      ['TRACE', '/account', 405, 'HEAD, GET'],
      ['TRACE', '/nowhere', 404, undefined],
      ['TRACE', '/jwks', 404, undefined],
      ['TRACE', '/static/sesame.css', 404, undefined],
      ['PROPFIND', `/interaction/${uid}/email`, 405, 'POST, HEAD, GET'],
      ['PROPFIND', '/account', 405, 'HEAD, GET'],
      ['PROPFIND', '/nowhere', 404, undefined],
      ['PROPFIND', '/jwks', 404, undefined],
      ['PROPFIND', '/static/sesame.css', 404, undefined],
    ]);
    const json = await requestWith('TRACE', `${running.sesame.url}/account`, { accept: 'application/json' });
    expect(JSON.parse(json.body)).toMatchObject({ error: 'method_not_allowed', error_description: 'This page does not take TRACE requests.' });
  });

  it('a resource indicator is refused with invalid_target, and prints no "you MUST change it" warning', async () => {
    // The library's default refusal warns on stderr once per process, outside the JSON log: anyone
    // adding `resource=` to a request made it look as if Sesame were misconfigured.
    const warn = jest.spyOn(console, 'warn');
    try {
      const { url } = await running.rp.startAuthorization({ resource: 'https://api.example/' });
      const response = await fetch(url, { redirect: 'manual' });
      expect(new URL(response.headers.get('location')!).searchParams.get('error')).toBe('invalid_target');
      expect(warn.mock.calls.map((args) => String(args[0])).filter((line) => line.includes('oidc-provider'))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });

  it('POST to the authorization or logout endpoint is a 405 that says to send the browser with GET', async () => {
    const browser = new HttpBrowser();
    for (const path of ['/auth', '/session/end']) {
      const page = await browser.request(`${running.sesame.url}${path}`, { form: { client_id: 'test-app' } });
      expect([path, page.status, page.headers.get('allow')]).toEqual([path, 405, 'GET, HEAD']);
      expect(await page.text()).toContain('Send the browser here with GET');
    }
  });

  it('the authenticator step opened before the email is proven sends the browser to the email step', async () => {
    const { browser, uid } = await openEmailForm();
    for (const path of ['totp', 'totp/enroll']) {
      const early = await browser.request(`${running.sesame.url}/interaction/${uid}/${path}`);
      expect([path, early.status, early.headers.get('location')]).toEqual([path, 303, `/interaction/${uid}`]);
    }
    expect((await browser.navigate(`${running.sesame.url}/interaction/${uid}/totp`)).html).toContain('name="email"');
  });

  it('a stale or forged resume of a sign-in that names a client is a 4xx page, not a crash', async () => {
    // Found by the hostile-input suite: oidc-provider 9.13.3 threw a TypeError here (500) while
    // trying to fall back to the client's only redirect_uri; see allowOmittingSingleRegisteredRedirectUri.
    const { uid } = await openEmailForm();
    for (const query of ['client_id=test-app', 'client_id=first-party-spa&response_type=code', 'client_id=test-app&max_age=x']) {
      for (const resumeUid of [uid, 'no-such-sign-in']) {
        const response = await new HttpBrowser().request(`${running.sesame.url}/auth/${resumeUid}?${query}`);
        expect([query, response.status]).toEqual([query, 400]);
        expect(response.headers.get('location')).toBeNull();
        expectNoLeak(await response.text());
      }
    }
  });

  it('an unknown client gets an error page and no redirect', async () => {
    const url = new URL((await running.rp.startAuthorization()).url);
    url.searchParams.set('client_id', 'who-is-this');
    const page = await new HttpBrowser().navigate(url.href);
    expect(page.status).toBe(400);
    expect(page.leftTo).toBeUndefined();
    expect(page.html).toContain('not registered');
  });

  it('a redirect_uri that is not registered gets an error page and no redirect', async () => {
    const url = new URL((await running.rp.startAuthorization()).url);
    url.searchParams.set('redirect_uri', 'https://evil.example/steal');
    const page = await new HttpBrowser().navigate(url.href);
    expect(page.status).toBe(400);
    expect(page.leftTo).toBeUndefined();
    expect(page.html).toContain('not registered');
  });

  it('a public client without PKCE is refused', async () => {
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    const url = new URL((await spa.startAuthorization()).url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const page = await new HttpBrowser().navigate(url.href);
    expect(page.leftTo).toMatch(/error=invalid_request/);
  });
});

/** The app's authorization URL with some parameters replaced (undefined: left out). */
async function authorizationUrl(params: Record<string, string | undefined>, rp = running.rp) {
  const url = new URL((await rp.startAuthorization()).url);
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return url;
}

/** The error the authorization endpoint sent back to the app's redirect_uri, from the query or the fragment. */
async function errorAtApp(params: Record<string, string | undefined>, rp = running.rp) {
  const url = await authorizationUrl(params, rp);
  const response = await new HttpBrowser().request(url.href);
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location')!);
  expect(location.href.startsWith(rp.redirectUri)).toBe(true);
  const fields = location.searchParams.has('error') ? location.searchParams : new URLSearchParams(location.hash.slice(1));
  return { error: fields.get('error'), description: fields.get('error_description') ?? '', state: fields.get('state'), sentState: url.searchParams.get('state') };
}

/** Sesame's error page: the person's message, and the detail for the app's developer (decoded). */
async function errorPage(url: string) {
  const page = await new HttpBrowser().navigate(url);
  expect(page.leftTo).toBeUndefined();
  const text = (pattern: RegExp) => decodeEntities(pattern.exec(page.html)?.[1] ?? '');
  return { status: page.status, html: page.html, message: text(/role="alert">([^<]*)</), detail: text(/For the app’s developer: ([^<]*)</), code: text(/Error code <code>([^<]*)</) };
}

/** An authorization code for the test app, not yet exchanged, and what the app kept to exchange it. */
async function unredeemedCode(email: string) {
  const { pending, uid, browser, checkPage, mail, origin } = await requestSignInMail(running, email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  return { code: new URL(await finishAtApp(browser, page)).searchParams.get('code')!, verifier: pending.verifier };
}

/** POST /token as a program does (no Accept: text/html), with the test app's HTTP Basic credentials unless `headers` says otherwise. */
async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}` }) {
  const response = await fetch(`${running.sesame.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  return { status: response.status, ...((await response.json()) as { error: string; error_description: string }) };
}

describe('an app’s mistakes in its authorization request are explained to its developer', () => {
  it('a scope without openid is invalid_scope saying that scope must include openid, at the app (query and form_post)', async () => {
    // oidc-provider's words were "openid scope must be requested for clients with require_auth_time".
    const withoutOpenid = await errorAtApp({ scope: 'email profile' });
    expect(withoutOpenid).toMatchObject({ error: 'invalid_scope', state: withoutOpenid.sentState });
    expect(withoutOpenid.description).toMatch(/^scope must include openid \(got 'email profile'\)/);
    expect(withoutOpenid.description).not.toContain('require_auth_time');
    // No scope at all: a required parameter is missing.
    const missing = await errorAtApp({ scope: undefined });
    expect(missing.error).toBe('invalid_request');
    expect(missing.description).toMatch(/^scope is missing: send scope=openid/);
    // form_post: the same words in the self-submitting form, to the registered redirect_uri.
    const response = await new HttpBrowser().request((await authorizationUrl({ scope: 'email', response_mode: 'form_post' })).href);
    const html = await response.text();
    expect(response.status).toBe(400);
    expect(html).toContain(`action="${running.rp.redirectUri}"`);
    expect(html).toContain('<input type="hidden" name="error" value="invalid_scope"/>');
    expect(html).toContain('<input type="hidden" name="error_description" value="scope must include openid (got &#39;email&#39;)');
    // With a redirect_uri that is not registered nothing goes to it: the page, as for any request.
    const page = await errorPage((await authorizationUrl({ scope: 'email', redirect_uri: 'https://evil.example/cb' })).href);
    expect([page.status, page.code]).toEqual([400, 'invalid_redirect_uri']);
  });

  it('only error and error_description change in the library\'s redirect: the rest stays as it wrote it, in place', async () => {
    const app = await startRelyingParty(running.sesame.url, QUERY_APP);
    const url = await authorizationUrl({ scope: 'email' }, app);
    const response = await new HttpBrowser().request(url.href);
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    // oidc-provider writes the registered query its own way (flag=, a+b), then error, error_description, state and iss.
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?flag=&tenant=a\+b&error=invalid_scope&error_description=scope%20must%20include%20openid[^&]*&state=([^&]+)&iss=http%3A%2F%2F127\.0\.0\.1%3A\d+$/);
    expect(new URL(location).searchParams.get('state')).toBe(url.searchParams.get('state'));
  });

  it('PKCE mistakes say what to send', async () => {
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    const missing = await errorAtApp({ code_challenge: undefined, code_challenge_method: undefined }, spa);
    expect(missing.error).toBe('invalid_request');
    expect(missing.description).toMatch(/^code_challenge is missing: this app is a public client \(token_endpoint_auth_method none\), so it must use PKCE: send code_challenge = BASE64URL\(SHA-256\(code_verifier\)\) with code_challenge_method=S256/);
    const plain = await errorAtApp({ code_challenge_method: 'plain' }, spa);
    expect(plain.description).toBe("code_challenge_method must be S256 (got 'plain'): Sesame supports no other method");
    const noMethod = await errorAtApp({ code_challenge_method: undefined }, spa);
    expect(noMethod.description).toMatch(/^code_challenge_method is missing: send code_challenge_method=S256/);
  });

  it('unsupported values are named, with the values Sesame takes', async () => {
    expect(await errorAtApp({ prompt: 'select_account' })).toMatchObject({ error: 'invalid_request', description: "prompt 'select_account' is not supported: Sesame takes none, login, mfa and consent (none alone)" });
    expect(await errorAtApp({ prompt: 'login create' })).toMatchObject({ description: expect.stringMatching(/^prompt 'create' is not supported/) });
    expect(await errorAtApp({ max_age: '-1' })).toMatchObject({ error: 'invalid_request', description: "max_age must be a whole number of seconds, 0 or more (got '-1')" });
    expect(await errorAtApp({ response_mode: 'jwt' })).toMatchObject({ error: 'unsupported_response_mode', description: "response_mode 'jwt' is not supported: use query (the default for response_type=code), form_post or fragment" });
    // An implicit-flow response_type: the error goes in the fragment, as RFC 6749 section 4.2.2.1 has it.
    expect(await errorAtApp({ response_type: 'id_token token' })).toMatchObject({ error: 'unsupported_response_type', description: expect.stringMatching(/^response_type must be code \(got 'id_token token'\)/) });
    expect(await errorAtApp({ request: 'eyJhbGciOiJub25lIn0.e30.' })).toMatchObject({ error: 'request_not_supported', description: expect.stringContaining('send the parameters in the query string') });
    expect(await errorAtApp({ id_token_hint: 'not-a-token' })).toMatchObject({ error: 'invalid_request', description: expect.stringMatching(/^id_token_hint is not an ID token this Sesame issued to this app/) });
    // The value sent is quoted as ASCII without double quotes (RFC 6749 section 4.1.2.1).
    expect(await errorAtApp({ prompt: 'bad"\\ñ' })).toMatchObject({ description: expect.stringMatching(/^prompt 'bad\?\?\?' is not supported/) });
  });

  it('a scope the app did not register is named, with the scope it did', async () => {
    const { SERVER_APP_CLIENT } = await import('../helpers/test-config.ts');
    const serverApp = await startRelyingParty(running.sesame.url, SERVER_APP_CLIENT);
    expect(await errorAtApp({ scope: 'openid profile' }, serverApp)).toMatchObject({ error: 'invalid_scope', description: "scope 'profile' is not registered for this app, whose scope is 'openid email offline_access': ask only for those, or add it to the app's scope in the clients file" });
  });

  it('claims of a scope the app did not register are refused in the claims parameter too, naming them', async () => {
    const openidOnly = await startRelyingParty(running.sesame.url, OPENID_ONLY_APP);
    const emailClaims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { email_verified: null } });
    expect(await errorAtApp({ scope: 'openid', claims: emailClaims }, openidOnly)).toMatchObject({
      error: 'invalid_request',
      description: "claims asks for email and email_verified, which come with scope email, not registered for this app, whose scope is 'openid': ask only for claims of its scope, or add email to the app's scope in the clients file",
    });
    // Claims of its own scope, and names Sesame does not know (released to nobody), are still taken.
    const ownClaims = JSON.stringify({ id_token: { auth_time: { essential: true }, acr: null, nickname: null } });
    const page = await new HttpBrowser().navigate((await authorizationUrl({ scope: 'openid', claims: ownClaims }, openidOnly)).href);
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
  });

  it('the error page tells the person the app made a mistake, and the developer what it was', async () => {
    const noClient = await errorPage((await authorizationUrl({ client_id: undefined })).href);
    expect([noClient.status, noClient.code]).toEqual([400, 'invalid_request']);
    expect(noClient.message).toMatch(/^The app that sent you here made a mistake in its sign-in request/);
    expect(noClient.detail).toBe("missing required parameter 'client_id'");
    const unknown = await errorPage((await authorizationUrl({ client_id: 'wiki<b>"' })).href);
    expect(unknown.message).toContain('not registered');
    expect(unknown.detail).toBe("client_id 'wiki<b>?' is not registered with this Sesame: check it against the clients file (CLIENTS_FILE)");
    expect(unknown.html).not.toContain('wiki<b>');
  });

  it.each([
    ['a trailing slash', 'http://127.0.0.1:9/callback/', 'it differs from a registered one only by a trailing slash'],
    ['https for http', 'https://127.0.0.1:9/callback', 'it uses https where the registered one uses http'],
    ['another port', 'http://127.0.0.1:3000/callback', 'it uses a different port from the registered one (an app that listens on a different loopback port'],
    ['localhost for 127.0.0.1', 'http://localhost:9/callback', 'it names the loopback host as localhost where the registered one says 127.0.0.1'],
    ['another address', 'https://evil.example/callback', undefined],
  ])('a redirect_uri with %s is refused on the page, which names the slip', async (_label, redirectUri, slip) => {
    const page = await errorPage((await authorizationUrl({ redirect_uri: redirectUri })).href);
    expect([page.status, page.code]).toEqual([400, 'invalid_redirect_uri']);
    expect(page.message).toContain('has not registered');
    expect(page.detail).toMatch(new RegExp(`^redirect_uri '${redirectUri.replace(/[.?/]/g, '\\$&')}' is not registered for client_id 'test-app': it must equal one of the app's redirect_uris character for character`));
    if (slip) expect(page.detail).toContain(`, and ${slip}`);
    else expect(page.detail).not.toContain(', and');
  });
});

describe('an app’s mistakes at the token endpoint are explained to its developer', () => {
  it('each way an authorization code can fail says which it is', async () => {
    const redirectUri = TEST_CLIENT.redirect_uris![0]!;
    // oidc-provider's words for all of these were "grant request is invalid".
    const first = await unredeemedCode('token-mistakes-1@example.com');
    expect(await tokenRequest({ grant_type: 'authorization_code', code: first.code, redirect_uri: redirectUri, code_verifier: 'x'.repeat(43) })).toMatchObject({ status: 400, error: 'invalid_grant', error_description: expect.stringMatching(/^code_verifier does not match the code_challenge of the authorization request/) });
    const second = await unredeemedCode('token-mistakes-2@example.com');
    expect(await tokenRequest({ grant_type: 'authorization_code', code: second.code, redirect_uri: redirectUri })).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/^code_verifier is missing/) });
    const third = await unredeemedCode('token-mistakes-3@example.com');
    expect(await tokenRequest({ grant_type: 'authorization_code', code: third.code, redirect_uri: `${redirectUri}/`, code_verifier: third.verifier })).toMatchObject({ error: 'invalid_grant', error_description: `redirect_uri '${redirectUri}/' is not the one the authorization request sent: send the same redirect_uri to both endpoints` });
    const fourth = await unredeemedCode('token-mistakes-4@example.com');
    const exchange = { grant_type: 'authorization_code', code: fourth.code, redirect_uri: redirectUri, code_verifier: fourth.verifier };
    expect((await tokenRequest(exchange)).status).toBe(200);
    expect(await tokenRequest(exchange)).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/^the authorization code was already used: a code works once/) });
    expect(await tokenRequest({ ...exchange, code: 'no-such-code' })).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/^the authorization code is not valid: it is unknown, has expired \(a code lasts 60 seconds\) or was revoked/) });
    expect(await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'no-such-token' })).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/^the refresh token is not valid/) });
  });

  it('client authentication failures say what is wrong with it', async () => {
    const form = { grant_type: 'authorization_code', code: 'x', redirect_uri: TEST_CLIENT.redirect_uris![0]!, code_verifier: 'x'.repeat(43) };
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
    expect(await tokenRequest(form, basic(TEST_CLIENT.client_id, 'wrong'))).toMatchObject({ status: 401, error: 'invalid_client', error_description: "client authentication failed: the client_secret is not this app's" });
    expect(await tokenRequest(form, basic('no-such-app', 'wrong'))).toMatchObject({ status: 401, error: 'invalid_client', error_description: 'client authentication failed: no app is registered with this client_id' });
    // A confidential app that sends its client_id without the secret (as a public client would).
    expect(await tokenRequest({ ...form, client_id: TEST_CLIENT.client_id }, {})).toMatchObject({
      status: 401,
      error: 'invalid_client',
      error_description: "client authentication failed: this app is registered with token_endpoint_auth_method 'client_secret_basic', so send its client_id and client_secret (HTTP Basic, or the client_id and client_secret form fields)",
    });
  });
});

describe('an app’s mistakes in its sign-out request are explained to its developer', () => {
  it('an unregistered post_logout_redirect_uri or client_id is named below the message for the person', async () => {
    const unregistered = await errorPage(`${running.sesame.url}/session/end?client_id=test-app&post_logout_redirect_uri=${encodeURIComponent('http://127.0.0.1:9/signed-out/')}`);
    expect([unregistered.status, unregistered.message]).toEqual([400, 'The app asked to send you back to an address it has not registered, so nothing was done. You are still signed in.']);
    expect(unregistered.detail).toBe("post_logout_redirect_uri 'http://127.0.0.1:9/signed-out/' is not registered for client_id 'test-app': it must equal one of the app's post_logout_redirect_uris character for character, and it differs from a registered one only by a trailing slash");
    const unknown = await errorPage(`${running.sesame.url}/session/end?client_id=no-such-app`);
    expect([unknown.status, unknown.code]).toEqual([400, 'invalid_client']);
    expect(unknown.message).toBe('The app that sent you here made a mistake in its sign-out request, so nothing was done. You are still signed in.');
    expect(unknown.detail).toBe("client_id 'no-such-app' is not registered with this Sesame");
  });
});

describe('wrong codes', () => {
  it('five wrong codes kill the code, and then even the right one fails', async () => {
    const { browser, uid, mail, checkPage } = await requestSignInMail(running, 'guesser@example.com');
    const { csrf } = formFields(checkPage.html, '/code');
    const wrong = mail.code === '000000' ? '111111' : '000000';
    for (let i = 1; i <= 4; i++) {
      const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: wrong } });
      expect(page.url).toBe(`${running.sesame.url}/interaction/${uid}/check?error=wrong-code&left=${5 - i}`);
      expect(page.html).toContain(`${5 - i} tr`);
    }
    const fifth = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: wrong } });
    expect(fifth.url).toBe(`${running.sesame.url}/interaction/${uid}?error=code-spent`);
    expect(fifth.html).toContain('Too many wrong codes');
    // The email form is filled in with the address again (kept by the server, not in the URL).
    expect(/<input[^>]*id="email"[^>]*>/.exec(fifth.html)![0]).toContain('value="guesser@example.com"');
    const right = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: mail.code! } });
    expect(right.url).toBe(`${running.sesame.url}/interaction/${uid}?error=code-expired`);
    expect(right.leftTo).toBeUndefined();
  });

  it('a code of the wrong shape is refused without counting against the code', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'shape@example.com');
    const { csrf } = formFields(checkPage.html, '/code');
    for (const code of ['', '12', 'abcdef', '1'.repeat(64)]) {
      const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code } });
      expect(page.url).toBe(`${running.sesame.url}/interaction/${uid}/check?error=code-shape`);
      expect(page.html).toContain('Enter the 6-digit code');
    }
    const spaced = `${mail.code!.slice(0, 3)} ${mail.code!.slice(3)}`;
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: spaced } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('shape@example.com');
  });
});

/** One request with any method (fetch refuses TRACE), answered in full. */
function requestWith(method: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(url, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    sent.on('error', reject);
    sent.end();
  });
}

/** Writes raw bytes to Sesame's port and reads everything until it closes the connection. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('end', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('requests the HTTP parser refuses', () => {
  it('too many cookies get a 431 page that says what to do, not a blank page', async () => {
    const answer = await rawExchange(running.sesame.url, `GET /account HTTP/1.1\r\nHost: x\r\nCookie: big=${'a'.repeat(20_000)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(answer).toMatch(/\r\nContent-Type: text\/html; charset=utf-8\r\n/i);
    expect(answer).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
    expect(answer).toContain('Clear this site’s cookies');
    expect(answer).toContain('request_header_fields_too_large');
    // The bytes received are never echoed back.
    expect(answer).not.toContain('aaaaaaaaaa');
    const [head, body] = answer.split('\r\n\r\n');
    expect(Number(/Content-Length: (\d+)/i.exec(head!)![1])).toBe(Buffer.byteLength(body!));
  });

  it('bytes that are not HTTP get a 400 page', async () => {
    const answer = await rawExchange(running.sesame.url, 'HELLO <script>alert(1)</script>\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('malformed_request');
    expect(answer).not.toContain('<script>alert');
  });
});
