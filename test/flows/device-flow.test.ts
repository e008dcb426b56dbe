import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { oidcRecordKey, oidcSessionDeviceKey } from '../../src/store/keys.ts';
import { decodeEntities, formFields, HttpBrowser, tableRows } from '../helpers/http-browser.ts';
import { clearOfWindowStart } from '../helpers/rate-limit-window.ts';
import { DEVICE_GRANT, deviceSignIn } from '../helpers/device-sign-in.ts';
import { DEVICE_DECISION_ACTION } from '../../src/device-flow/device-pages.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { sessionIdOf } from '../helpers/sign-in.ts';
import { DEVICE_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The device authorization grant (RFC 8628): a TV or a command-line tool (openid-client's device
// functions) gets a user code, a person types it at /device in a browser (HttpBrowser), signs in
// there with the emailed code, allows the app, and the device's polling receives the tokens.

const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

// Every code entered counts against the one client IP of all these tests: the budget is tested below.
const { rateLimits } = testConfig({ issuer: 'http://unused' });
const running = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 1000, windowSeconds: 900 } } }, client: DEVICE_CLIENT });

/** The code as a person might type it from the TV: lower case, a space for the dash. */
const typedSloppily = (userCode: string) => ` ${userCode.toLowerCase().replace('-', ' ')} `;

const { enterUserCode, decide, signInByEmailCode, pollOnce } = deviceSignIn(running);

const startDevice = (scope = 'openid email offline_access') => client.initiateDeviceAuthorization(running.rp.config, { scope });

/** A browser signed in to Sesame as `email`, by connecting a first device there (without offline_access), and that device's tokens. */
async function browserSignedInAs(email: string) {
  const browser = new HttpBrowser();
  const first = await startDevice('openid email');
  const polling = client.pollDeviceAuthorizationGrant(running.rp.config, first);
  await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, first.user_code), 'confirm'), email);
  return { browser, firstTokens: await polling };
}

describe('device authorization grant', () => {
  it('discovery advertises the device authorization endpoint and grant type', async () => {
    const discovery = (await (await fetch(`${running.sesame.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).toBe(`${running.sesame.url}/device/auth`);
    expect(discovery.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('a device signs in: the code typed in any case with spaces, the email code, Allow, and the polling gets tokens that work', async () => {
    const device = await startDevice();
    expect(device.user_code).toMatch(USER_CODE);
    expect(device.verification_uri).toBe(`${running.sesame.url}/device`);
    expect(device.interval).toBe(1);
    expect(device.expires_in).toBeGreaterThan(590);
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device);

    const browser = new HttpBrowser();
    const form = await browser.navigate(`${running.sesame.url}/device`);
    // Sesame's page: its layout, its CSP with a nonce, not the library's markup.
    expect(form.html).toContain('<main id="main" class="card">');
    expect(form.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
    expect(form.headers.get('cache-control')).toMatch(/no-store/);
    const confirmation = await browser.navigate(`${running.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: typedSloppily(device.user_code) } });
    expect(confirmation.status).toBe(200);
    const text = decodeEntities(confirmation.html);
    expect(text).toContain('Connect Living Room TV on your device?');
    expect(text).toContain(device.user_code);
    expect(text).toContain('Only continue if you started this yourself, on a device that is in front of you now.');
    expect(text).toContain('see your email address');
    expect(text).toContain('keep access while you are not using it');
    // Not signed in here yet: no account to name (the sign-in after Allow asks for one).
    expect(text).not.toContain('You are signed in as');

    const email = 'tv-owner@example.com';
    const emailForm = await decide(browser, confirmation, 'confirm');
    const done = await signInByEmailCode(browser, emailForm, email);
    // Allowed on the confirmation page: neither the code page nor a consent page asks again.
    expect(done.checkPage.html).not.toContain('Signing in lets');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    expect(done.html).toContain('Your device is connected');
    // The browser that signed in is named on the account page's "Where you are signed in".
    expect(await running.sesame.store.get(oidcSessionDeviceKey(sessionIdOf(browser, running.sesame.url)))).toBe('Chrome on Linux');

    const tokens = await polling;
    const claims = tokens.claims()!;
    const account = await running.sesame.accounts.findByEmail(email);
    expect(claims).toMatchObject({ sub: account!.id, email, email_verified: true, aud: DEVICE_CLIENT.client_id, acr: 'urn:sesame:acr:email', amr: ['email'] });
    expect(tokens.refresh_token).toBeDefined();
    const userinfo = await client.fetchUserInfo(running.rp.config, tokens.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: account!.id, email });

    // The code worked once: typed again, it is refused, and says why.
    const again = await enterUserCode(browser, device.user_code);
    expect(again.url).toBe(`${running.sesame.url}/device?error=used`);
    expect(decodeEntities(again.html)).toContain('That code was already used.');

    // The device code gives tokens once: polled again, it is refused and what it gave is revoked.
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('the device code was already used') } });
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, claims.sub)).rejects.toMatchObject({ status: 401 });
    // The revocation took the device code's record with the grant: typed again, the user code
    // still reads as used, not as a code that is not right.
    const afterRevocation = await enterUserCode(browser, device.user_code);
    expect(afterRevocation.url).toBe(`${running.sesame.url}/device?error=used`);
    expect(await pollOnce('x'.repeat(43))).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('the device code is not valid') } });
  });

  it('a browser signed in already: the code and Allow are enough, no email; signing out there ends the tokens of a device without offline_access', async () => {
    const browser = new HttpBrowser();
    const first = await startDevice();
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, first);
    await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, first.user_code), 'confirm'), 'tv-twice@example.com');
    const offline = await polling;

    const second = await startDevice('openid email');
    const secondPolling = client.pollDeviceAuthorizationGrant(running.rp.config, second);
    // Allow gives the device this browser's account with no sign-in after it: the page names it.
    const confirmation = await enterUserCode(browser, second.user_code);
    expect(decodeEntities(confirmation.html)).toContain('You are signed in as <strong>tv-twice@example.com</strong>: if you allow it, the device gets this account.');
    const done = await decide(browser, confirmation, 'confirm');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    const online = await secondPolling;
    expect(online.claims()).toMatchObject({ email: 'tv-twice@example.com' });
    expect(online.refresh_token).toBeUndefined();

    // "Sign out of Sesame on this browser": the device that asked for offline_access keeps its
    // refresh token; the other device's tokens were the browser session's, and end with it.
    const confirm = await browser.navigate(`${running.sesame.url}/session/end`);
    await browser.navigate(new URL(/action="([^"]+)"/.exec(confirm.html)![1]!, running.sesame.url).href, { form: { xsrf: /name="xsrf" value="([^"]+)"/.exec(confirm.html)![1]!, logout: 'yes' } });
    await expect(client.fetchUserInfo(running.rp.config, online.access_token, online.claims()!.sub)).rejects.toMatchObject({ status: 401 });
    const refreshed = await client.refreshTokenGrant(running.rp.config, offline.refresh_token!);
    expect(await client.fetchUserInfo(running.rp.config, refreshed.access_token, offline.claims()!.sub)).toMatchObject({ email: 'tv-twice@example.com' });
  });

  it('a device that sends max_age=0 gets a sign-in now, also from a browser signed in already, and an auth_time that says so', async () => {
    const { browser } = await browserSignedInAs('tv-fresh@example.com');

    const device = await client.initiateDeviceAuthorization(running.rp.config, { scope: 'openid email', max_age: '0' });
    const devicePolling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
    const confirmation = await enterUserCode(browser, device.user_code);
    // Allow does not hand over this browser's account: a sign-in follows, so the page names none.
    expect(decodeEntities(confirmation.html)).not.toContain('You are signed in as');
    const startedAt = Math.floor(Date.now() / 1000);
    const emailForm = await decide(browser, confirmation, 'confirm');
    expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
    const done = await signInByEmailCode(browser, emailForm, 'tv-fresh@example.com');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    const claims = (await devicePolling).claims()!;
    expect(claims.email).toBe('tv-fresh@example.com');
    expect(claims.auth_time).toBeGreaterThanOrEqual(startedAt);
  });

  it('"Allow with another account" from a browser signed in already: an empty email form, the device gets the account proven there, and the first account is signed out of this browser', async () => {
    const { browser, firstTokens } = await browserSignedInAs('tv-shared-first@example.com');
    expect(firstTokens.claims()).toMatchObject({ email: 'tv-shared-first@example.com' });

    const device = await startDevice('openid email');
    const devicePolling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
    const confirmation = await enterUserCode(browser, device.user_code);
    const text = decodeEntities(confirmation.html).replace(/\s+/g, ' ');
    expect(text).toContain('To give it another account, choose “Allow with another account” and sign in with that one: signing in with another address signs tv-shared-first@example.com out of this browser.');
    // The same form and action as Allow: only the button's value differs.
    expect(confirmation.html).toMatch(/<button type="submit" name="confirm" value="another-account" class="secondary" aria-describedby="device-warning">Allow with another account<\/button>/);

    const emailForm = await decide(browser, confirmation, 'another-account');
    expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
    // Empty, not the session's address, and saying what happens to it.
    expect(formFields(emailForm.html, '/email').email).toBe('');
    expect(decodeEntities(emailForm.html)).toContain('Sign in with the account Living Room TV on your device should get. If it is not the account this browser is signed in with, that one is signed out here.');
    expect(await pollOnce(device.device_code)).toMatchObject({ body: { error: 'authorization_pending' } });

    // Another account signs in: oidc-provider ends the first one's session with a form the
    // browser submits by itself, then resumes the device's sign-in in a new session.
    const endFirst = await signInByEmailCode(browser, emailForm, 'tv-shared-second@example.com');
    const done = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(endFirst.html, '/session/end/confirm'), logout: 'yes' } });
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    const claims = (await devicePolling).claims()!;
    expect(claims.email).toBe('tv-shared-second@example.com');
    expect(claims.sub).toBe((await running.sesame.accounts.findByEmail('tv-shared-second@example.com'))!.id);
    expect(claims.sub).not.toBe(firstTokens.claims()!.sub);

    // The first account's session here ended, and with it the tokens of its device without
    // offline_access; this browser is now signed in as the second account.
    await expect(client.fetchUserInfo(running.rp.config, firstTokens.access_token, firstTokens.claims()!.sub)).rejects.toMatchObject({ status: 401 });
    const next = await enterUserCode(browser, (await startDevice('openid email')).user_code);
    expect(decodeEntities(next.html)).toContain('You are signed in as <strong>tv-shared-second@example.com</strong>');
  });

  it('"Allow with another account" is kept with the decision: opening the sign-in\'s resume before signing in asks again, and hands over no account', async () => {
    const { browser } = await browserSignedInAs('tv-shared-resume@example.com');

    const device = await startDevice('openid email');
    const emailForm = await decide(browser, await enterUserCode(browser, device.user_code), 'another-account');
    const uid = emailForm.url.split('/').pop()!;
    // The resume cookie is this browser's: without the recorded choice, the session's account went.
    const resumed = await browser.navigate(`${running.sesame.url}/device/${uid}`);
    expect(resumed.url).toMatch(/\/interaction\/[^/]+$/);
    expect(formFields(resumed.html, '/email').email).toBe('');
    expect(await pollOnce(device.device_code)).toMatchObject({ body: { error: 'authorization_pending' } });
  });

  it('of 20 polls at once after Allow, exactly one gets the tokens', async () => {
    const device = await startDevice();
    const browser = new HttpBrowser();
    const done = await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), 'tv-race@example.com');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    const polls = await Promise.all(Array.from({ length: 20 }, () => pollOnce(device.device_code)));
    expect(polls.filter((poll) => poll.status === 200)).toHaveLength(1);
    expect(polls.filter((poll) => poll.status === 400 && poll.body.error === 'invalid_grant')).toHaveLength(19);
  });

  it('one code allowed in two signed-in browsers at once connects the device for one of them, and tells the other it was used', async () => {
    // Two browsers, each signed in to Sesame with its own account (through a device sign-in).
    const signedIn = async (email: string) => {
      const browser = new HttpBrowser();
      const device = await startDevice();
      const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
      await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), email);
      await polling;
      return browser;
    };
    const browsers = { 'tv-first@example.com': await signedIn('tv-first@example.com'), 'tv-second@example.com': await signedIn('tv-second@example.com') };
    for (const decision of ['confirm', 'abort'] as const) {
      const device = await startDevice();
      const confirmations = await Promise.all(Object.values(browsers).map((browser) => enterUserCode(browser, device.user_code)));
      // Allow in the first browser, and at the same moment Allow (then Don't allow) in the second.
      const [first, second] = await Promise.all([decide(browsers['tv-first@example.com'], confirmations[0]!, 'confirm'), decide(browsers['tv-second@example.com'], confirmations[1]!, decision)]);
      const outcomes = [first.url, second.url].map((url) => url.replace(running.sesame.url, ''));
      // Exactly one decision stands; the other browser is told the code was used.
      expect([decision, outcomes.filter((url) => url === '/device?error=used')]).toEqual([decision, ['/device?error=used']]);
      // The device gets what the page that did not say "used" told its person.
      const result = await client.pollDeviceAuthorizationGrant(running.rp.config, device).then((tokens) => tokens.claims()!.email, (error: { error?: string }) => error.error);
      const winner = outcomes[0] === '/device?error=used' ? { url: outcomes[1], email: 'tv-second@example.com' } : { url: outcomes[0], email: 'tv-first@example.com' };
      expect([decision, result]).toEqual([decision, winner.url === '/device/denied' ? 'access_denied' : winner.email]);
    }
  });

  it('the device is listed under "Apps with access" on /account, and "Remove access" ends its refresh token', async () => {
    const email = 'tv-removed@example.com';
    const device = await startDevice();
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
    const browser = new HttpBrowser();
    await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), email);
    const tokens = await polling;
    // The same browser opens its account page by single sign-on.
    const account = await browser.navigate(`${running.sesame.url}/account`);
    expect(account.url).toBe(`${running.sesame.url}/account`);
    expect(tableRows(account.html, 'apps-with-access', 'app').map((row) => row.value)).toContain(DEVICE_CLIENT.client_id);
    const removed = await browser.navigate(`${running.sesame.url}/account/apps/remove`, { form: { csrf: formFields(account.html, '/account/sign-out').csrf!, app: DEVICE_CLIENT.client_id } });
    expect(removed.url).toBe(`${running.sesame.url}/account?done=app-access-removed`);
    expect(removed.html).not.toContain(`name="app" value="${DEVICE_CLIENT.client_id}"`);
    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a person with an authenticator signs the device in with the email code and then the authenticator', async () => {
    const email = 'tv-totp@example.com';
    const { secret, account } = await accountWithTotp(running.sesame, email);
    const device = await startDevice();
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
    const browser = new HttpBrowser();
    const prompt = await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), email);
    expect(prompt.url).toMatch(/\/interaction\/[^/]+\/totp$/);
    const done = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    expect((await polling).claims()).toMatchObject({ sub: account.id, acr: 'urn:sesame:acr:mfa', amr: ['email', 'otp', 'mfa'] });
  });

  it('"Don\'t allow" tells the device access_denied, and the page says the device was not connected', async () => {
    const device = await startDevice();
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device).then(
      () => undefined,
      (error: unknown) => error,
    );
    const browser = new HttpBrowser();
    const denied = await decide(browser, await enterUserCode(browser, device.user_code), 'abort');
    expect(denied.url).toBe(`${running.sesame.url}/device/denied`);
    expect(denied.status).toBe(200);
    expect(denied.html).toContain('The device was not connected');
    expect(await polling).toMatchObject({ error: 'access_denied' });
  });

  it('cancelling the sign-in that Allow started also tells the device access_denied', async () => {
    const device = await startDevice();
    const browser = new HttpBrowser();
    const emailForm = await decide(browser, await enterUserCode(browser, device.user_code), 'confirm');
    const uid = emailForm.url.split('/').pop()!;
    const denied = await browser.navigate(`${running.sesame.url}/interaction/${uid}/abort`, { form: { csrf: formFields(emailForm.html, '/abort').csrf! } });
    expect(denied.url).toBe(`${running.sesame.url}/device/denied`);
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
  });

  it('a code that is not right says so and leads back to the form', async () => {
    const browser = new HttpBrowser();
    const refused = await enterUserCode(browser, 'BCDF-GHJK');
    expect(refused.url).toBe(`${running.sesame.url}/device?error=wrong-code`);
    expect(refused.status).toBe(200);
    expect(decodeEntities(refused.html)).toContain('That code is not right.');
    expect(formFields(refused.html, '/device').xsrf).toMatch(/^[0-9a-f]{48}$/);
    // Nothing that could be a code is looked up at all, and says the same.
    expect((await enterUserCode(browser, '<script>alert(1)</script>')).url).toBe(`${running.sesame.url}/device?error=wrong-code`);
    expect((await enterUserCode(browser, '')).url).toBe(`${running.sesame.url}/device?error=no-code`);
  });

  it('a wrong code comes back in the field (normalised, escaped, at most twice a code\'s length), in this browser only, with the form\'s secret', async () => {
    const browser = new HttpBrowser();
    const refused = await enterUserCode(browser, ' bcdf ghjk ');
    // The address says only why: what was typed is not in it (history, logs, a link to send on).
    expect(refused.url).toBe(`${running.sesame.url}/device?error=wrong-code`);
    expect(formFields(refused.html, '/device')).toEqual({ xsrf: expect.stringMatching(/^[0-9a-f]{48}$/), user_code: 'BCDF-GHJK' });
    expect(refused.html).toMatch(/<input id="user_code"[^>]*aria-invalid="true"/);
    // A letter short: as typed, in the code's groups.
    expect(formFields((await enterUserCode(browser, 'bcdf-ghj')).html, '/device').user_code).toBe('BCDF-GHJ');
    const hostile = await enterUserCode(browser, `"><script>alert(1)</script>${'x'.repeat(200)}`);
    expect(hostile.url).toBe(`${running.sesame.url}/device?error=wrong-code`);
    expect(hostile.html).not.toContain('<script>alert');
    expect(formFields(hostile.html, '/device').user_code).toBe('SCRI-PTAL-ERT1-SCRI');
    // Another browser at the same address, and this one opening the form afresh: an empty field.
    expect(formFields((await new HttpBrowser().navigate(`${running.sesame.url}/device?error=wrong-code`)).html, '/device').user_code).toBe('');
    expect(formFields((await browser.navigate(`${running.sesame.url}/device`)).html, '/device').user_code).toBe('');
  });

  it('a visit to /device keeps its session (the form\'s secret) only as long as a sign-in, until someone signs in there', async () => {
    const browser = new HttpBrowser();
    await browser.navigate(`${running.sesame.url}/device`);
    const key = oidcRecordKey('Session', sessionIdOf(browser, running.sesame.url));
    expect(await running.sesame.store.ttlSeconds(key)).toBeLessThanOrEqual(running.sesame.config.ttl.interactionSeconds);
    const device = await startDevice();
    const polling = client.pollDeviceAuthorizationGrant(running.rp.config, device);
    await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), 'tv-session@example.com');
    await polling;
    const signedIn = oidcRecordKey('Session', sessionIdOf(browser, running.sesame.url));
    expect(await running.sesame.store.ttlSeconds(signedIn)).toBeGreaterThan(running.sesame.config.ttl.sessionSeconds - 60);
  });

  it('a form or a resume this browser\'s session does not hold leads back to the form, never to a 500', async () => {
    const device = await startDevice();
    const { xsrf } = formFields((await new HttpBrowser().navigate(`${running.sesame.url}/device`)).html, '/device');
    // Another browser's form (no session cookie here): the library would answer 500 (device-pages.ts).
    const stranger = new HttpBrowser();
    const posted = await stranger.request(`${running.sesame.url}/device`, { form: { xsrf: xsrf!, user_code: device.user_code } });
    expect([posted.status, posted.headers.get('location')]).toEqual([303, '/device?error=form-expired']);
    const resumed = await stranger.request(`${running.sesame.url}/device/${'x'.repeat(21)}`);
    expect([resumed.status, resumed.headers.get('location')]).toEqual([303, '/device?error=ended']);
    expect(decodeEntities((await stranger.navigate(`${running.sesame.url}/device?error=ended`)).html)).toContain('That sign-in has ended.');
  });

  it('a sign-in whose resume this browser no longer holds says to start again on the device: the code it shows was spent by Allow', async () => {
    const device = await startDevice();
    const browser = new HttpBrowser();
    const emailForm = await decide(browser, await enterUserCode(browser, device.user_code), 'confirm');
    const uid = emailForm.url.split('/').pop()!;
    // The resume opened without its cookie (another browser, or after the sign-in expired).
    const ended = await new HttpBrowser().navigate(`${running.sesame.url}/device/${uid}`);
    expect(ended.url).toBe(`${running.sesame.url}/device?error=ended`);
    expect(decodeEntities(ended.html)).toContain('That sign-in has ended. Start again on your device to get a new code.');
    // The code the device still shows is no way to start again: Allow spent it.
    expect((await enterUserCode(browser, device.user_code)).url).toBe(`${running.sesame.url}/device?error=used`);
  });

  it('an expired code says so at /device, and the device polling for it gets expired_token', async () => {
    const device = await startDevice();
    // Ten minutes on: the code's expiry moved into the past (the record outlives it: store-adapter.ts).
    const key = oidcRecordKey('DeviceCode', device.device_code);
    const record = (await running.sesame.store.get<Record<string, unknown>>(key))!;
    await running.sesame.store.set(key, { ...record, exp: Math.floor(Date.now() / 1000) - 1 }, 3600);

    const refused = await enterUserCode(new HttpBrowser(), typedSloppily(device.user_code));
    expect(refused.url).toBe(`${running.sesame.url}/device?error=expired`);
    expect(decodeEntities(refused.html)).toContain('That code has expired. Start again on your device to get a new code.');
    const poll = await pollOnce(device.device_code);
    expect(poll).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    expect(poll.type).toMatch(/^application\/json/);
  });

  it('a device polling faster than the interval is told slow_down (JSON), and authorization_pending once it waits', async () => {
    const device = await startDevice();
    const first = await pollOnce(device.device_code);
    expect(first).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(first.type).toMatch(/^application\/json/);
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });

  it('a second poll right after the first is told slow_down wherever the two fall in time', async () => {
    // The pace is measured from the last pending poll, not on a clock grid: two polls a few
    // milliseconds apart on either side of a slot's edge (a multiple of 0.8 interval, the grid's
    // slot) are as fast as any other two. A poll here takes a few milliseconds: one of these starts
    // lands the two polls on both sides of an edge.
    const slotMs = running.sesame.config.deviceFlow.pollIntervalSeconds * 800;
    for (const before of [16, 12, 9, 6, 3]) {
      const device = await startDevice();
      await new Promise((resolve) => setTimeout(resolve, (2 * slotMs - (Date.now() % slotMs) - before) % slotMs));
      const first = await pollOnce(device.device_code);
      const second = await pollOnce(device.device_code);
      expect([before, first.body.error, second.body.error]).toEqual([before, 'authorization_pending', 'slow_down']);
    }
  });

  it('the link with the code in it fills the form in, and still waits for Continue and Allow', async () => {
    const device = await startDevice();
    const browser = new HttpBrowser();
    const page = await browser.navigate(device.verification_uri_complete!);
    expect(page.status).toBe(200);
    expect(formFields(page.html, '/device').user_code).toBe(device.user_code);
    // No self-submitting form: the library's would post the code from an inline script.
    expect(page.html).not.toContain('document.forms[0].submit()');
    // A code Sesame could not have issued is not put on the page.
    const forged = await browser.navigate(`${running.sesame.url}/device?user_code=${encodeURIComponent('"><b>AEIOU')}`);
    expect(formFields(forged.html, '/device').user_code).toBe('');
  });

  it('an app not registered for the device grant is refused at /device/auth, in JSON', async () => {
    const response = await fetch(`${running.sesame.url}/device/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ scope: 'openid email' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // A program's endpoint: none of the page machinery, the data policy (oidc/provider-api-paths.ts).
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(await response.json()).toMatchObject({ error: 'unauthorized_client', error_description: expect.stringContaining(`add "${DEVICE_GRANT}" to its grant_types`) });
  });
});

describe('guessing at user codes', () => {
  const limited = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 3, windowSeconds: 900 } } }, client: DEVICE_CLIENT });

  it('every code entered counts against the client IP, wrong ones included, until 429 with Retry-After', async () => {
    await clearOfWindowStart();
    const device = await client.initiateDeviceAuthorization(limited.rp.config, { scope: 'openid' });
    const browser = new HttpBrowser();
    const form = await browser.navigate(`${limited.sesame.url}/device`);
    let fields = formFields(form.html, '/device');
    for (const guess of ['BCDF-GHJK', 'BCDF-GHJL', 'BCDF-GHJM']) {
      const refused = await browser.navigate(`${limited.sesame.url}/device`, { form: { ...fields, user_code: guess } });
      expect(refused.url).toBe(`${limited.sesame.url}/device?error=wrong-code`);
      fields = formFields(refused.html, '/device');
    }
    // The fourth entry is refused before anything is looked up, even the right code.
    const blocked = await browser.request(`${limited.sesame.url}/device`, { form: { ...fields, user_code: device.user_code } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(decodeEntities(await blocked.text())).toContain('Too many device codes were entered from your network.');
  });
});

describe('an honest sign-in costs one entry', () => {
  const budget = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 2, windowSeconds: 900 } } }, client: DEVICE_CLIENT });
  const steps = deviceSignIn(budget);

  it('Allow and Don\'t allow on the confirmation this browser was just shown are not counted again: two devices within a budget of two', async () => {
    await clearOfWindowStart();
    const browser = new HttpBrowser();
    for (const decision of ['abort', 'confirm'] as const) {
      const device = await steps.startDeviceAs(DEVICE_CLIENT.client_id);
      const confirmation = await steps.enterUserCode(browser, device.user_code);
      expect(decodeEntities(confirmation.html)).toContain('Connect Living Room TV on your device?');
      const outcome = await steps.decide(browser, confirmation, decision);
      expect(outcome.url).toMatch(decision === 'abort' ? /\/device\/denied$/ : /\/interaction\/[^/]+$/);
    }
    // The budget is spent by the two entries: a third is refused.
    const third = await steps.startDeviceAs(DEVICE_CLIENT.client_id);
    const form = await browser.navigate(`${budget.sesame.url}/device`);
    const blocked = await browser.request(`${budget.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: third.user_code } });
    expect(blocked.status).toBe(429);
  });
});

describe('the confirmation page has an address of its own (Post/Redirect/Get)', () => {
  const budget = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 2, windowSeconds: 900 } } }, client: DEVICE_CLIENT });
  const steps = deviceSignIn(budget);

  it('the right code leads (303) to it; the code is in no address, reloading counts no entry and keeps a working form, and another browser there sees no confirmation', async () => {
    await clearOfWindowStart();
    const browser = new HttpBrowser();
    const device = await steps.startDeviceAs(DEVICE_CLIENT.client_id);
    const form = await browser.navigate(`${budget.sesame.url}/device`);
    const entered = await browser.request(`${budget.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: device.user_code } });
    expect([entered.status, entered.headers.get('location')]).toEqual([303, '/device?step=confirm']);
    let confirmation = await browser.navigate(`${budget.sesame.url}/device?step=confirm`);
    for (let reload = 0; reload < 3; reload++) {
      confirmation = await browser.navigate(confirmation.url);
      expect([confirmation.status, decodeEntities(confirmation.html).includes('Connect Living Room TV on your device?'), confirmation.html.includes(device.user_code)]).toEqual([200, true, true]);
    }
    expect(confirmation.headers.get('cache-control')).toContain('no-store');

    // Another browser at the same address: no code of its own waits there.
    const stranger = await new HttpBrowser().navigate(`${budget.sesame.url}/device?step=confirm`);
    expect(stranger.url).toBe(`${budget.sesame.url}/device?error=confirmation-answered`);
    expect(decodeEntities(stranger.html)).toContain('That confirmation was already answered, or it has expired. To connect a device, enter the code it shows.');
    expect(stranger.html).not.toContain(device.user_code);

    // The last reload's form decides; the page afterwards (Back) says it was answered.
    const outcome = await steps.decide(browser, confirmation, 'abort');
    expect(outcome.url).toMatch(/\/device\/denied$/);
    const back = await browser.navigate(`${budget.sesame.url}/device?step=confirm`);
    expect(back.url).toBe(`${budget.sesame.url}/device?error=confirmation-answered`);
    // One entry spent of two, for all the reloads: a second device's code is still taken.
    const second = await steps.startDeviceAs(DEVICE_CLIENT.client_id);
    expect(decodeEntities((await steps.enterUserCode(browser, second.user_code)).html)).toContain('Connect Living Room TV on your device?');
  });
});

describe('a decision not counted again holds for its own code only', () => {
  const budget = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 2, windowSeconds: 900 } } }, client: DEVICE_CLIENT });
  const steps = deviceSignIn(budget);

  it('a decision carrying another code than the one this browser was shown is refused without a look-up, and counted; so is a second decision', async () => {
    await clearOfWindowStart();
    const [own, victim] = [await steps.startDeviceAs(DEVICE_CLIENT.client_id), await steps.startDeviceAs(DEVICE_CLIENT.client_id)];
    const browser = new HttpBrowser();
    const confirmation = await steps.enterUserCode(browser, own.user_code); // entry 1
    const decisionForm = formFields(confirmation.html, DEVICE_DECISION_ACTION);
    // The form sent again with someone else's (right) code in it: not looked up, so not allowed.
    const swapped = await browser.navigate(`${budget.sesame.url}${DEVICE_DECISION_ACTION}`, { form: { ...decisionForm, user_code: victim.user_code, confirm: 'yes' } }); // entry 2
    expect(swapped.url).toBe(`${budget.sesame.url}/device?error=wrong-code`);
    expect(await steps.pollOnce(victim.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    // The browser's one uncounted decision is spent: this one counts, and the budget is gone.
    const again = await browser.request(`${budget.sesame.url}${DEVICE_DECISION_ACTION}`, { form: { ...formFields(swapped.html, '/device'), user_code: own.user_code, confirm: 'yes' } });
    expect(again.status).toBe(429);
  });
});

describe('forms posted from other sites', () => {
  const crossSite = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 3, windowSeconds: 900 } } }, client: DEVICE_CLIENT });

  it('a form posted from another site (no session cookie: the library refuses it before any look-up) does not spend the network\'s budget', async () => {
    await clearOfWindowStart();
    const device = await client.initiateDeviceAuthorization(crossSite.rp.config, { scope: 'openid' });
    // A page elsewhere makes its visitors' browsers post the form: the SameSite=Lax session cookie
    // stays out of it, so its xsrf cannot match and nothing is looked up.
    for (let i = 0; i < 5; i++) {
      const forged = await new HttpBrowser().request(`${crossSite.sesame.url}/device`, { form: { xsrf: 'x', user_code: 'BCDF-GHJK' } });
      expect([forged.status, forged.headers.get('location')]).toEqual([303, '/device?error=form-expired']);
    }
    // The people behind that address still have their entries.
    const browser = new HttpBrowser();
    const form = await browser.navigate(`${crossSite.sesame.url}/device`);
    const confirmation = await browser.navigate(`${crossSite.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: device.user_code } });
    expect([confirmation.status, decodeEntities(confirmation.html)]).toEqual([200, expect.stringContaining('Connect Living Room TV on your device?')]);
  });
});

describe('on an https deployment, a session cookie planted by a sibling subdomain', () => {
  it('does not show the planter\'s code on a fresh browser\'s confirmation page', async () => {
    const issuer = 'https://id.sesame.test';
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { issuer, trustProxy: true, clients: [TEST_CLIENT, DEVICE_CLIENT] } });
    try {
      const behindProxy = () => new HttpBrowser(undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.20' });
      const asForm = { origin: issuer };
      // The planter enters their own device's code at /device; their session remembers it.
      const started = await fetch(`${tls.url}/device/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'x-forwarded-proto': 'https' },
        body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }),
      });
      const device = (await started.json()) as { user_code: string };
      const planter = behindProxy();
      const form = await planter.request(`${tls.url}/device`);
      const entered = await planter.request(`${tls.url}/device`, { form: { ...formFields(await form.text(), '/device'), user_code: device.user_code }, headers: asForm });
      expect([entered.status, entered.headers.get('location')]).toEqual([303, '/device?step=confirm']);
      expect(await (await planter.request(`${tls.url}/device?step=confirm`)).text()).toContain(device.user_code);

      // A sibling subdomain cannot set the __Host- cookie the deployment uses, but can set a plain
      // `_session` naming the planter's session (its signature it cannot make for another name).
      const victim = behindProxy();
      victim.plantCookie('_session', planter.cookieValue('__Host-sesame-session')!);
      const confirmation = await victim.request(`${tls.url}/device?step=confirm`);
      expect(await confirmation.text()).not.toContain(device.user_code);
      expect([confirmation.status, new URL(confirmation.headers.get('location') ?? '', issuer).search]).toEqual([303, '?error=confirmation-answered']);
    } finally {
      await tls.close();
    }
  });
});
