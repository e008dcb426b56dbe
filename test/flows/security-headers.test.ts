import { beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { CookieKeys } from '../../src/http/cookie-keys.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { reachConsentPage, requestSignInMail, signInWithCodeAt } from '../helpers/sign-in.ts';
import { accountWithTotp } from '../helpers/second-factor.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// devTools: /demo and /dev/outbox are pages of ours too (development only).
const running = useSesame({ config: { devTools: true } });

interface Fetched {
  name: string;
  headers: Headers;
  html: string;
}

/** Every kind of page Sesame serves, ours and oidc-provider's, reached the way a person would. */
async function everyPage(): Promise<Fetched[]> {
  const pages: Fetched[] = [];
  const keep = (name: string, page: { headers: Headers; html: string }) => pages.push({ name, headers: page.headers, html: page.html });

  const signIn = await requestSignInMail(running, 'headers@example.com');
  const emailPage = await new HttpBrowser().navigate((await running.rp.startAuthorization()).url);
  keep('email form', emailPage);
  keep('check your email', await signIn.browser.navigate(`${running.sesame.url}/interaction/${signIn.uid}/check`));
  keep('link confirmation (same browser)', await signIn.browser.navigate(signIn.mail.link!));
  keep('link confirmation (other device)', await new HttpBrowser().navigate(signIn.mail.link!));
  const signedIn = await signIn.browser.navigate(`${running.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
  expect(signedIn.leftTo).toMatch(/callback\?code=/);
  keep('consent', (await reachConsentPage(running, 'headers-consent@example.com')).page);
  keep('our error page (sign-in ended)', await new HttpBrowser().navigate(`${running.sesame.url}/interaction/no-such-sign-in`));
  keep('our 404', await new HttpBrowser().navigate(`${running.sesame.url}/nowhere`));
  const unknownClient = new URL((await running.rp.startAuthorization()).url);
  unknownClient.searchParams.set('client_id', 'nobody');
  keep('oidc-provider error page (renderError)', await new HttpBrowser().navigate(unknownClient.href));
  const logout = await signIn.browser.navigate(`${running.sesame.url}/session/end?client_id=test-app`);
  expect(logout.html).toContain('Sign out of Sesame on this browser');
  keep('oidc-provider logout confirmation', logout);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(logout.html)![1]!;
  keep('oidc-provider signed-out page', await signIn.browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { xsrf, logout: 'yes' } }));
  keep('demo app', await new HttpBrowser().navigate(`${running.sesame.url}/demo`));

  // The second factor: the prompt in a sign-in, and the account page with its enrolment (QR code).
  await accountWithTotp(running.sesame, 'headers-totp@example.com');
  const withTotp = await requestSignInMail(running, 'headers-totp@example.com');
  const prompt = await withTotp.browser.navigate(`${running.sesame.url}/interaction/${withTotp.uid}/code`, { form: { ...formFields(withTotp.checkPage.html, '/code'), code: withTotp.mail.code! } });
  expect(prompt.url).toMatch(/\/totp$/);
  keep('authenticator prompt', prompt);
  const { browser: accountBrowser, page: accountPage } = await signInWithCodeAt(running, `${running.sesame.url}/account`, 'headers-account@example.com');
  expect(accountPage.url).toBe(`${running.sesame.url}/account`);
  keep('account page', accountPage);
  keep('account: set up an authenticator (QR code)', await accountBrowser.navigate(`${running.sesame.url}/account/totp/enroll`));
  // A person who opens a JSON endpoint in a browser gets our error page, with its page headers.
  const userinfoInBrowser = await fetch(`${running.sesame.url}/me`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
  expect(userinfoInBrowser.headers.get('content-type')).toContain('text/html');
  keep('userinfo opened in a browser (oidc-provider renderError)', { headers: userinfoInBrowser.headers, html: await userinfoInBrowser.text() });
  keep('dev outbox', await new HttpBrowser().navigate(`${running.sesame.url}/dev/outbox`));
  const css = await fetch(`${running.sesame.url}/static/sesame.css`);
  keep('stylesheet', { headers: css.headers, html: '' });
  return pages;
}

const nonceOf = (csp: string) => /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];

describe('security headers on every page', () => {
  let pages: Fetched[];
  beforeAll(async () => {
    pages = await everyPage();
  });

  it('a strict CSP: scripts only with this response\'s nonce, styles only from our stylesheet, no framing', () => {
    for (const { name, headers } of pages) {
      const csp = headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([key, ...values]) => [key, values]));
      expect([name, directives['default-src']]).toEqual([name, ["'none'"]]);
      expect([name, directives['frame-ancestors']]).toEqual([name, ["'none'"]]);
      expect([name, directives['style-src']]).toEqual([name, ["'self'"]]);
      expect([name, directives['base-uri']]).toEqual([name, ["'none'"]]);
      expect([name, directives['script-src']?.length]).toEqual([name, 1]);
      expect([name, Buffer.from(nonceOf(csp) ?? '', 'base64').length]).toEqual([name, 16]);
      expect(csp).not.toContain('unsafe');
    }
  });

  it('a fresh nonce per response', () => {
    const nonces = pages.map((page) => nonceOf(page.headers.get('content-security-policy')!));
    expect(new Set(nonces).size).toBe(pages.length);
  });

  it('nosniff, no Referer, no framing for old browsers, on every response', () => {
    for (const { name, headers } of pages) {
      expect([name, headers.get('x-content-type-options')]).toEqual([name, 'nosniff']);
      expect([name, headers.get('referrer-policy')]).toEqual([name, 'no-referrer']);
      expect([name, headers.get('x-frame-options')]).toEqual([name, 'DENY']);
      // Not in development or test: HSTS would pin localhost to https for a year.
      expect([name, headers.get('strict-transport-security')]).toEqual([name, null]);
    }
  });

  it('discovery and JWKS, answered from memory (http/published-documents.ts), carry no script and cannot be framed', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const { headers } = await fetch(`${running.sesame.url}${path}`);
      const csp = headers.get('content-security-policy') ?? '';
      expect([path, csp]).toEqual([path, expect.stringContaining("default-src 'none'")]);
      expect([path, csp]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
      expect([path, headers.get('x-content-type-options'), headers.get('referrer-policy')]).toEqual([path, 'nosniff', 'no-referrer']);
    }
  });

  it('the JSON endpoints (token, introspection, revocation, userinfo) answer with a fixed no-script policy, through the same request id and https rule', async () => {
    const form = (body: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
    const answers = {
      token: await fetch(`${running.sesame.url}/token`, form({ grant_type: 'authorization_code', code: 'no-such-code', client_id: TEST_CLIENT.client_id })),
      introspection: await fetch(`${running.sesame.url}/token/introspection`, form({ token: 'x' })),
      revocation: await fetch(`${running.sesame.url}/token/revocation`, form({ token: 'x' })),
      userinfo: await fetch(`${running.sesame.url}/me`),
    };
    for (const [name, response] of Object.entries(answers)) {
      expect([name, response.status >= 400 && response.status < 500]).toEqual([name, true]);
      expect([name, response.headers.get('content-type')]).toEqual([name, expect.stringContaining('application/json')]);
      expect([name, await response.json()]).toEqual([name, expect.objectContaining({ error: expect.any(String) })]);
      expect([name, response.headers.get('content-security-policy')]).toEqual([name, "default-src 'none'; frame-ancestors 'none'"]);
      expect([name, response.headers.get('x-content-type-options'), response.headers.get('referrer-policy'), response.headers.get('x-frame-options')]).toEqual([name, 'nosniff', 'no-referrer', 'DENY']);
      expect([name, response.headers.get('x-request-id')]).toEqual([name, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect([name, response.headers.get('strict-transport-security')]).toEqual([name, null]);
    }
  });

  it('every script tag carries the nonce; no inline handlers, inline styles or javascript: URLs', () => {
    const html = pages.filter((page) => page.html !== '');
    expect(html.length).toBeGreaterThan(10);
    for (const { name, headers, html: body } of html) {
      const nonce = nonceOf(headers.get('content-security-policy')!);
      for (const tag of body.match(/<script\b[^>]*>/g) ?? []) expect([name, tag]).toEqual([name, expect.stringContaining(`nonce="${nonce}"`)]);
      expect([name, /\son[a-z]+\s*=/i.test(body)]).toEqual([name, false]);
      expect([name, /<style\b|\sstyle\s*=/i.test(body)]).toEqual([name, false]);
      expect([name, /javascript:/i.test(body)]).toEqual([name, false]);
    }
    expect(html.find((page) => page.name === 'check your email')!.html).toMatch(/<script [^>]*nonce=/);
  });

  it('pages that can carry sign-in secrets are never cached', () => {
    for (const { name, headers } of pages.filter((page) => /check|link|consent|error|404|email form|outbox|authenticator|account/.test(page.name))) {
      expect([name, headers.get('cache-control')]).toEqual([name, expect.stringContaining('no-store')]);
    }
  });
});

describe('oidc-provider\'s own inline script (response_mode=form_post) still runs', () => {
  it('its sha256 is added to our script-src next to the nonce', async () => {
    const pending = await running.rp.startAuthorization({ response_mode: 'form_post' });
    const browser = new HttpBrowser();
    const page = await browser.navigate(pending.url);
    const uid = page.url.split('/').pop()!;
    await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(page.html, '/email'), email: 'form-post@example.com' } });
    const mail = await running.smtp.waitForMail('form-post@example.com');
    const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    // Consent is given with the code: the authorization resumes straight into the form_post page.
    const posted = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    expect(posted.html).toContain(`action="${running.rp.redirectUri}"`);
    const script = /<script>([\s\S]*?)<\/script>/.exec(posted.html)![1]!;
    const csp = posted.headers.get('content-security-policy')!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(nonceOf(csp)).toBeDefined();
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('in production', () => {
  it('adds HSTS to answers that came over TLS, and only to those (RFC 6797 §7.2)', async () => {
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { nodeEnv: 'production', issuer: 'https://id.sesame.test', trustProxy: true } });
    const plain = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { nodeEnv: 'production' } });
    try {
      const viaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
      // A page of ours, the documents answered from memory, and a JSON endpoint (/me).
      for (const path of ['/nowhere', '/.well-known/openid-configuration', '/jwks', '/.well-known/openid-configuration', '/me']) {
        const response = await fetch(`${tls.url}${path}`, { headers: viaProxy });
        expect([path, response.headers.get('strict-transport-security')]).toEqual([path, 'max-age=63072000; includeSubDomains']);
      }
      const revalidated = await fetch(`${tls.url}/jwks`, { headers: { ...viaProxy, 'if-none-match': (await fetch(`${tls.url}/jwks`, { headers: viaProxy })).headers.get('etag')! } });
      expect([revalidated.status, revalidated.headers.get('strict-transport-security')]).toEqual([304, 'max-age=63072000; includeSubDomains']);
      // Plain HTTP: to the process itself (no proxy), or a production Sesame on a loopback http issuer.
      for (const url of [`${tls.url}/jwks`, `${plain.url}/nowhere`, `${plain.url}/jwks`, `${plain.url}/me`]) {
        expect([url, (await fetch(url)).headers.get('strict-transport-security')]).toEqual([url, null]);
      }
    } finally {
      await tls.close();
      await plain.close();
    }
  });
});

/** name → lower-cased attributes of every Set-Cookie in a response. */
function cookiesOf(response: Response): Map<string, string[]> {
  return new Map(response.headers.getSetCookie().map((header) => {
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    return [pair!.slice(0, pair!.indexOf('=')), attributes.map((a) => a.toLowerCase())];
  }));
}

const authorizationParams = () =>
  new URLSearchParams({ client_id: 'test-app', response_type: 'code', scope: 'openid', redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });

describe('cookies', () => {
  it('oidc-provider\'s and ours are HttpOnly and SameSite=Lax; not Secure on a plain-http issuer', async () => {
    const browser = new HttpBrowser();
    const auth = await browser.request((await running.rp.startAuthorization()).url);
    const demo = await browser.request(`${running.sesame.url}/demo/start`);
    const accountFlow = await browser.request(`${running.sesame.url}/account/sign-in`);
    const cookies = new Map([...cookiesOf(auth), ...cookiesOf(demo), ...cookiesOf(accountFlow)]);
    expect([...cookies.keys()]).toEqual(expect.arrayContaining(['_interaction', '_interaction.sig', '_interaction_resume', '_interaction_resume.sig', 'sesame_demo', 'sesame_demo.sig']));
    expect(cookies.size).toBeGreaterThan(6);
    for (const [name, attributes] of cookies) {
      expect([name, attributes]).toEqual([name, expect.arrayContaining(['httponly', 'samesite=lax'])]);
      expect([name, attributes]).not.toEqual([name, expect.arrayContaining(['secure'])]);
    }
  });

  it('the session cookie too, once signed in', async () => {
    const signIn = await requestSignInMail(running, 'session-cookie@example.com');
    const response = await signIn.browser.request(`${running.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    const resumed = await signIn.browser.request(new URL(response.headers.get('location')!, running.sesame.url).href);
    const session = cookiesOf(resumed).get('_session');
    expect(session).toEqual(expect.arrayContaining(['httponly', 'samesite=lax']));
  });

  it('with an https issuer behind its TLS proxy (TRUST_PROXY), our app and oidc-provider both set Secure cookies', async () => {
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { issuer: 'https://id.sesame.test', trustProxy: true, devTools: true } });
    try {
      const browser = new HttpBrowser(undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
      const auth = await browser.request(`${tls.url}/auth?${authorizationParams()}`);
      expect(auth.status).toBe(303);
      const demo = await browser.request(`${tls.url}/demo/start`);
      const cookies = [...cookiesOf(auth), ...cookiesOf(demo)];
      expect(cookies.map(([name]) => name)).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', 'sesame_demo']));
      for (const [name, attributes] of cookies) {
        expect([name, attributes]).toEqual([name, expect.arrayContaining(['secure', 'httponly', 'samesite=lax'])]);
      }
      const page = await browser.request(new URL(auth.headers.get('location')!, tls.url).href);
      expect(page.status).toBe(200);
    } finally {
      await tls.close();
    }
  });

  it('with a public https issuer and no SMTP_URL (a deployment started without NODE_ENV=production), the dev outbox page is not served: it would show everyone\'s sign-in links', async () => {
    const deployed = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { issuer: 'https://id.sesame.test', trustProxy: true, devTools: true, mail: { smtpUrl: undefined, from: 'Sesame <no-reply@sesame.test>' } } });
    try {
      const browser = new HttpBrowser(undefined, { 'x-forwarded-proto': 'https' });
      for (const path of ['/dev/outbox', '/dev/outbox.json']) expect([path, (await browser.request(`${deployed.url}${path}`)).status]).toEqual([path, 404]);
      // The demo app stays: it shows only what its own visitor signs in with.
      expect((await browser.request(`${deployed.url}/demo`)).status).toBe(200);
    } finally {
      await deployed.close();
    }
  });

  it('with an https issuer, the session cookie and the account page\'s are host-only (__Host-: Secure, Path=/, no Domain) and single sign-on works with them', async () => {
    const issuer = 'https://id.sesame.test';
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { issuer, trustProxy: true } });
    try {
      const browser = new HttpBrowser(undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.10' });
      // Sesame names its public https address in every Location; the test reaches it at its socket.
      const local = (response: Response) => new URL(new URL(response.headers.get('location')!, issuer).pathname + new URL(response.headers.get('location')!, issuer).search, tls.url).href;
      const asForm = { origin: issuer };
      const auth = await browser.request(`${tls.url}/auth?${authorizationParams()}`);
      const emailPage = await browser.request(local(auth));
      const uid = new URL(local(auth)).pathname.split('/').pop()!;
      const email = 'host-only@example.com';
      const sent = await browser.request(`${tls.url}/interaction/${uid}/email`, { form: { ...formFields(await emailPage.text(), '/email'), email }, headers: asForm });
      const check = await browser.request(local(sent));
      const mail = await running.smtp.waitForMail(email);
      const coded = await browser.request(`${tls.url}/interaction/${uid}/code`, { form: { ...formFields(await check.text(), '/code'), code: mail.code! }, headers: asForm });
      const resumed = await browser.request(local(coded));
      const cookies = cookiesOf(resumed);
      expect([...cookies.keys()]).toEqual(expect.arrayContaining(['__Host-sesame-session', '__Host-sesame-session.sig']));
      expect([...cookies.keys()]).not.toContain('_session');
      for (const name of ['__Host-sesame-session', '__Host-sesame-session.sig']) {
        const attributes = cookies.get(name)!;
        expect([name, attributes]).toEqual([name, expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/'])]);
        expect(attributes.some((attribute) => attribute.startsWith('domain='))).toBe(false);
      }
      // The next authorization in this browser needs no email: the renamed cookie is the session.
      const again = await browser.request(`${tls.url}/auth?${authorizationParams()}`);
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

      // The account page's cookies (its sign-in under way, then its session) are host-only too:
      // one planted by a sibling subdomain would open the planter's account page here.
      const startAccount = await browser.request(`${tls.url}/account/sign-in`);
      const signedInToAccount = await browser.request(local(await browser.request(local(startAccount))));
      expect(signedInToAccount.status).toBe(302);
      expect(new URL(signedInToAccount.headers.get('location')!, issuer).pathname).toBe('/account');
      const accountCookies = new Map([...cookiesOf(startAccount), ...cookiesOf(signedInToAccount)]);
      for (const name of ['__Host-sesame_account_flow', '__Host-sesame_account_flow.sig', '__Host-sesame_account', '__Host-sesame_account.sig']) {
        const attributes = accountCookies.get(name);
        expect([name, attributes]).toEqual([name, expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/'])]);
        expect(attributes!.some((attribute) => attribute.startsWith('domain='))).toBe(false);
      }
      expect([...accountCookies.keys()].filter((name) => !name.startsWith('__Host-'))).toEqual([]);
      expect((await browser.request(`${tls.url}/account`)).status).toBe(200);

      // What a sibling subdomain could plant: a validly signed cookie under the name without the
      // prefix (Domain=example... and Path=/account, which the browser would accept for it). Not read.
      const value = /__Host-sesame_account=([^;]+)/.exec(signedInToAccount.headers.getSetCookie().join('\n'))![1]!;
      const keys = new CookieKeys(tls.config.cookieKeys);
      const planted = `sesame_account=${value}; sesame_account.sig=${keys.sign(`sesame_account=${value}`)}`;
      const withPlanted = await fetch(`${tls.url}/account`, { redirect: 'manual', headers: { cookie: planted, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.10' } });
      expect(withPlanted.status).toBe(302);
      expect(withPlanted.headers.get('location')).toMatch(/\/account\/sign-in\?next=%2Faccount$/);
      // The same value under the host-only name is the session (so the refusal above is the name's).
      const hostOnly = `__Host-sesame_account=${value}; __Host-sesame_account.sig=${keys.sign(`__Host-sesame_account=${value}`)}`;
      expect((await fetch(`${tls.url}/account`, { redirect: 'manual', headers: { cookie: hostOnly, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.10' } })).status).toBe(200);
    } finally {
      await tls.close();
    }
  });

  it('a request that did not come through TLS is sent to the https issuer, never served (and never a 5xx)', async () => {
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { nodeEnv: 'production', issuer: 'https://id.sesame.test', trustProxy: true } });
    try {
      for (const path of [`/auth?${authorizationParams()}`, '/interaction/abc', '//evil.example/x', '/.well-known/openid-configuration']) {
        const response = await fetch(`${tls.url}${path}`, { redirect: 'manual' });
        expect([path, response.status]).toEqual([path, 308]);
        expect([path, response.headers.get('location')]).toEqual([path, `https://id.sesame.test${path}`]);
        expect(response.headers.getSetCookie()).toEqual([]);
        // Not over plain HTTP (RFC 6797 §7.2): the redirected request, over TLS, gets it.
        expect(response.headers.get('strict-transport-security')).toBeNull();
      }
      const post = await fetch(`${tls.url}/token`, { method: 'POST', redirect: 'manual', body: 'grant_type=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(post.status).toBe(308);
      // Health probes come from the orchestrator, to the process itself: answered, not redirected.
      expect((await fetch(`${tls.url}/healthz`, { redirect: 'manual' })).status).toBe(200);
    } finally {
      await tls.close();
    }
  });
});

describe('CORS (clientBasedCORS)', () => {
  const tokenRequest = (origin: string, clientId: string) =>
    fetch(`${running.sesame.url}/token`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: clientId, redirect_uri: 'http://127.0.0.1:9/spa-callback', code_verifier: 'v'.repeat(43) }),
    });

  it('a public client may call the token endpoint from an origin of its redirect_uris, and only from there', async () => {
    const own = await tokenRequest('http://127.0.0.1:9', 'first-party-spa');
    expect(own.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:9');
    expect((await own.json()).error).toBe('invalid_grant');
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:10']) {
      const foreign = await tokenRequest(origin, 'first-party-spa');
      expect([origin, foreign.status, foreign.headers.get('access-control-allow-origin')]).toEqual([origin, 400, null]);
      expect((await foreign.json()).error_description).toContain('not allowed');
    }
  });

  it('a confidential client is never called from a browser', async () => {
    const response = await fetch(`${running.sesame.url}/token/introspection`, {
      method: 'POST',
      headers: { origin: 'http://127.0.0.1:9', 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`test-app:${TEST_CLIENT.client_secret}`).toString('base64')}` },
      body: 'token=x',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
