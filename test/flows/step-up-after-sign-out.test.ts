import { describe, expect, it } from '@jest/globals';
import { formFields, type Page } from '../helpers/http-browser.ts';
import { withProcessClockOff } from '../helpers/move-clocks.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { sessionIdOf, signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const MFA = 'urn:sesame:acr:mfa';
const running = useSesame();

// Sessions and interactions carry whole seconds, and the sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

/** Signed in with an emailed code, an authenticator set up since, and the app asking for it: its prompt. */
async function atStepUpPrompt(email: string, reachPrompt = (go: () => Promise<Page>) => go()) {
  const { browser } = await signInWithCode(running, email);
  const { secret, account } = await accountWithTotp(running.sesame, email);
  const prompt = await reachPrompt(async () => browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url));
  expect(prompt.url).toMatch(/\/totp$/);
  return { browser, secret, account, prompt };
}

/** The right code refused: the sign-in it would strengthen has ended. */
function expectSignInEnded(refused: Page & { leftTo?: string }) {
  expect(refused.leftTo).toBeUndefined();
  expect(refused.status).toBe(400);
  expect(refused.html).toContain('This sign-in has ended');
}

describe('a step-up begun before a sign-out everywhere', () => {
  it('cannot finish with the authenticator: the session it strengthens has ended', async () => {
    const { browser, secret, account, prompt } = await atStepUpPrompt('stepping-up@example.com');

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(account.id);
    expectSignInEnded(await submitTotp(browser, prompt, { code: totpCode(secret) }));

    // The browser is asked for its email again, as after any sign-out everywhere.
    const again = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(again.html).toContain('name="email"');
  });

  it('cannot finish either when it was begun on an instance whose clock runs ahead of the one that signed out', async () => {
    // The step-up's start is dated by that instance's clock (the library's interaction), ten seconds ahead.
    const { browser, secret, account, prompt } = await atStepUpPrompt('stepping-up-ahead@example.com', (go) => withProcessClockOff(10_000, go));

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(account.id);
    expectSignInEnded(await submitTotp(browser, prompt, { code: totpCode(secret) }));
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
    const { browser, secret, account, prompt } = await atStepUpPrompt('stepping-up-laptop@example.com');

    // Signed out from another browser; a request of this one in flight then saved its session again.
    await nextSecond();
    const session = await running.sesame.store.get<{ uid: string }>(oidcRecordKey('Session', sessionIdOf(browser, running.sesame.url)));
    await running.sesame.accounts.endSessions(account.id, [session!.uid], { keepSeconds: 86_400 });
    expectSignInEnded(await submitTotp(browser, prompt, { code: totpCode(secret) }));

    // The browser is asked for its email.
    const again = await browser.navigate((await running.rp.startAuthorization({ acr_values: MFA })).url);
    expect(again.html).toContain('name="email"');
  });
});
