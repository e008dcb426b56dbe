import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, signInWithCode } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const MFA = 'urn:sesame:acr:mfa';
const STRICT_CLIENT: ClientRegistration = { ...TEST_CLIENT, client_id: 'strict-app', client_name: 'Strict App', redirect_uris: ['http://127.0.0.1:9/strict'], mfa: 'required', remember_device: false };

// test-config: accountArea.freshSecondFactorSeconds is 300.
const running = useSesame({ config: { clients: [TEST_CLIENT, FIRST_PARTY_CLIENT, STRICT_CLIENT] } });
let strictRp: RelyingParty;

beforeAll(async () => {
  strictRp = await startRelyingParty(running.sesame.url, STRICT_CLIENT);
});

// Sesame runs in this process: moving Date.now ages every session it holds, as days at an
// unattended browser would.
const realNow = Date.now.bind(Date);
function minutesPass(minutes: number) {
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + minutes * 60_000);
}
afterEach(() => {
  jest.restoreAllMocks();
});

const isEmailForm = (page: Page) => /\/interaction\/[^/]+$/.test(page.url) && page.html.includes('name="email"');
const isEnrolment = (page: Page) => /\/interaction\/[^/]+\/totp\/enroll$/.test(page.url) && page.html.includes('Set up an authenticator app');

/** Types the emailed code into the email form at `emailForm`; returns the page after it. */
async function proveEmailAgain(browser: HttpBrowser, emailForm: Page, email: string) {
  const { origin } = new URL(emailForm.url);
  const uid = emailForm.url.split('/').pop()!;
  const check = await browser.navigate(`${origin}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
  const mail = await running.smtp.waitForMail(email, { match: (m) => m.link?.includes(`/interaction/${uid}/`) ?? false });
  return browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
}

describe('setting up an authenticator from a step-up of an old session', () => {
  it('an app\'s silent step-up (prompt=none) of an old session is answered as a silent sign-in in a browser never signed in: the app does not learn that the account has no authenticator', async () => {
    const silentAnswer = async (browser: HttpBrowser) => {
      const callback = new URL((await browser.navigate((await running.rp.startAuthorization({ prompt: 'none', acr_values: MFA })).url)).leftTo!);
      return [callback.searchParams.get('error'), callback.searchParams.get('error_description')];
    };
    const { browser } = await signInWithCode(running, 'silent-step-up@example.com');
    minutesPass(6);
    const answer = await silentAnswer(browser);
    expect(answer[0]).toBe('login_required');
    expect(answer).toEqual(await silentAnswer(new HttpBrowser()));
  });

  it('acr_values on a session older than 5 minutes asks for the email first, says why, then sets up the authenticator', async () => {
    const email = 'left-open@example.com';
    const { browser, tokens } = await signInWithCode(running, email);
    minutesPass(6);
    const pending = await running.rp.startAuthorization({ acr_values: MFA });
    const page = await browser.navigate(pending.url);
    expect(isEmailForm(page)).toBe(true);
    expect(page.html).toContain('asks for an authenticator app. Before you set one up, confirm it’s you with your email.');
    // The session's own address is filled in: proving it again is one press.
    expect(/<input id="email"[^>]*>/.exec(page.html)![0]).toContain(`value="${email}"`);
    expect((await running.sesame.accounts.findByEmail(email))!.totp).toBeUndefined();

    const enrol = await proveEmailAgain(browser, page, email);
    expect(isEnrolment(enrol)).toBe(true);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(enrol.html)![1]!.replace(/ /g, '');
    const codes = await browser.navigate(enrol.url, { form: { csrf: formFields(enrol.html, '/totp/enroll').csrf!, code: totpCode(secret) } });
    expect(codes.url).toMatch(/\/recovery-codes$/);
    const confirmAction = /<form method="post" action="([^"]+)">/.exec(codes.html)![1]!;
    const done = await browser.navigate(new URL(confirmAction, running.sesame.url).href, { form: { ...formFields(codes.html, confirmAction), saved: 'yes' } });
    const claims = (await running.rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!;
    expect(claims).toMatchObject({ sub: tokens.claims()!.sub, acr: MFA });
    expect((await running.sesame.accounts.findByEmail(email))!.totp).toBeDefined();
  });

  it('the same for prompt=mfa, for an app whose policy requires an authenticator, and for the account page\'s own step-up', async () => {
    const email = 'unattended@example.com';
    const { browser } = await signInWithCode(running, email);
    minutesPass(6);
    const starts = [
      (await running.rp.startAuthorization({ prompt: 'mfa' })).url,
      (await strictRp.startAuthorization()).url,
      `${running.sesame.url}/account/sign-in?next=%2Faccount%2Ftotp%2Fremove&fresh=1`,
    ];
    for (const start of starts) {
      const page = await browser.navigate(start);
      expect([start, isEmailForm(page), isEnrolment(page)]).toEqual([start, true, false]);
    }
    expect((await running.sesame.accounts.findByEmail(email))!.totp).toBeUndefined();
  });

  it('a session within the 5 minutes goes straight to the set-up, with no new email', async () => {
    const { browser } = await signInWithCode(running, 'just-signed-in@example.com');
    minutesPass(4);
    const page = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(isEnrolment(page)).toBe(true);
  });

  it('a person who has an authenticator is asked only for its code, however old the session', async () => {
    const email = 'has-totp@example.com';
    const { browser } = await signInWithCode(running, email);
    const { secret } = await accountWithTotp(running.sesame, email);
    minutesPass(60);
    const pending = await running.rp.startAuthorization({ acr_values: MFA });
    const prompt = await browser.navigate(pending.url);
    expect(prompt.url).toMatch(/\/interaction\/[^/]+\/totp$/);
    expect(prompt.html).not.toContain('name="email"');
    const done = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect((await running.rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!.acr).toBe(MFA);
  });

  it('a step-up begun for the authenticator of an old session does not set up a new one once that authenticator was removed meanwhile', async () => {
    const email = 'removed-meanwhile@example.com';
    const { browser } = await signInWithCode(running, email);
    const { account } = await accountWithTotp(running.sesame, email);
    minutesPass(60);
    // Asked only for the code: the session's age did not matter, there was nothing to set up.
    const prompt = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(prompt.url).toMatch(/\/interaction\/[^/]+\/totp$/);
    const uid = prompt.url.split('/').at(-2)!;
    // The owner removes it on the account page of another browser (which ends no session).
    await secondFactorOf(running.sesame).remove(account.id);
    // The prompt left open at that browser now leads to the set-up, for a session an hour old.
    const setUp = await browser.navigate(`${running.sesame.url}/interaction/${uid}/totp/enroll`);
    expect(isEnrolment(setUp)).toBe(false);
    expect(setUp.status).toBeGreaterThanOrEqual(400);
    expect(setUp.html).toContain('sign in again');
    // Nor does a code posted to it set one up.
    const posted = await browser.navigate(`${running.sesame.url}/interaction/${uid}/totp/enroll`, { form: { csrf: formFields(prompt.html, '/totp').csrf!, code: '123456' } });
    expect(posted.status).toBeGreaterThanOrEqual(400);
    expect((await running.sesame.accounts.findByEmail(email))!.totp).toBeUndefined();
    // Started again, the sign-in asks for the email first, as for any old session.
    const again = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(isEmailForm(again)).toBe(true);
  });

  it('an old session is still reused as before when no authenticator would be set up', async () => {
    const { browser } = await signInWithCode(running, 'plain-sso@example.com');
    minutesPass(60);
    const pending = await running.rp.startAuthorization();
    const page = await browser.navigate(pending.url);
    expect(page.leftTo).toBeDefined();
    expect((await running.rp.handleCallback(page.leftTo!, pending)).claims()!.email).toBe('plain-sso@example.com');
  });
});
