import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it, jest } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

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
    const { FIRST_PARTY_CLIENT } = await import('../helpers/test-config.ts');
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    const url = new URL((await spa.startAuthorization()).url);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const page = await new HttpBrowser().navigate(url.href);
    expect(page.leftTo).toMatch(/error=invalid_request/);
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
