import { describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { MISSING_GRANT_GRACE_SECONDS } from '../../src/oidc/account-offline-grants-index.ts';
import { oidcAccountOfflineGrantMissingKey, oidcAccountOfflineGrantsKey, oidcRecordKey } from '../../src/store/keys.ts';
import { formFields, HttpBrowser, tableRows } from '../helpers/http-browser.ts';
import { startLogoutReceiver } from '../helpers/logout-receiver.ts';
import { finishAtApp, requestSignInMail, sessionIdOf, signInToTwoApps, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import type { PendingAuthorization } from '../helpers/relying-party.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// "Apps with access" on /account: the apps that can act for the account now, through a signed-in
// browser or on their own with a refresh token, and removing one app's access.

const receiver = await startLogoutReceiver();
const WIKI: ClientRegistration = {
  ...SERVER_APP_CLIENT,
  client_name: 'Team Wiki',
  backchannel_logout_uri: `${receiver.url}/logout`,
  backchannel_logout_session_required: true,
};

const running = useSesame({ config: { clients: [TEST_CLIENT, WIKI] } });

/** A browser signed in to Test App (with a refresh token) and to the wiki (without). */
const signedIn = (email: string) => signInToTwoApps({ ...running, browser: new HttpBrowser(), issuer: running.sesame.url }, WIKI, email);

const appRows = (html: string) => tableRows(html, 'apps-with-access', 'app');

/** Presses "Remove access" for `app` on the account page `html`. */
const removeAccess = (browser: HttpBrowser, html: string, app: string) =>
  browser.navigate(`${running.sesame.url}/account/apps/remove`, { form: { csrf: formFields(html, '/account/sign-out').csrf!, app } });

const refreshes = (refreshToken: string) => client.refreshTokenGrant(running.rp.config, refreshToken).then(() => 'works', (error: { error?: string }) => error.error);
const userinfoStatus = (accessToken: string) => fetch(`${running.sesame.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } }).then((response) => response.status);
const introspects = async (token: string) => (await client.tokenIntrospection(running.rp.config, token)).active;

/**
 * The account page is read (in `accountBrowser`) while the app's code is not yet exchanged, so no
 * refresh token exists; then the app exchanges it and the browser's session ends. The app keeps
 * acting with its refresh token, and the list must show it, as acting on its own.
 */
async function expectListedThoughReadEarly(accountBrowser: HttpBrowser, browser: HttpBrowser, callback: string, pending: PendingAuthorization) {
  await accountBrowser.navigate(`${running.sesame.url}/account`);
  const tokens = await running.rp.handleCallback(callback, pending);
  await running.sesame.store.delete(oidcRecordKey('Session', sessionIdOf(browser, running.sesame.url)));
  expect(await refreshes(tokens.refresh_token!)).toBe('works');
  const rows = appRows((await accountBrowser.navigate(`${running.sesame.url}/account`)).html);
  expect(rows.map((row) => [row.value, /keep access/.test(row.text)])).toContainEqual([TEST_CLIENT.client_id, true]);
}

describe('apps with access (/account)', () => {
  it('lists each app with what it was given and how: not the account page itself, nor another account\'s apps', async () => {
    await signedIn('someone-else@example.com');
    const { browser } = await signedIn('two-apps@example.com');
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const rows = appRows(page.html);
    expect(rows.map((row) => row.value)).toEqual([WIKI.client_id, TEST_CLIENT.client_id]);
    expect(rows[0]!.text).toMatch(/^Team Wiki since \d{4}-\d\d-\d\d ?, signed in on one browser know that it is you .* see your email address Remove access$/);
    expect(rows[0]!.text).not.toContain('keep access');
    expect(rows[1]!.text).toMatch(/^Test App since \d{4}-\d\d-\d\d ?, signed in on one browser know that it is you .* see your email address keep access while you are not using it Remove access$/);
    expect(page.html).not.toContain(`value="sesame-account"`);
  });

  it('an app with a refresh token stays listed after its browser session ended, until the token is gone', async () => {
    const email = 'offline@example.com';
    const away = await signedIn(email);
    const accountId = (await running.sesame.accounts.findByEmail(email))!.id;
    const offlineGrants = () => running.sesame.store.readIndex(oidcAccountOfflineGrantsKey(accountId, Math.floor(Date.now() / 1000 / (30 * 86_400))));
    expect(await offlineGrants()).toHaveLength(1);
    const grantId = (await offlineGrants())[0]!;
    // The browser's session expires (nothing destroys an expired session: its record is just gone).
    await running.sesame.store.delete(oidcRecordKey('Session', away.sessionId));
    const { browser } = await signInWithCode(running, email);
    const page = await browser.navigate(`${running.sesame.url}/account`);
    // Test App still holds a refresh token; the wiki held only what came through that browser.
    const rows = appRows(page.html);
    expect(rows.map((row) => row.value)).toEqual([TEST_CLIENT.client_id]);
    expect(rows[0]!.text).toMatch(/^Test App since .* signed in on one browser .*keep access while you are not using it/);
    // The app revokes its refresh token itself: nothing it holds outlives a browser any more.
    await client.tokenRevocation(running.rp.config, away.tokens.refresh_token!);
    const later = await browser.navigate(`${running.sesame.url}/account`);
    expect(appRows(later.html).map((row) => row.text)).toEqual([expect.not.stringContaining('keep access')]);
    // That grant is forgotten from the account's index of offline grants once it has been gone
    // for longer than a grant being made goes without its record (the list notes when it first
    // found it gone: here that note is moved back by as long).
    expect(await offlineGrants()).toEqual([grantId]);
    const noteKey = oidcAccountOfflineGrantMissingKey(accountId, grantId);
    const foundGoneAtMs = await running.sesame.store.get<number>(noteKey);
    expect(foundGoneAtMs).toEqual(expect.any(Number));
    await running.sesame.store.set(noteKey, foundGoneAtMs! - MISSING_GRANT_GRACE_SECONDS * 1000, 3600);
    await browser.navigate(`${running.sesame.url}/account`);
    expect(await offlineGrants()).toEqual([]);
  });

  it('"Remove access": the app\'s tokens stop working, it is told and forgotten by the browser, other apps keep theirs', async () => {
    const email = 'remove-wiki@example.com';
    const here = await signedIn(email);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    receiver.notices.length = 0;
    const done = await removeAccess(here.browser, page.html, WIKI.client_id);
    expect(done.url).toBe(`${running.sesame.url}/account?done=app-access-removed`);
    expect(done.html).toContain('That app no longer has access');
    expect(appRows(done.html).map((row) => row.value)).toEqual([TEST_CLIENT.client_id]);
    // The wiki's tokens: refused everywhere.
    expect(await userinfoStatus(here.secondTokens.access_token)).toBe(401);
    expect((await client.tokenIntrospection(here.secondApp.config, here.secondTokens.access_token)).active).toBe(false);
    // It was told, for the session it signed in through, and the browser no longer counts it.
    await running.sesame.mailIdle();
    expect(receiver.notices).toHaveLength(1);
    const { payload } = await jwtVerify(receiver.notices[0]!.logoutToken!, createRemoteJWKSet(new URL(`${running.sesame.url}/jwks`)), { issuer: running.sesame.url, audience: WIKI.client_id, typ: 'logout+jwt' });
    expect(payload.sid).toBe(here.secondSid);
    expect(tableRows(done.html, 'signed-in-browsers', 'browser')[0]!.text).not.toContain('Team Wiki');
    // Used again, it asks for consent again: nothing it was given is left.
    const pending = await here.secondApp.startAuthorization();
    expect((await here.browser.navigate(pending.url)).html).toMatch(/\/consent"/);
    // Test App's tokens are untouched.
    expect(await userinfoStatus(here.tokens.access_token)).toBe(200);
    expect(await refreshes(here.tokens.refresh_token!)).toBe('works');
  });

  it('what the app held is refused even where a request in flight wrote it back after the removal', async () => {
    const email = 'remove-test-app@example.com';
    const here = await signedIn(email);
    const accessKey = oidcRecordKey('AccessToken', here.tokens.access_token);
    const refreshKey = oidcRecordKey('RefreshToken', here.tokens.refresh_token!);
    const grantKey = oidcRecordKey('Grant', (await running.sesame.store.get<{ grantId: string }>(accessKey))!.grantId);
    const held = await running.sesame.store.getMany([accessKey, refreshKey, grantKey]);
    expect(held).toEqual([expect.anything(), expect.anything(), expect.anything()]);
    // Tokens carry whole seconds, and one issued within the second of the removal is honoured.
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    const done = await removeAccess(here.browser, page.html, TEST_CLIENT.client_id);
    expect(done.url).toBe(`${running.sesame.url}/account?done=app-access-removed`);
    expect(await running.sesame.store.getMany([accessKey, refreshKey, grantKey])).toEqual([undefined, undefined, undefined]);
    // The same button again (another tab): nothing left, and the page says so.
    const again = await removeAccess(here.browser, page.html, TEST_CLIENT.client_id);
    expect(again.url).toBe(`${running.sesame.url}/account?done=app-had-no-access`);
    // A request of the app that was running then saves what it read: its token, refresh token and grant.
    await Promise.all([accessKey, refreshKey, grantKey].map((key, i) => running.sesame.store.set(key, held[i], 3600)));
    expect(await userinfoStatus(here.tokens.access_token)).toBe(401);
    expect(await refreshes(here.tokens.refresh_token!)).toBe('invalid_grant');
    expect(await introspects(here.tokens.access_token)).toBe(false);
    // What the app is told does not say the account is gone: an app could delete the person's data on that.
    const refused = await fetch(`${running.sesame.url}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: here.tokens.refresh_token! }),
    });
    expect(await refused.json()).toEqual({ error: 'invalid_grant', error_description: expect.stringMatching(/^this sign-in has ended \(the person signed out everywhere, removed this app's access, or the account was changed or removed\)/) });
    // Signing in to it afresh works, with new tokens (from the next second on: see the test of that second below).
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
    const pending = await running.rp.startAuthorization();
    const tokens = await running.rp.handleCallback(await finishAtApp(here.browser, await here.browser.navigate(pending.url)), pending);
    expect(await userinfoStatus(tokens.access_token)).toBe(200);
  });

  it('an offline grant read by the list before its code was exchanged is listed once the app holds its refresh token', async () => {
    const email = 'read-too-early@example.com';
    // The account page, open in another browser (or an administrator running `user show`).
    const { browser: accountBrowser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    // The app's sign-in with offline access up to its callback: the grant is saved, its code not yet exchanged.
    const browser = new HttpBrowser();
    const { pending, uid, mail, origin } = await requestSignInMail({ ...running, browser, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
    const check = await browser.navigate(`${origin}/interaction/${uid}/check`);
    const callback = await finishAtApp(browser, await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } }));
    await expectListedThoughReadEarly(accountBrowser, browser, callback, pending);
  });

  it('an app that adds offline access to an older grant is listed once it holds its refresh token, though the list read it before the code was exchanged', async () => {
    const email = 'offline-later@example.com';
    const { browser: accountBrowser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    // First the app asks only for the email: a grant without offline access.
    const { browser, tokens: first } = await signInWithCode(running, email);
    const grantKey = oidcRecordKey('Grant', (await running.sesame.store.get<{ grantId: string }>(oidcRecordKey('AccessToken', first.access_token)))!.grantId);
    // Minutes pass: the grant's iat is well behind.
    const grant = (await running.sesame.store.get<Record<string, unknown>>(grantKey))!;
    await running.sesame.store.set(grantKey, { ...grant, iat: Math.floor(Date.now() / 1000) - 600 }, 3600);
    // Then it asks for offline access in the same browser: the consent page adds it to that grant.
    const pending = await running.rp.startAuthorization({ scope: 'openid email offline_access', prompt: 'consent' });
    const callback = await finishAtApp(browser, await browser.navigate(pending.url));
    await expectListedThoughReadEarly(accountBrowser, browser, callback, pending);
  });

  it('a token issued within the second of the removal is refused, even with its grant written back', async () => {
    const here = await signedIn('same-second@example.com');
    const accessKey = oidcRecordKey('AccessToken', here.tokens.access_token);
    const grantKey = oidcRecordKey('Grant', (await running.sesame.store.get<{ grantId: string }>(accessKey))!.grantId);
    const [access, grant] = await running.sesame.store.getMany<Record<string, unknown>>([accessKey, grantKey]);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    expect((await removeAccess(here.browser, page.html, TEST_CLIENT.client_id)).url).toContain('app-access-removed');
    // A request in flight issues its token in that same second (the one the removal was recorded in) and writes the grant back.
    const account = (await running.sesame.accounts.findByEmail('same-second@example.com'))!;
    const removedSecond = Math.floor(account.appAccessRemoved![TEST_CLIENT.client_id]! / 1000);
    await running.sesame.store.set(grantKey, grant, 3600);
    await running.sesame.store.set(accessKey, { ...access, iat: removedSecond }, 3600);
    expect(await userinfoStatus(here.tokens.access_token)).toBe(401);
  });

  it('a session saved back by a request in flight during the removal does not list the app under its browser again', async () => {
    const here = await signedIn('session-race@example.com');
    const sessionKey = oidcRecordKey('Session', here.sessionId);
    // What a request of this browser loaded before the removal, and saves when it ends (as oidc-provider does).
    const loaded = await running.sesame.store.get(sessionKey);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    await removeAccess(here.browser, page.html, WIKI.client_id);
    await running.sesame.store.set(sessionKey, loaded, 3600);
    const later = await here.browser.navigate(`${running.sesame.url}/account`);
    expect(tableRows(later.html, 'signed-in-browsers', 'browser')[0]!.text).toContain('Test App');
    expect(tableRows(later.html, 'signed-in-browsers', 'browser')[0]!.text).not.toContain('Team Wiki');
    expect(appRows(later.html).map((row) => row.value)).toEqual([TEST_CLIENT.client_id]);
  });

  it('an app no longer registered is not listed: the provider refuses its tokens already', async () => {
    const here = await signedIn('retired-app@example.com');
    const accountId = (await running.sesame.accounts.findByEmail('retired-app@example.com'))!.id;
    // Test App's grant, as if its registration had since been removed from the clients file.
    const accessKey = oidcRecordKey('AccessToken', here.tokens.access_token);
    const grantKey = oidcRecordKey('Grant', (await running.sesame.store.get<{ grantId: string }>(accessKey))!.grantId);
    const grant = (await running.sesame.store.get<Record<string, unknown>>(grantKey))!;
    await running.sesame.store.set(grantKey, { ...grant, clientId: 'retired-app' }, 3600);
    expect(grant.accountId).toBe(accountId);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    expect(appRows(page.html).map((row) => row.value)).toEqual([WIKI.client_id]);
  });

  it('refuses what is not an app of the list, the account page itself, and a form without its CSRF token, without a 500', async () => {
    const { browser } = await signedIn('careful-apps@example.com');
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const csrf = formFields(page.html, '/account/sign-out').csrf!;
    for (const app of ['not-an-app', 'sesame-account', '']) {
      const bad = await browser.request(`${running.sesame.url}/account/apps/remove`, { form: { csrf, app } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('Choose an app from the list on your account page.');
    }
    const forged = await browser.request(`${running.sesame.url}/account/apps/remove`, { form: { app: TEST_CLIENT.client_id } });
    expect(forged.status).toBe(403);
    expect(appRows((await browser.navigate(`${running.sesame.url}/account`)).html)).toHaveLength(2);
  });
});
