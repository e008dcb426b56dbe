import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { emailChangeKey } from '../../src/store/keys.ts';
import { emailChangeCodeTo, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { signInToTwoApps, signInWithCodeAt } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// "Download your data" on /account: everything Sesame keeps about the person, as one JSON file.

const WIKI: ClientRegistration = { ...SERVER_APP_CLIENT, client_name: 'Team Wiki' };
const running = useSesame({ config: { clients: [TEST_CLIENT, WIKI] } });

describe('downloading your data (/account/export)', () => {
  it('is one JSON file with the account, its authenticator, browsers and apps, and no secret', async () => {
    const email = 'export@example.com';
    const { browser, tokens, sessionId } = await signInToTwoApps({ ...running, browser: new HttpBrowser(), issuer: running.sesame.url }, WIKI, email);
    const sub = tokens.claims()!.sub;
    // The account page opens by single sign-on in the browser that signed in to the apps.
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const csrf = formFields(page.html, '/account/export').csrf!;
    // Then an authenticator, as the account page sets one up: its secret sealed on the account record.
    await running.sesame.accounts.setTotp(sub, { sealedSecret: 'v1.sealed-secret-that-must-not-leave', enrolledAt: '2026-12-01T10:00:00.000Z' });
    // And a name, as the account page's name form sets it.
    await running.sesame.accounts.setName(sub, 'Ann Smith');

    const response = await browser.request(`${running.sesame.url}/account/export`, { form: { csrf } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="Sesame-account-\d{4}-\d\d-\d\d\.json"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    const data = JSON.parse(text);
    expect(data).toEqual({
      exportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      issuer: running.sesame.url,
      account: { id: sub, email, name: 'Ann Smith', language: 'en', createdAt: expect.any(String), emailVerifiedAt: expect.any(String), authenticatorApp: { setUpAt: '2026-12-01T10:00:00.000Z', recoveryCodesLeft: 0 }, pendingEmailChange: null },
      rememberedBrowsers: [],
      signedInBrowsers: [{ browser: 'Chrome on Linux', signedInAt: expect.any(String), provenWith: ['email'], apps: ['Team Wiki', 'Test App', 'your Sesame account'], thisBrowser: true }],
      appsWithAccess: [
        { app: 'Team Wiki', clientId: WIKI.client_id, scope: 'openid email', claims: [], since: expect.any(String), signedInBrowsers: 1, offlineAccess: false },
        { app: 'Test App', clientId: TEST_CLIENT.client_id, scope: 'openid email offline_access', claims: [], since: expect.any(String), signedInBrowsers: 1, offlineAccess: true },
      ],
    });
    // No secret leaves: the sealed authenticator secret, the browser's session id (its cookie), the app's tokens.
    for (const secret of ['sealed-secret-that-must-not-leave', sessionId, tokens.refresh_token!, tokens.access_token]) expect(text).not.toContain(secret);
  });

  it('includes a change of address waiting for its code: the address asked for and until when, never the code or its hash', async () => {
    const [email, newEmail] = ['export-moving@example.com', 'export-moved@example.org'];
    const { page, browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    expect(page.url).toBe(`${running.sesame.url}/account`);
    const sub = (await running.sesame.accounts.findByEmail(email))!.id;
    const asked = await requestEmailChange(running.sesame.url, browser, newEmail);
    expect(asked.page.url).toBe(`${running.sesame.url}/account/email/confirm`);
    const { code } = await emailChangeCodeTo(running.smtp, newEmail);
    const stored = await running.sesame.store.get<{ codeHash: string; expiresAt: number }>(emailChangeKey(sub));

    const account = await browser.navigate(`${running.sesame.url}/account`);
    const response = await browser.request(`${running.sesame.url}/account/export`, { form: { csrf: formFields(account.html, '/account/export').csrf! } });
    const text = await response.text();
    expect(JSON.parse(text).account.pendingEmailChange).toEqual({ to: newEmail, until: new Date(stored!.expiresAt).toISOString() });
    for (const secret of [code!, stored!.codeHash]) expect(text).not.toContain(secret);
  });

  it('is a form with the page\'s CSRF token: another site cannot make a signed-in browser download the file', async () => {
    const { browser } = await signInToTwoApps({ ...running, browser: new HttpBrowser(), issuer: running.sesame.url }, WIKI, 'export-cross-site@example.com');
    await browser.navigate(`${running.sesame.url}/account`);
    // A link or a form from another site: a GET leads to the account page, a POST without the token is refused.
    const linked = await browser.request(`${running.sesame.url}/account/export`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect([linked.status, linked.headers.get('location'), linked.headers.get('content-disposition')]).toEqual([303, '/account', null]);
    const posted = await browser.request(`${running.sesame.url}/account/export`, { form: {}, headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
    expect(posted.status).toBe(403);
    expect(posted.headers.get('content-disposition')).toBeNull();
  });

  it('gives nothing to a browser without an account-page session', async () => {
    const response = await new HttpBrowser().request(`${running.sesame.url}/account/export`, { form: { csrf: 'x' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-disposition')).toBeNull();
  });
});
