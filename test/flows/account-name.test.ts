import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { finishAtApp, signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// A name on the account page (/account/name), released as `name` to apps allowed the profile scope.

const running = useSesame();

/** Signs in to the test app with `scope`, then opens the account page by single sign-on in the same browser. */
async function signedIn(email: string, scope = 'openid email profile', claims?: string) {
  const { tokens, browser } = await signInWithCode({ ...running, authorizationParams: { scope, ...(claims ? { claims } : {}) } }, email);
  const account = await browser.navigate(`${running.sesame.url}/account`);
  expect(account.url).toBe(`${running.sesame.url}/account`);
  return { browser, tokens, sub: tokens.claims()!.sub };
}

async function submitName(browser: HttpBrowser, name: string) {
  const form = await browser.navigate(`${running.sesame.url}/account/name`);
  return browser.navigate(`${running.sesame.url}/account/name`, { form: { ...formFields(form.html, '/account/name'), name } });
}

/** The app's next sign-in in this browser (single sign-on): its ID token's and userinfo's claims. */
async function appClaims(browser: HttpBrowser, scope = 'openid email profile') {
  const pending = await running.rp.startAuthorization({ scope });
  const tokens = await running.rp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending);
  const userinfo = await client.fetchUserInfo(running.rp.config, tokens.access_token, tokens.claims()!.sub);
  return { idToken: tokens.claims()!, userinfo };
}

describe('the account\'s name', () => {
  it('is given to an app allowed the profile scope, in the ID token and from userinfo, once set on the account page', async () => {
    const { browser, tokens } = await signedIn('name-set@example.com');
    // No name yet: the profile scope releases nothing.
    expect(tokens.claims()!.name).toBeUndefined();
    const form = await browser.navigate(`${running.sesame.url}/account/name`);
    // The page says who will see the name before it is saved.
    expect(form.html).toContain('Apps with access that see it: Test App.');
    const saved = await submitName(browser, '  Ann   Smith ');
    expect(saved.url).toBe(`${running.sesame.url}/account?done=name-saved`);
    expect(saved.html).toContain('Your name: <strong id="account-name">Ann Smith</strong>');

    const { idToken, userinfo } = await appClaims(browser);
    expect([idToken.name, userinfo.name]).toEqual(['Ann Smith', 'Ann Smith']);
    // Without the profile scope, no name.
    const withoutProfile = await appClaims(browser, 'openid email');
    expect([withoutProfile.idToken.name, withoutProfile.userinfo.name]).toEqual([undefined, undefined]);
  });

  it('is listed before saving as seen by an app given `name` alone through the claims parameter, which gets it', async () => {
    // No profile scope: the claim asked for by name, and allowed beside the sign-in button.
    const { browser, tokens } = await signedIn('name-claims-parameter@example.com', 'openid email', JSON.stringify({ userinfo: { name: null } }));
    const form = await browser.navigate(`${running.sesame.url}/account/name`);
    expect(form.html).toContain('Apps with access that see it: Test App.');
    await submitName(browser, 'Ann Smith');
    const userinfo = await client.fetchUserInfo(running.rp.config, tokens.access_token, tokens.claims()!.sub);
    expect(userinfo.name).toBe('Ann Smith');
  });

  it('is kept in NFC, and removed when the field is left empty', async () => {
    const { browser, sub } = await signedIn('name-nfc@example.com');
    await submitName(browser, 'Zoe\u0308 Ma\u0301rquez');
    expect((await running.sesame.accounts.findById(sub))!.name).toBe('Zo\u00EB M\u00E1rquez');
    const removed = await submitName(browser, '   ');
    expect(removed.url).toBe(`${running.sesame.url}/account?done=name-removed`);
    expect((await running.sesame.accounts.findById(sub))!.name).toBeUndefined();
    expect(removed.html).toContain('Apps see no name for you.');
    const { idToken, userinfo } = await appClaims(browser);
    expect([idToken.name, userinfo.name]).toEqual([undefined, undefined]);
  });

  it.each([
    ['longer than 64 characters', 'A'.repeat(65), 'use at most 64 characters'],
    ['with a bidirectional override', 'Ann \u202Ehtims', 'control or formatting character'],
    ['with a control character', 'Ann\u0007Smith', 'control or formatting character'],
  ])('is refused %s, shown again as typed, and the name is unchanged', async (_case, name, problem) => {
    const { browser, sub } = await signedIn(`name-refused-${name.length}-${name.codePointAt(4)}@example.com`);
    await submitName(browser, 'Kept Name');
    const refused = await submitName(browser, name);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(problem);
    expect(refused.html).toContain('aria-invalid="true"');
    expect(refused.html).toContain(`value="${name}"`);
    expect((await running.sesame.accounts.findById(sub))!.name).toBe('Kept Name');
  });

  it('takes 64 characters of any script (counted as characters, not bytes)', async () => {
    const { browser, sub } = await signedIn('name-long@example.com');
    const name = '\u{1D400}'.repeat(32) + '\u5F20'.repeat(32);
    expect((await submitName(browser, name)).url).toBe(`${running.sesame.url}/account?done=name-saved`);
    expect((await running.sesame.accounts.findById(sub))!.name).toBe(name);
  });

  it('is shown escaped: markup in a name stays text on the account page', async () => {
    const { browser } = await signedIn('name-markup@example.com');
    const saved = await submitName(browser, '<img src=x onerror=alert(1)>');
    expect(saved.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(saved.html).not.toContain('<img src=x');
  });

  it('is changed only by a form with the page\'s CSRF token, and a form without the field is refused', async () => {
    const { browser, sub } = await signedIn('name-csrf@example.com');
    const forged = await browser.request(`${running.sesame.url}/account/name`, { form: { name: 'Mallory' }, headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    const form = await browser.navigate(`${running.sesame.url}/account/name`);
    const missing = await browser.request(`${running.sesame.url}/account/name`, { form: { csrf: formFields(form.html, '/account/name').csrf! } });
    expect(missing.status).toBe(400);
    expect((await running.sesame.accounts.findById(sub))!.name).toBeUndefined();
  });

  it('is asked for like the email: an app asking for profile lists it beside the sign-in button', async () => {
    const pending = await running.rp.startAuthorization({ scope: 'openid email profile' });
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate(pending.url);
    const uid = emailPage.url.split('/').pop()!;
    const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email: 'name-listed@example.com' } });
    expect(check.html).toContain('<li>see your name, if your account has one</li>');
  });

  it('is listed once when the app asks for it both by its scope and by name (the claims parameter)', async () => {
    const claims = JSON.stringify({ userinfo: { name: null, email: null } });
    const pending = await running.rp.startAuthorization({ scope: 'openid email profile', claims });
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate(pending.url);
    const uid = emailPage.url.split('/').pop()!;
    const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email: 'name-listed-once@example.com' } });
    const items = [...check.html.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1]);
    expect(items).toEqual(['know that it is you (an identifier of your account that does not change)', 'see your email address', 'see your name, if your account has one']);
  });
});
