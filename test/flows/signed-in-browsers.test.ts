import { describe, expect, it, jest } from '@jest/globals';
import { jwtVerify, createRemoteJWKSet } from 'jose';
import * as client from 'openid-client';
import { hmacSha256 } from '../../src/auth/secrets.ts';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { oidcRecordKey, oidcSessionDeviceKey, oidcSessionUidKey } from '../../src/store/keys.ts';
import { formFields, HttpBrowser, tableRows } from '../helpers/http-browser.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { finishAtApp, signInToTwoApps, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { startLogoutReceiver } from '../helpers/logout-receiver.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// "Where you are signed in" on /account: the account's browsers, each signed out on its own or
// all but this one (OWASP ASVS V3.3.4).

// The back-channel endpoint of the second app (test/helpers/logout-receiver.ts).
const receiver = await startLogoutReceiver();
const notices = receiver.notices;
const NOTIFIED_APP: ClientRegistration = {
  ...SERVER_APP_CLIENT,
  client_name: 'Team Wiki',
  backchannel_logout_uri: `${receiver.url}/logout`,
  backchannel_logout_session_required: true,
};

const running = useSesame({ config: { clients: [TEST_CLIENT, NOTIFIED_APP] } });
/** A browser signed in to the test app (with a refresh token), then to the wiki by single sign-on. */
async function signedInBrowser(email: string, browser = new HttpBrowser()) {
  const { tokens, secondSid, sessionId } = await signInToTwoApps({ ...running, browser, issuer: running.sesame.url }, NOTIFIED_APP, email);
  return { browser, tokens, wikiSid: secondSid, sessionId };
}

/** The rows of the signed-in browsers table: [text of the row, the handle its form carries (none for this browser)]. */
const browserRows = (html: string) => tableRows(html, 'signed-in-browsers', 'browser').map(({ text, value }) => ({ text, handle: value }));

/** Presses a "Sign out" of the signed-in browsers table (`which`: a row's handle, or "others") on the account page `html`. */
const signOutBrowsers = (browser: HttpBrowser, html: string, which: string) =>
  browser.navigate(`${running.sesame.url}/account/browsers/sign-out`, { form: { csrf: formFields(html, '/account/sign-out').csrf!, browser: which } });

const refreshes = (refreshToken: string) => client.refreshTokenGrant(running.rp.config, refreshToken).then(() => 'works', (error: { error?: string }) => error.error);

describe('where you are signed in (/account)', () => {
  it('lists the account\'s browsers with their apps, this one first, and no other account\'s', async () => {
    const email = 'two-laptops@example.com';
    const other = await signedInBrowser(email, new HttpBrowser('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'));
    await signedInBrowser('someone-else@example.com');
    const { browser } = await signInWithCode(running, email);
    const page = await browser.navigate(`${running.sesame.url}/account`);
    expect(page.url).toBe(`${running.sesame.url}/account`);
    const rows = browserRows(page.html);
    expect(rows).toHaveLength(2);
    expect(rows[0]!.text).toMatch(/^Chrome on Linux \(this browser\) signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC with email Test App, your Sesame account$/);
    expect(rows[0]!.handle).toBeUndefined();
    expect(rows[1]!.text).toMatch(/^Firefox on Windows signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC with email Team Wiki, Test App Sign out$/);
    expect(rows[1]!.handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The handle is not the session id (the other browser's cookie): the page never shows that.
    expect(page.html).not.toContain(other.sessionId);
    expect(page.html).toContain('Sign out every other browser');
  });

  it('"Sign out every other browser": their sessions, apps\' tokens and grants end and their apps are told; this browser stays signed in', async () => {
    const email = 'lost-laptop@example.com';
    const lost = await signedInBrowser(email);
    // The lost laptop had its account page open too.
    expect((await lost.browser.navigate(`${running.sesame.url}/account`)).url).toBe(`${running.sesame.url}/account`);
    const here = await signedInBrowser(email);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    notices.length = 0;
    const done = await signOutBrowsers(here.browser, page.html, 'others');
    expect(done.url).toBe(`${running.sesame.url}/account?done=browsers-signed-out`);
    expect(done.html).toContain('Every other browser is signed out');
    expect(browserRows(done.html)).toHaveLength(1);

    // The lost laptop: its session is gone (the next sign-in asks for an email), and so are the
    // tokens its apps got (refresh refused); its back-channel app got a logout token for its session.
    expect(await running.sesame.store.get(oidcRecordKey('Session', lost.sessionId))).toBeUndefined();
    // Its browser's label went with it; this browser's stays.
    expect(await running.sesame.store.get(oidcSessionDeviceKey(lost.sessionId))).toBeUndefined();
    expect(await running.sesame.store.get(oidcSessionDeviceKey(here.sessionId))).toBe('Chrome on Linux');
    expect((await lost.browser.navigate((await running.rp.startAuthorization()).url)).html).toContain('name="email"');
    expect(await refreshes(lost.tokens.refresh_token!)).toBe('invalid_grant');
    // Its account page ended with its session, though its own cookie had minutes left.
    const lostAccount = await lost.browser.request(`${running.sesame.url}/account`);
    expect(lostAccount.status).toBe(302);
    expect(lostAccount.headers.get('location')).toBe('/account/sign-in?next=%2Faccount');
    await running.sesame.mailIdle();
    expect(notices).toHaveLength(1);
    const { payload } = await jwtVerify(notices[0]!.logoutToken!, createRemoteJWKSet(new URL(`${running.sesame.url}/jwks`)), { issuer: running.sesame.url, audience: NOTIFIED_APP.client_id, typ: 'logout+jwt' });
    expect(payload.sid).toBe(lost.wikiSid);

    // This browser: still signed in, its tokens still work, and no notice went to its apps.
    expect(await running.sesame.store.get(oidcRecordKey('Session', here.sessionId))).toBeDefined();
    expect(await refreshes(here.tokens.refresh_token!)).toBe('works');
    const pending = await running.rp.startAuthorization();
    expect(await finishAtApp(here.browser, await here.browser.navigate(pending.url))).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });

  it('"Sign out every other browser" also ends an account page left open after a change of address, which outlived its browser\'s session', async () => {
    const origin = running.sesame.url;
    const shared = await pageLeftOpenAfterMove('moving-out@example.com', 'moved-in@example.com');
    // Their phone, with the new address: the shared computer is not in the list (its Sesame session
    // ended with the move), so the only way to reach it is every other browser.
    const { browser: phone } = await signInWithCodeAt(running, `${origin}/account`, 'moved-in@example.com');
    const page = await phone.navigate(`${origin}/account`);
    expect(browserRows(page.html)).toHaveLength(1);
    expect((await signOutBrowsers(phone, page.html, 'others')).url).toBe(`${origin}/account?done=browsers-signed-out`);
    // The shared computer's page asks to sign in, as a page tied to an ended session does.
    const left = await shared.request(`${origin}/account`);
    expect([left.status, left.headers.get('location')]).toEqual([302, '/account/sign-in?next=%2Faccount']);
    // The phone's page goes on.
    expect((await phone.navigate(`${origin}/account`)).url).toBe(`${origin}/account`);

    // A page left after a change of address that signs out every other browser itself keeps going.
    const { page: again } = await requestEmailChange(origin, phone, 'moved-again@example.com');
    const movedAgain = await enterEmailChangeCode(origin, phone, again, (await emailChangeCodeTo(running.smtp, 'moved-again@example.com')).code!);
    expect((await signOutBrowsers(phone, movedAgain.html, 'others')).url).toBe(`${origin}/account?done=browsers-signed-out`);
    expect((await phone.navigate(`${origin}/account`)).url).toBe(`${origin}/account`);
  });

  it('an account page left open after a change of address ends once another account signs in to Sesame in that browser', async () => {
    const origin = running.sesame.url;
    const shared = await pageLeftOpenAfterMove('leaving-owner@example.com', 'left-owner@example.com');
    // With no Sesame session in the browser (the move ended it), the page goes on: it is the owner's.
    expect((await shared.navigate(`${origin}/account`)).html).toContain('left-owner@example.com');

    // The next person signs in to an app there: the browser's Sesame session is now theirs.
    const pending = await running.rp.startAuthorization();
    const { page } = await signInWithCodeAt(running, pending.url, 'next-person@example.com', shared);
    await finishAtApp(shared, page);
    // /account no longer shows the owner's account: it asks to sign in, as an ended page does...
    const left = await shared.request(`${origin}/account`);
    expect([left.status, left.headers.get('location')]).toEqual([302, '/account/sign-in?next=%2Faccount']);
    // ...and signing in there opens the next person's own.
    const theirs = await shared.navigate(`${origin}/account`);
    expect(theirs.url).toBe(`${origin}/account`);
    expect(theirs.html).toContain('next-person@example.com');
    expect(theirs.html).not.toContain('left-owner@example.com');
  });

  it('a signed-out browser whose request was in flight, and so saved its session again, is still signed out', async () => {
    const email = 'racing-laptop@example.com';
    const lost = await signedInBrowser(email);
    const here = await signedInBrowser(email);
    // What a request of the lost laptop holds while it runs: its session, read before the sign-out.
    const sessionKey = oidcRecordKey('Session', lost.sessionId);
    const inFlight = await running.sesame.store.get<{ uid: string }>(sessionKey);
    const uidKey = oidcSessionUidKey(inFlight!.uid);
    const inFlightCopy = await running.sesame.store.get(uidKey);
    const page = await here.browser.navigate(`${running.sesame.url}/account`);
    const done = await signOutBrowsers(here.browser, page.html, 'others');
    expect(done.url).toBe(`${running.sesame.url}/account?done=browsers-signed-out`);
    expect(await running.sesame.store.get(sessionKey)).toBeUndefined();
    // That request ends after the sign-out and saves the session it read, as oidc-provider does.
    await running.sesame.store.set(sessionKey, inFlight, 3600);
    await running.sesame.store.set(uidKey, inFlightCopy, 3600);
    // The laptop is asked for an email all the same, and its account page does not open.
    expect((await lost.browser.navigate((await running.rp.startAuthorization()).url)).html).toContain('name="email"');
    const account = await lost.browser.request(`${running.sesame.url}/account`);
    expect(account.status).toBe(302);
    // The browser that signed it out is not affected.
    const pending = await running.rp.startAuthorization();
    expect(await finishAtApp(here.browser, await here.browser.navigate(pending.url))).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    // Whoever proves the email again at the laptop is signed in there, and not asked for the email
    // over and over while the ended session is remembered. (In a second after the sign-out's: one
    // within it counts as before it.)
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const { tokens } = await signInWithCode({ rp: running.rp, smtp: running.smtp, browser: lost.browser }, email);
    expect(tokens.claims()!.email).toBe(email);
    expect((await lost.browser.navigate((await running.rp.startAuthorization()).url)).leftTo).toMatch(/callback\?code=/);
  });

  it('signs out one browser by its row, and only that one', async () => {
    const email = 'three-browsers@example.com';
    const first = await signedInBrowser(email);
    const second = await signedInBrowser(email);
    const { browser } = await signInWithCode(running, email);
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const rows = browserRows(page.html);
    expect(rows).toHaveLength(3);
    // The second browser's row: its handle is a keyed hash of its session id.
    const handle = hmacSha256(running.sesame.config.hmacKey, 'browser-session', second.sessionId);
    expect(rows.map((row) => row.handle)).toContain(handle);
    const done = await signOutBrowsers(browser, page.html, handle);
    expect(done.url).toBe(`${running.sesame.url}/account?done=browser-signed-out`);
    expect(browserRows(done.html)).toHaveLength(2);
    expect(await running.sesame.store.get(oidcRecordKey('Session', second.sessionId))).toBeUndefined();
    expect(await running.sesame.store.get(oidcRecordKey('Session', first.sessionId))).toBeDefined();
    expect(await refreshes(second.tokens.refresh_token!)).toBe('invalid_grant');
    expect(await refreshes(first.tokens.refresh_token!)).toBe('works');

    // The same row again (another tab): nothing left to do, and the page says so.
    const again = await signOutBrowsers(browser, page.html, handle);
    expect(again.url).toBe(`${running.sesame.url}/account?done=browser-gone`);
  });

  it('refuses what is not a browser of the list, and a form without its CSRF token, without a 500', async () => {
    const email = 'careful@example.com';
    const stranger = await signedInBrowser('stranger@example.com');
    const { browser } = await signInWithCode(running, email);
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const csrf = formFields(page.html, '/account/sign-out').csrf!;
    const bad = await browser.request(`${running.sesame.url}/account/browsers/sign-out`, { form: { csrf, browser: 'not-a-handle' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Choose a browser from the list on your account page.');
    const forged = await browser.request(`${running.sesame.url}/account/browsers/sign-out`, { form: { browser: 'others' } });
    expect(forged.status).toBe(403);
    // Another account's browser, named by its real handle: handles are only looked up among this
    // account's own sessions, so nothing happens to the stranger.
    const strangerHandle = hmacSha256(running.sesame.config.hmacKey, 'browser-session', stranger.sessionId);
    const foreign = await signOutBrowsers(browser, page.html, strangerHandle);
    expect(foreign.url).toBe(`${running.sesame.url}/account?done=browser-gone`);
    expect(await running.sesame.store.get(oidcRecordKey('Session', stranger.sessionId))).toBeDefined();
  });

  it('a browser whose sign-in is older than 5 minutes proves the email again before it signs anyone out', async () => {
    const email = 'unattended-laptop@example.com';
    const elsewhere = await signedInBrowser(email);
    const { browser } = await signInWithCode(running, email);
    const page = await browser.navigate(`${running.sesame.url}/account`);
    const realNow = Date.now.bind(Date);
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 6 * 60_000);
    try {
      const asked = await browser.request(`${running.sesame.url}/account/browsers/sign-out`, { form: { csrf: formFields(page.html, '/account/sign-out').csrf!, browser: 'others' } });
      expect(asked.status).toBe(302);
      expect(asked.headers.get('location')).toBe(`/account/sign-in?next=${encodeURIComponent('/account/browsers/sign-out')}&fresh=email`);
    } finally {
      clock.mockRestore();
    }
    expect(await running.sesame.store.get(oidcRecordKey('Session', elsewhere.sessionId))).toBeDefined();
  });
});

/** A shared computer: the owner signs in to the account page, moves the account to `to` there and walks away, the page still open. */
async function pageLeftOpenAfterMove(from: string, to: string) {
  const origin = running.sesame.url;
  const { browser } = await signInWithCodeAt(running, `${origin}/account`, from);
  const { page: confirm } = await requestEmailChange(origin, browser, to);
  const moved = await enterEmailChangeCode(origin, browser, confirm, (await emailChangeCodeTo(running.smtp, to)).code!);
  expect(moved.url).toBe(`${origin}/account?done=email-changed`);
  return browser;
}
