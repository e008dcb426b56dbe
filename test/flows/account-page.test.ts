import { describe, expect, it } from '@jest/globals';
import { buildEndSessionUrl } from 'openid-client';
import { totpQrSvg } from '../../src/auth/totp-qr.ts';
import { decodeEntities, formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

const isTotpPrompt = (page: Page) => /\/interaction\/[^/]+\/totp$/.test(page.url);

/** The next security notice to `email` whose subject says `what`. */
const noticeTo = (email: string, what: string) => running.smtp.waitForMail(email, { match: (mail) => mail.subject === `Sesame: ${what}` });

/** Opens /account in `browser` and signs in with the emailed code; returns the page that follows. */
async function signInToAccountPage(email: string, browser = new HttpBrowser(), start = `${running.sesame.url}/account`) {
  const { emailForm, page } = await signInWithCodeAt(running, start, email, browser);
  expect(emailForm.html).toContain('Sign in to your Sesame account');
  return { browser, page };
}

/** In a browser signed in to the account page: signs in to the test app (single sign-on, no email), then opens its logout. */
async function signInToAppThenLogOut(browser: HttpBrowser) {
  const pending = await running.rp.startAuthorization();
  const tokens = await running.rp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending);
  return browser.navigate(buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token! }).href);
}

const secretOn = (page: Page) => /id="totp-secret">([A-Z2-7 ]+)</.exec(page.html)![1]!.replace(/ /g, '');
const recoveryCodesOn = (page: Page) => [...page.html.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map((m) => m[1]!);

describe('/account', () => {
  it('is signed in to through /auth like any app, passwordless', async () => {
    const { page, browser } = await signInToAccountPage('owner@example.com');
    expect(page.url).toBe(`${running.sesame.url}/account`);
    expect(page.html).toContain('id="account-email">owner@example.com<');
    expect(page.html).toContain('Set up an authenticator app');
    // Its notes are fixed texts: a name the table does not hold shows none, not even Object.prototype's.
    for (const done of ['constructor', 'toString', 'nonsense']) expect((await browser.navigate(`${running.sesame.url}/account?done=${done}`)).html).not.toContain('class="notice"');
  });

  it('enrols an authenticator from the page (QR, key, otpauth URI), and the next sign-in at an app asks for its code', async () => {
    const { browser } = await signInToAccountPage('enrol@example.com');
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    const secret = secretOn(enrol);
    const uri = decodeEntities(/href="(otpauth:[^"]+)"/.exec(enrol.html)![1]!);
    expect(uri).toBe(`otpauth://totp/Sesame:enrol%40example.com?secret=${secret}&issuer=Sesame&algorithm=SHA1&digits=6&period=30`);
    // The QR code is that very URI.
    expect(enrol.html).toContain(await totpQrSvg(uri));

    const codesPage = await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secret) } });
    expect(codesPage.html).toContain('This is the only time they are shown');
    expect(recoveryCodesOn(codesPage)).toHaveLength(10);
    const account = await browser.navigate(`${running.sesame.url}/account`);
    expect(account.html).toContain('id="recovery-codes-left">10<');

    // An app, in another browser: email, then the authenticator, then the app.
    const { pending, uid, browser: other, checkPage, mail } = await requestSignInMail(running, 'enrol@example.com');
    const prompt = await other.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(isTotpPrompt(prompt)).toBe(true);
    const done = await submitTotp(other, prompt, { code: totpCode(secret, 1) });
    expect((await running.rp.handleCallback(await finishAtApp(other, done), pending)).claims()).toMatchObject({ acr: 'urn:sesame:acr:mfa', amr: ['email', 'otp', 'mfa'] });
  });

  it('never shows a secret waiting for confirmation to another session of the account', async () => {
    const { browser: owner } = await signInToAccountPage('two-sessions@example.com');
    const { browser: other } = await signInToAccountPage('two-sessions@example.com');
    const ownersPage = await owner.navigate(`${running.sesame.url}/account/totp/enroll`);
    const othersPage = await other.navigate(`${running.sesame.url}/account/totp/enroll`);
    expect(secretOn(othersPage)).not.toBe(secretOn(ownersPage));
    // The owner's page stopped working when the other opened theirs, and says so rather than
    // activating a secret that another session has seen.
    const refused = await owner.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(ownersPage.html, '/account/totp/enroll'), code: totpCode(secretOn(ownersPage)) } });
    expect([refused.status, refused.url]).toEqual([200, `${running.sesame.url}/account/totp/enroll?error=replaced`]);
    expect(refused.html).toContain('started again on another page or device');
    expect([secretOn(ownersPage), secretOn(othersPage)]).not.toContain(secretOn(refused));
    const codesPage = await owner.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(refused.html, '/account/totp/enroll'), code: totpCode(secretOn(refused)) } });
    expect(recoveryCodesOn(codesPage)).toHaveLength(10);
  });

  it('a HEAD of the set-up page makes no secret, so it replaces none another session is confirming', async () => {
    const { browser: owner } = await signInToAccountPage('head-request@example.com');
    const { browser: other } = await signInToAccountPage('head-request@example.com');
    const ownersPage = await owner.navigate(`${running.sesame.url}/account/totp/enroll`);
    const head = await other.request(`${running.sesame.url}/account/totp/enroll`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const codesPage = await owner.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(ownersPage.html, '/account/totp/enroll'), code: totpCode(secretOn(ownersPage)) } });
    expect(recoveryCodesOn(codesPage)).toHaveLength(10);
  });

  it('renewing recovery codes and removing the authenticator need a fresh second-factor check', async () => {
    const { browser } = await signInToAccountPage('careful@example.com');
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    const secret = secretOn(enrol);
    const firstCodes = recoveryCodesOn(await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secret) } }));
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    const { csrf } = formFields(accountPage.html, '/account/sign-out');
    // Each change to the second step is told to the mailbox, with when and from which browser.
    const added = await noticeTo('careful@example.com', 'An authenticator app was set up for your account');
    expect(added.text).toContain('From: Chrome on Linux');
    expect(added.text).toMatch(/When: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(added.text).toContain(`${running.sesame.url}/account`);
    expect(added.link).toBeUndefined();

    // This session proved only the email: a removal is sent through a step-up first, and nothing is removed.
    const early = await browser.request(`${running.sesame.url}/account/totp/remove`, { form: { csrf: csrf! } });
    expect(early.status).toBe(302);
    expect(early.headers.get('location')).toBe('/account/sign-in?next=%2Faccount%2Ftotp%2Fremove&fresh=1');
    expect((await running.sesame.accounts.findByEmail('careful@example.com'))!.totp).toBeDefined();

    // New recovery codes: the authenticator prompt (no new email), then the confirmation page.
    const prompt = await browser.navigate(`${running.sesame.url}/account/recovery-codes`);
    expect(isTotpPrompt(prompt)).toBe(true);
    expect(prompt.html).not.toContain('name="email"');
    const confirm = await submitTotp(browser, prompt, { code: totpCode(secret, 1) });
    expect(confirm.url).toBe(`${running.sesame.url}/account/recovery-codes`);
    const renewed = await browser.navigate(confirm.url, { form: formFields(confirm.html, '/account/recovery-codes') });
    const newCodes = recoveryCodesOn(renewed);
    expect(newCodes).toHaveLength(10);
    expect(renewed.html).toContain('Your previous codes no longer work');
    const account = (await running.sesame.accounts.findByEmail('careful@example.com'))!;
    const modules = secondFactorOf(running.sesame);
    expect(await modules.recoveryCodes.redeem(account.id, firstCodes[0]!)).toBe(false);
    expect(await modules.recoveryCodes.redeem(account.id, newCodes[0]!)).toBe(true);
    expect((await noticeTo('careful@example.com', 'New recovery codes were issued for your account')).text).toContain('the codes you had before no longer work');

    // Still fresh: removal asks only for confirmation.
    const removal = await browser.navigate(`${running.sesame.url}/account/totp/remove`);
    expect(removal.html).toContain('Remove your authenticator app?');
    const removed = await browser.navigate(`${running.sesame.url}/account/totp/remove`, { form: formFields(removal.html, '/account/totp/remove') });
    expect(removed.url).toBe(`${running.sesame.url}/account?done=totp-removed`);
    expect(removed.html).toContain('The authenticator app was removed');
    expect((await running.sesame.accounts.findByEmail('careful@example.com'))!.totp).toBeUndefined();
    expect(await modules.recoveryCodes.remaining(account.id)).toBe(0);
    expect((await noticeTo('careful@example.com', 'The authenticator app was removed from your account')).text).toContain('sign-ins need only your email again');
    // The refused early removal sent nothing: three changes, three notices.
    expect(running.smtp.messages.filter((mail) => mail.to === 'careful@example.com' && mail.link === undefined)).toHaveLength(3);
  });

  it('new recovery codes asked for in two tabs at once: one new set, and the codes shown are the ones that work', async () => {
    const email = 'renewed-twice@example.com';
    const { browser } = await signInToAccountPage(email);
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    const secret = secretOn(enrol);
    recoveryCodesOn(await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secret) } }));
    const confirm = await submitTotp(browser, await browser.navigate(`${running.sesame.url}/account/recovery-codes`), { code: totpCode(secret, 1) });
    expect(confirm.url).toBe(`${running.sesame.url}/account/recovery-codes`);
    const form = formFields(confirm.html, '/account/recovery-codes');

    const presses = await Promise.all([0, 1].map(() => browser.request(`${running.sesame.url}/account/recovery-codes`, { form })));
    expect(presses.map((press) => [press.status, press.headers.get('location')])).toEqual([
      [303, '/account/recovery-codes/new'],
      [303, '/account/recovery-codes/new'],
    ]);
    const shown = recoveryCodesOn(await browser.navigate(`${running.sesame.url}/account/recovery-codes/new`));
    const account = (await running.sesame.accounts.findByEmail(email))!;
    expect(await secondFactorOf(running.sesame).recoveryCodes.redeem(account.id, shown[0]!)).toBe(true);
    // One renewal, so one notice to the mailbox.
    await noticeTo(email, 'New recovery codes were issued for your account');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(running.smtp.messages.filter((mail) => mail.to === email && mail.subject === 'Sesame: New recovery codes were issued for your account')).toHaveLength(1);
  });

  it('"Cancel" on the authenticator check a page asked for goes back to the account page, still signed in', async () => {
    const { browser } = await signInToAccountPage('changed-mind@example.com');
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secretOn(enrol)) } });
    const prompt = await browser.navigate(`${running.sesame.url}/account/recovery-codes`);
    expect(isTotpPrompt(prompt)).toBe(true);
    const cancelled = await browser.navigate(`${running.sesame.url}${/action="([^"]*\/abort)"/.exec(prompt.html)![1]!}`, { form: formFields(prompt.html, '/abort') });
    expect([cancelled.url, cancelled.status]).toEqual([`${running.sesame.url}/account`, 200]);
    expect(cancelled.html).toContain('id="account-email">changed-mind@example.com<');
  });

  it('two sign-ins started in two tabs of one browser: the one finished first signs in', async () => {
    const browser = new HttpBrowser();
    const first = await browser.navigate(`${running.sesame.url}/account`);
    const second = await browser.navigate(`${running.sesame.url}/account`);
    expect(second.url).not.toBe(first.url);
    const check = await browser.navigate(`${first.url}/email`, { form: { ...formFields(first.html, '/email'), email: 'two-tabs@example.com' } });
    const mail = await running.smtp.waitForMail('two-tabs@example.com');
    const page = await browser.navigate(`${first.url}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    expect([page.url, page.status]).toEqual([`${running.sesame.url}/account`, 200]);
    expect(page.html).toContain('id="account-email">two-tabs@example.com<');
  });

  it('lists remembered browsers and forgets them', async () => {
    const { secret, account } = await accountWithTotp(running.sesame, 'devices@example.com');
    const { browser, page } = await signInToAccountPage('devices@example.com');
    expect(isTotpPrompt(page)).toBe(true);
    const accountPage = await submitTotp(browser, page, { code: totpCode(secret), remember: 'yes' });
    expect(accountPage.url).toBe(`${running.sesame.url}/account`);
    expect(accountPage.html).toContain('Chrome on Linux <strong>(this browser)</strong>');
    const deviceId = (await secondFactorOf(running.sesame).devices.list(account.id))[0]!;

    const forgotten = await browser.navigate(`${running.sesame.url}/account/devices/forget`, { form: formFields(accountPage.html, '/account/devices/forget') });
    expect(forgotten.url).toBe(`${running.sesame.url}/account?done=device-forgotten`);
    expect(forgotten.html).toContain('No browser skips the authenticator code.');
    expect(await secondFactorOf(running.sesame).devices.list(account.id)).toEqual([]);
    expect(deviceId.label).toBe('Chrome on Linux');
  });

  it('signs out of the page and offers to sign out of Sesame', async () => {
    const { browser, page } = await signInToAccountPage('leaving@example.com');
    const signedOut = await browser.navigate(`${running.sesame.url}/account/sign-out`, { form: formFields(page.html, '/account/sign-out') });
    expect(signedOut.html).toContain('Sign out of Sesame on this browser');
    expect(browser.cookieNames()).not.toContain('sesame_account');
    const done = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(signedOut.html, '/session/end/confirm'), logout: 'yes' } });
    expect(done.url).toBe(`${running.sesame.url}/session/end/success`);
    expect(done.status).toBe(200);
    expect(done.html).toContain('You are signed out');
    // The same confirmation sent again (a second click, the back button) says what happened, in words.
    const again = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(signedOut.html, '/session/end/confirm'), logout: 'yes' } });
    expect(again.status).toBe(400);
    expect(again.html).toContain('This sign-out did not work');
    expect(again.html).toContain('This sign-out page was already used');
  });

  it('a logout request naming an unregistered return address is refused in words, and nothing is done', async () => {
    const { browser } = await signInToAccountPage('unregistered-return@example.com');
    const refused = await browser.navigate(`${running.sesame.url}/session/end?client_id=test-app&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This sign-out did not work');
    expect(refused.html).toContain('has not registered, so nothing was done');
    expect((await browser.navigate(`${running.sesame.url}/account`)).html).toContain('id="account-email">unregistered-return@example.com<');
  });

  it('signing out of Sesame from an app ends the account page\'s session in that browser too', async () => {
    const { browser } = await signInToAccountPage('shared-computer@example.com');
    // The same browser signs in to an app (single sign-on: no email), then leaves through the app's logout.
    const logout = await signInToAppThenLogOut(browser);
    expect(logout.html).toContain('Sign out of Sesame on this browser');
    expect(browser.cookieNames()).toContain('sesame_known');
    const done = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(logout.html, '/session/end/confirm'), logout: 'yes' } });
    expect(done.status).toBe(200);
    expect(done.html).toContain('You signed out of Sesame on this browser');
    // Nor does it learn which addresses signed in here.
    expect(browser.cookieNames()).not.toContain('sesame_known');
    // The next person at this computer finds the account page asking for an email.
    const account = await browser.navigate(`${running.sesame.url}/account`);
    expect(account.url).toMatch(/\/interaction\/[^/]+$/);
    expect(account.html).not.toContain('shared-computer@example.com');
  });

  it('"Only sign out of the app" signs out of the app only, and says so, with a way to sign out of Sesame too', async () => {
    const { browser } = await signInToAccountPage('staying@example.com');
    const logout = await signInToAppThenLogOut(browser);
    expect(logout.html).toContain('Only sign out of Test App');
    const done = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: formFields(logout.html, '/session/end/confirm') });
    expect(done.status).toBe(200);
    expect(done.html).toContain('You are still signed in to Sesame on this browser');
    expect(done.html).not.toContain('You are signed out</h1>');
    expect((await browser.navigate(`${running.sesame.url}/account`)).html).toContain('id="account-email">staying@example.com<');
    // The page's way to sign out of Sesame too asks once more, without naming an app.
    const again = await browser.navigate(`${running.sesame.url}${/href="(\/session\/end)"/.exec(done.html)![1]!}`);
    expect(again.html).toContain('Sign out of Sesame on this browser');
    expect(again.html).toContain('Stay signed in');
    const out = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(again.html, '/session/end/confirm'), logout: 'yes' } });
    expect(out.html).toContain('You are signed out');
    expect((await browser.navigate(`${running.sesame.url}/account`)).url).toMatch(/\/interaction\/[^/]+$/);
  });
});

describe('/account behind a TLS proxy (https issuer, TRUST_PROXY)', () => {
  it('signs in: the page redeems its code at its own socket, not at the public address', async () => {
    const issuer = 'https://id.sesame.test';
    const tls = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, config: { issuer, trustProxy: true } });
    try {
      // What the proxy does: TLS in front (X-Forwarded-Proto and -Host), the public name mapped to this process.
      const browser = new HttpBrowser(undefined, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.sesame.test' });
      const viaProxy = async (url: string, form?: Record<string, string>) => {
        let current = url.replace(issuer, tls.url);
        let response = await browser.request(current, form ? { form, headers: { origin: issuer } } : {});
        for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
          current = new URL(response.headers.get('location')!, current).href.replace(issuer, tls.url);
          response = await browser.request(current);
        }
        return { url: current, status: response.status, html: await response.text() };
      };
      const emailPage = await viaProxy(`${tls.url}/account`);
      const uid = emailPage.url.split('/').pop()!;
      await viaProxy(`${tls.url}/interaction/${uid}/email`, { ...formFields(emailPage.html, '/email'), email: 'behind-proxy@example.com' });
      const mail = await running.smtp.waitForMail('behind-proxy@example.com');
      const checkPage = await viaProxy(`${tls.url}/interaction/${uid}/check`);
      const account = await viaProxy(`${tls.url}/interaction/${uid}/code`, { ...formFields(checkPage.html, '/code'), code: mail.code! });
      expect([account.status, account.url]).toEqual([200, `${tls.url}/account`]);
      expect(account.html).toContain('id="account-email">behind-proxy@example.com<');
    } finally {
      await tls.close();
    }
  });
});

describe('bad input on /account', () => {
  it('refuses forms without the CSRF token of this session, without a session, or with a malformed device', async () => {
    const { browser, page } = await signInToAccountPage('forms@example.com');
    const { csrf } = formFields(page.html, '/account/sign-out');
    expect((await browser.request(`${running.sesame.url}/account/devices/forget`, { form: { device: 'all' } })).status).toBe(403);
    expect((await browser.request(`${running.sesame.url}/account/devices/forget`, { form: { csrf: 'forged', device: 'all' } })).status).toBe(403);
    expect((await browser.request(`${running.sesame.url}/account/devices/forget`, { form: { csrf: csrf!, device: 'all' }, headers: { origin: 'https://evil.example' } })).status).toBe(403);
    const malformed = await browser.navigate(`${running.sesame.url}/account/devices/forget`, { form: { csrf: csrf!, device: '../../etc' } });
    expect(malformed.status).toBe(400);
    expect(malformed.html).toContain('Choose a browser from the list');

    // Another person's session cannot use this person's token.
    const { browser: someoneElse } = await signInToAccountPage('other-forms@example.com');
    expect((await someoneElse.request(`${running.sesame.url}/account/devices/forget`, { form: { csrf: csrf!, device: 'all' } })).status).toBe(403);

    const noSession = await new HttpBrowser().navigate(`${running.sesame.url}/account/totp/enroll`, { form: { csrf: csrf!, code: '123456' } });
    expect(noSession.status).toBe(401);
    expect(noSession.html).toContain('Open your account page again');
  });

  it('answers a wrong or malformed enrolment code with the form again', async () => {
    const { browser } = await signInToAccountPage('enrol-shapes@example.com');
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    const fields = formFields(enrol.html, '/account/totp/enroll');
    for (const code of ['', 'abc', '12345678']) {
      const again = await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...fields, code } });
      expect([again.status, again.url]).toEqual([200, `${running.sesame.url}/account/totp/enroll?error=code-shape`]);
      expect(again.html).toContain('Enter the 6-digit code');
    }
    const wrong = await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...fields, code: totpCode(secretOn(enrol), 5) } });
    expect([wrong.status, wrong.url]).toEqual([200, `${running.sesame.url}/account/totp/enroll?error=wrong`]);
    expect(wrong.html).toContain('That code does not match');
  });

  it('a callback with a forged state, or without its flow cookie, is refused; next cannot leave /account', async () => {
    const browser = new HttpBrowser();
    const start = await browser.request(`${running.sesame.url}/account/sign-in?next=https://evil.example/`);
    const location = new URL(start.headers.get('location')!, running.sesame.url);
    expect(location.pathname).toBe('/auth');
    const forged = await browser.navigate(`${running.sesame.url}/account/callback?code=abc&state=forged`);
    expect(forged.status).toBe(400);
    const noCookie = await new HttpBrowser().navigate(`${running.sesame.url}/account/callback?code=abc&state=${location.searchParams.get('state')}`);
    expect(noCookie.status).toBe(400);
    expect(noCookie.html).toContain('Open your account page again');

    // Finishing that sign-in lands on the account page, not on the address in `next`.
    const { page } = await signInToAccountPage('next@example.com', new HttpBrowser(), `${running.sesame.url}/account/sign-in?next=https://evil.example/`);
    expect(page.url).toBe(`${running.sesame.url}/account`);
    expect(page.html).toContain('id="account-email">next@example.com<');
  });
});
