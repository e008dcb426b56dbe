import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { signInToTwoApps } from '../helpers/sign-in.ts';
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
    expect((await browser.navigate(`${running.sesame.url}/account`)).html).toContain('href="/account/export"');
    // Then an authenticator, as the account page sets one up: its secret sealed on the account record.
    await running.sesame.accounts.setTotp(sub, { sealedSecret: 'v1.sealed-secret-that-must-not-leave', enrolledAt: '2026-12-01T10:00:00.000Z' });

    const response = await browser.request(`${running.sesame.url}/account/export`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="Sesame-account-\d{4}-\d\d-\d\d\.json"$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const text = await response.text();
    const data = JSON.parse(text);
    expect(data).toEqual({
      exportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      issuer: running.sesame.url,
      account: { id: sub, email, createdAt: expect.any(String), emailVerifiedAt: expect.any(String), authenticatorApp: { setUpAt: '2026-12-01T10:00:00.000Z', recoveryCodesLeft: 0 } },
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

  it('asks a browser that is not signed in to sign in first, the download named as where to go next', async () => {
    const response = await new HttpBrowser().request(`${running.sesame.url}/account/export`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/account/sign-in?next=%2Faccount%2Fexport');
  });
});
