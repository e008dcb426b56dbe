import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Every place that sends a browser somewhere: it goes to Sesame itself or to a URI the app
// registered, never to one taken from the request.

const EVIL = 'https://evil.example/steal';
const running = useSesame({ config: { devTools: true } });

/** Where a response would send the browser, resolved; undefined when it does not redirect. */
function target(response: Response, base: string): string | undefined {
  const location = response.headers.get('location');
  return location === null ? undefined : new URL(location, base).href;
}

/** A redirect stays on Sesame's origin, or lands exactly on one of the given registered URIs. */
function expectSafe(response: Response, registered: string[] = []) {
  const to = target(response, running.sesame.url);
  if (to === undefined) return;
  const url = new URL(to);
  if (url.origin === running.sesame.url) return;
  expect(registered.some((uri) => to === uri || to.startsWith(`${uri}?`))).toBe(true);
}

describe('the authorization endpoint', () => {
  it.each([
    ['an unregistered host', EVIL],
    ['a registered URI with a different path', 'http://127.0.0.1:9/callback/../../steal'],
    ['a registered URI plus a path', 'http://127.0.0.1:9/callback/more'],
    ['a different port', 'http://127.0.0.1:10/callback'],
    ['userinfo that changes the host', 'http://127.0.0.1:9@evil.example/callback'],
    ['a scheme-relative URI', '//evil.example/callback'],
    ['a javascript: URI', 'javascript:alert(1)'],
  ])('refuses %s as redirect_uri with a page, not a redirect', async (_label, redirectUri) => {
    const url = new URL((await running.rp.startAuthorization()).url);
    url.searchParams.set('redirect_uri', redirectUri);
    const response = await new HttpBrowser().request(url.href);
    expect(response.status).toBe(400);
    expect(target(response, running.sesame.url)).toBeUndefined();
  });
});

describe('logout', () => {
  it('an unregistered post_logout_redirect_uri is refused, even with a valid id_token_hint', async () => {
    const { tokens, browser } = await signInWithCode(running, 'logout-redirect@example.com');
    for (const uri of [EVIL, 'http://127.0.0.1:9/signed-out/../steal', 'http://127.0.0.1:9/signed-out.evil.example']) {
      const endSession = client.buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri });
      const response = await browser.request(endSession.href);
      expect([uri, response.status]).toEqual([uri, 400]);
      expect(target(response, running.sesame.url)).toBeUndefined();
    }
    // The registered one is honoured, through the confirmation page.
    const endSession = client.buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/signed-out' });
    const confirm = await browser.navigate(endSession.href);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!;
    const done = await browser.request(`${running.sesame.url}/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
    expect(target(done, running.sesame.url)).toBe('http://127.0.0.1:9/signed-out');
  });

  it('without an id_token_hint a post_logout_redirect_uri is not followed anywhere else', async () => {
    const response = await new HttpBrowser().request(`${running.sesame.url}/session/end?client_id=test-app&post_logout_redirect_uri=${encodeURIComponent(EVIL)}`);
    expect(response.status).toBe(400);
    expect(target(response, running.sesame.url)).toBeUndefined();
  });
});

describe('sign-in pages', () => {
  it('the magic link ignores anything but its token, and finishing goes back into the protocol', async () => {
    const signIn = await requestSignInMail(running, 'link-redirect@example.com');
    const link = new URL(signIn.mail.link!);
    for (const name of ['redirect', 'redirect_uri', 'return_to', 'returnTo', 'next', 'url']) link.searchParams.set(name, EVIL);
    const confirm = await signIn.browser.navigate(link.href);
    expect(confirm.status).toBe(200);
    expect(confirm.html).not.toContain('evil.example');
    const fields = formFields(confirm.html, '/link');
    const response = await signIn.browser.request(`${running.sesame.url}/interaction/${signIn.uid}/link?redirect=${encodeURIComponent(EVIL)}`, { form: { ...fields, redirect: EVIL, return_to: EVIL } });
    expect(response.status).toBe(303);
    expect(target(response, running.sesame.url)).toBe(`${running.sesame.url}/auth/${signIn.uid}`);
  });

  it('uids that look like other hosts never become a Location', async () => {
    const browser = new HttpBrowser();
    for (const uid of ['%2F%2Fevil.example', '%5C%5Cevil.example', 'https%3A%2F%2Fevil.example', '..%2F..%2F%2Fevil.example']) {
      for (const step of ['', '/continue', '/restart', '/check']) {
        const response = await browser.request(`${running.sesame.url}/interaction/${uid}${step}`, step === '/continue' || step === '/restart' ? { form: { csrf: 'x' } } : {});
        expect([uid, step, response.status < 500]).toEqual([uid, step, true]);
        expectSafe(response);
      }
    }
  });

  it('a rate-limit page links back only to the sign-in on this site', async () => {
    const signIn = await requestSignInMail(running, 'back-link@example.com');
    const fields = formFields(signIn.checkPage.html, '/email');
    let response: Response | undefined;
    for (let i = 0; i < 6; i++) response = await signIn.browser.request(`${running.sesame.url}/interaction/${signIn.uid}/email`, { form: { ...fields, email: 'back-link@example.com', next: EVIL } });
    expect(response!.status).toBe(429);
    const hrefs = [...(await response!.text()).matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
    // The footer's language switch leads back to the same sign-in, whatever the form carried.
    const [switches, others] = [hrefs.filter((href) => href.startsWith('/language/')), hrefs.filter((href) => !href.startsWith('/language/') && !href.startsWith('/static/'))];
    expect(others).toEqual([`/interaction/${signIn.uid}`]);
    expect(switches.map((href) => new URL(href, running.sesame.url).searchParams.get('back'))).toEqual([`/interaction/${signIn.uid}`, `/interaction/${signIn.uid}`, `/interaction/${signIn.uid}`]);
  });
});

describe('the demo app (development)', () => {
  it('starts at Sesame\'s own /auth whatever it is given, and its callback never redirects', async () => {
    const start = await new HttpBrowser().request(`${running.sesame.url}/demo/start?redirect_uri=${encodeURIComponent(EVIL)}&next=${encodeURIComponent(EVIL)}`);
    expect(target(start, running.sesame.url)).toMatch(new RegExp(`^${running.sesame.url}/auth\\?`));
    expect(new URL(target(start, running.sesame.url)!).searchParams.get('redirect_uri')).toBe(`${running.sesame.url}/demo/callback`);
    // `error=` (empty) and repeated parameters were found by the hostile-input suite (a 500 then).
    for (const query of [`error=x&error_description=${encodeURIComponent(EVIL)}`, `code=x&state=y&redirect=${encodeURIComponent(EVIL)}`, 'error=', 'error=a&error=b&error_description=c&error_description=d', 'code=a&code=b&state=s&state=t']) {
      const response = await new HttpBrowser().request(`${running.sesame.url}/demo/callback?${query}`);
      expect([query, response.status < 500]).toEqual([query, true]);
      expect(target(response, running.sesame.url)).toBeUndefined();
    }
  });
});
