import { describe, expect, it } from '@jest/globals';
import { formFields } from '../helpers/http-browser.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { sessionIdOf, signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const MFA = 'urn:sesame:acr:mfa';
const running = useSesame();

// Sessions and interactions carry whole seconds, and the sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

describe('a step-up begun before a sign-out everywhere', () => {
  it('cannot finish with the authenticator: the session it strengthens has ended', async () => {
    const email = 'stepping-up@example.com';
    const { browser } = await signInWithCode(running, email);
    const { secret, account } = await accountWithTotp(running.sesame, email);
    const prompt = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(prompt.url).toMatch(/\/totp$/);

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(account.id);
    const refused = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect(refused.leftTo).toBeUndefined();
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This sign-in has ended');

    // The browser is asked for its email again, as after any sign-out everywhere.
    const again = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(again.html).toContain('name="email"');
  });

  it('cannot finish either when it was begun on an instance whose clock runs ahead of the one that signed out', async () => {
    const email = 'stepping-up-ahead@example.com';
    const { browser } = await signInWithCode(running, email);
    const { secret, account } = await accountWithTotp(running.sesame, email);
    // The step-up's start is dated by that instance's clock (the library's interaction), ten seconds ahead.
    const realNow = Date.now;
    Date.now = () => realNow() + 10_000;
    let prompt;
    try {
      prompt = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    } finally {
      Date.now = realNow;
    }
    expect(prompt.url).toMatch(/\/totp$/);

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(account.id);
    const refused = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect(refused.leftTo).toBeUndefined();
    expect(refused.html).toContain('This sign-in has ended');
  });

  it('cannot set up an authenticator either', async () => {
    const email = 'enrolling@example.com';
    const { browser, tokens } = await signInWithCode(running, email);
    const enrol = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(enrol.url).toMatch(/\/totp\/enroll$/);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(enrol.html)![1]!.replace(/ /g, '');

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(tokens.claims()!.sub);
    const refused = await browser.navigate(enrol.url, { form: { csrf: formFields(enrol.html, '/totp/enroll').csrf!, code: totpCode(secret) } });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This sign-in has ended');
    expect((await running.sesame.accounts.findByEmail(email))!.totp).toBeUndefined();
  });

  it('cannot finish once this browser was signed out from another, even with its session saved again', async () => {
    const email = 'stepping-up-laptop@example.com';
    const { browser } = await signInWithCode(running, email);
    const { secret, account } = await accountWithTotp(running.sesame, email);
    const prompt = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(prompt.url).toMatch(/\/totp$/);

    // Signed out from another browser; a request of this one in flight then saved its session again.
    await nextSecond();
    const session = await running.sesame.store.get<{ uid: string }>(oidcRecordKey('Session', sessionIdOf(browser, running.sesame.url)));
    await running.sesame.accounts.endSessions(account.id, [session!.uid], { keepSeconds: 86_400 });
    const refused = await submitTotp(browser, prompt, { code: totpCode(secret) });
    expect(refused.leftTo).toBeUndefined();
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('This sign-in has ended');

    // The browser is asked for its email.
    const again = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(again.html).toContain('name="email"');
  });
});
