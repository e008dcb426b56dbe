import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { signInApprovalKey } from '../../src/store/keys.ts';

const running = useSesame();

const phoneUserAgent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1';

describe('magic link opened on another device', () => {
  it('approves there, never signs the other device in, and the waiting tab finishes by itself', async () => {
    const { browser: laptop, uid, pending, mail, checkPage } = await requestSignInMail(running, 'traveller@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    // The number is on the waiting tab only: reading the mail is not seeing that tab. (The mail
    // has other digits, its expiry time among them, so the check is on what it says of the number.)
    expect(mail.text).toContain('It asks for the number your sign-in page shows.');
    expect(mail.html).toContain('It asks for the number your sign-in page shows.');
    for (const part of [mail.text, mail.html]) expect(part).not.toMatch(new RegExp(`number\\W+(<[^>]+>)?${shownNumber}\\b`));

    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(mail.link!);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Linux'); // the requesting device, so a person recognises it
    expect(confirm.html).toContain('Someone asked to sign in to <strong>Test App</strong> as'); // and the app
    // An app's sign-in, not a device's: neither the page nor the mail warns of one (device-flow-sign-in.test.ts).
    for (const part of [confirm.html, mail.text, mail.html]) expect(part).not.toContain('for a device or command-line tool');
    // Typed, not picked from a few: a guess is right once in 90.
    expect(confirm.html).toMatch(/<input id="match-number" name="number"[^>]*inputmode="numeric"/);
    // Nothing on the page carries the number: no choices to pick from, no value filled in. (The
    // page's tokens are random text that may contain any two digits, so not a substring check.)
    expect(confirm.html).not.toMatch(/name="number"[^>]*value=|class="number"/);

    const status = async () => (await (await laptop.request(`${running.sesame.url}/interaction/${uid}/status`, { headers: { accept: 'application/json' } })).json()) as { status: string };
    expect((await status()).status).toBe('waiting');

    const approved = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(approved.status).toBe(200);
    expect(approved.html).toContain('Sign-in approved');
    expect(approved.html).toContain('traveller@example.com');
    expect(approved.leftTo).toBeUndefined();
    expect(phone.cookieNames()).not.toContain('_session');
    // The page has its own address: a reload shows it again, not "this link has expired".
    expect(approved.url).toBe(`${running.sesame.url}/interaction/${uid}/link/approved`);
    const reloaded = await phone.navigate(approved.url);
    expect([reloaded.status, reloaded.html.includes('Sign-in approved'), reloaded.html.includes('traveller@example.com')]).toEqual([200, true, true]);
    // Only to the browser that approved: anyone else at that address learns nothing.
    const stranger = await new HttpBrowser().navigate(approved.url);
    expect(stranger.status).toBe(400);
    expect(stranger.html).not.toContain('traveller@example.com');
    expect(stranger.html).not.toContain('Sign-in approved');

    expect((await status()).status).toBe('approved');
    const check = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    const page = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(check.html, '/continue') });
    const tokens = await running.rp.handleCallback(await finishAtApp(laptop, page), pending);
    expect(tokens.claims()!.email).toBe('traveller@example.com');

    // The phone holds no session: the app's authorization there asks for an email.
    const onPhone = await phone.navigate((await running.rp.startAuthorization()).url);
    expect(onPhone.html).toContain('name="email"');
  });

  it('a wrong number burns the link, while the code still works in the tab where the sign-in began', async () => {
    const { browser: laptop, uid, pending, mail, checkPage } = await requestSignInMail(running, 'phished@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(mail.link!);
    const wrong = shownNumber === '10' ? '11' : '10';
    const rejected = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: wrong } });
    expect(rejected.status).toBe(400);
    expect(rejected.html).toContain('did not match');
    const retry = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(retry.status).toBe(400);
    expect((await phone.navigate(mail.link!)).status).toBe(400);
    // Holding the link is not enough to cancel someone's sign-in: the code from the same mail,
    // typed where the sign-in began, still finishes it.
    const page = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(laptop, page), pending);
    expect(tokens.claims()!.email).toBe('phished@example.com');
  });

  it('a number not typed as two digits is asked for again and burns nothing', async () => {
    const { uid, mail, checkPage } = await requestSignInMail(running, 'fumbled@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(mail.link!);
    for (const number of ['', '7', '123', 'ab']) {
      const refused = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number } });
      expect(refused.status).toBe(400);
      expect(refused.html).toContain('Type the number');
    }
    const approved = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: ` ${shownNumber} ` } });
    expect(approved.html).toContain('Sign-in approved');
  });

  it('"I confirmed the link on another device" pressed too early says it is not confirmed yet', async () => {
    const { browser, uid, checkPage } = await requestSignInMail(running, 'too-early@example.com');
    const number = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(checkPage.html, '/continue') });
    expect(page.url).toBe(`${running.sesame.url}/interaction/${uid}/check?notice=not-confirmed`);
    expect(page.html).toContain(`Not confirmed yet: open the link on your other device and type ${number} there.`);
  });

  it('the code typed into the original tab works while the link waits unopened', async () => {
    const { browser, uid, pending, mail, checkPage } = await requestSignInMail(running, 'typist@example.com');
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('typist@example.com');
    // The link of that mail is now spent.
    const later = await new HttpBrowser().navigate(mail.link!);
    expect(later.status).toBe(400);
  });

  it('the status endpoint answers only the browser that started the sign-in', async () => {
    const { uid } = await requestSignInMail(running, 'private@example.com');
    const stranger = await new HttpBrowser().request(`${running.sesame.url}/interaction/${uid}/status`, { headers: { accept: 'application/json' } });
    expect(stranger.status).toBe(400);
    expect(await stranger.json()).toMatchObject({ error: 'sign_in_expired' });
  });
});

describe('an approval from another device, after the waiting tab changed its mind', () => {
  /** A sign-in whose link was confirmed on a phone: the waiting tab could now continue by itself. */
  async function approvedOnPhone(email: string) {
    const signIn = await requestSignInMail(running, email);
    const shownNumber = /id="match-number">(\d+)</.exec(signIn.checkPage.html)![1]!;
    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(signIn.mail.link!);
    const approved = await phone.navigate(`${running.sesame.url}/interaction/${signIn.uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(approved.html).toContain('Sign-in approved');
    const status = async () => (await (await signIn.browser.request(`${running.sesame.url}/interaction/${signIn.uid}/status`, { headers: { accept: 'application/json' } })).json()) as { status: string };
    expect((await status()).status).toBe('approved');
    return { ...signIn, status };
  }

  it('"Use a different email" forgets it: the tab cannot continue as the approved address', async () => {
    const { browser, uid, checkPage, status } = await approvedOnPhone('changed-mind@example.com');
    const restarted = await browser.navigate(`${running.sesame.url}/interaction/${uid}/restart`, { form: formFields(checkPage.html, '/restart') });
    expect(restarted.html).toContain('name="email"');
    expect((await status()).status).not.toBe('approved');
    const next = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(checkPage.html, '/continue') });
    expect(next.leftTo).toBeUndefined();
    expect(browser.cookieNames()).not.toContain('_session');
  });

  it('an approval saved just after "Use a different email" does not land: the tab waits for the new address', async () => {
    const { browser, uid, checkPage, status } = await approvedOnPhone('first-thought@example.com');
    // The phone's confirmation took the link before the restart, and its write of the approval is
    // still on its way: the very record it saved, written again after the restart forgot it.
    const key = signInApprovalKey(uid);
    const [lateWrite, secondsLeft] = await Promise.all([running.sesame.store.getJson(key), running.sesame.store.ttlSeconds(key)]);
    const restarted = await browser.navigate(`${running.sesame.url}/interaction/${uid}/restart`, { form: formFields(checkPage.html, '/restart') });
    expect(restarted.html).toContain('name="email"');
    // Landing before the new address is asked for, and again after it was.
    await running.sesame.store.setJson(key, lateWrite!, secondsLeft);
    expect((await status()).status).not.toBe('approved');
    const emailForm = await browser.navigate(`${running.sesame.url}/interaction/${uid}`);
    expect(emailForm.html).toContain('name="email"');
    const secondCheck = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email: 'second-thought@example.com' } });
    expect(secondCheck.html).toContain('second-thought@example.com');
    await running.sesame.store.setJson(key, lateWrite!, secondsLeft);
    expect((await status()).status).toBe('waiting');
    const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    expect(check.html).toContain('second-thought@example.com');
    expect(check.html).not.toContain('first-thought@example.com');
    const next = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(check.html, '/continue') });
    expect(next.leftTo).toBeUndefined();
    expect(browser.cookieNames()).not.toContain('_session');
  });

  /** "Send a new link and code" on the waiting tab's page: the page it leads to. */
  const resend = (browser: HttpBrowser, uid: string, checkPage: { html: string }) => browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(checkPage.html, '/email'), resend: '1' } });

  it('"Send a new link and code" after the phone approved: the approval still counts, as the phone said, and the tab continues', async () => {
    const { browser, uid, pending, checkPage, status } = await approvedOnPhone('resent-after@example.com');
    const resent = await resend(browser, uid, checkPage);
    expect(resent.url).toBe(`${running.sesame.url}/interaction/${uid}/check?notice=resent`);
    expect((await status()).status).toBe('approved');
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(resent.html, '/continue') });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('resent-after@example.com');
  });

  it('an approval saved just after "Send a new link and code" (its link taken before the resend) lands: the tab continues', async () => {
    const { browser, uid, pending, checkPage, status } = await approvedOnPhone('resent-during@example.com');
    // The phone's confirmation took the link before the resend, and its write of the approval is
    // still on its way: the very record it saved, written after the resend.
    const key = signInApprovalKey(uid);
    const [lateWrite, secondsLeft] = await Promise.all([running.sesame.store.getJson(key), running.sesame.store.ttlSeconds(key)]);
    await running.sesame.store.delete(key);
    const resent = await resend(browser, uid, checkPage);
    expect((await status()).status).toBe('waiting');
    await running.sesame.store.setJson(key, lateWrite!, secondsLeft);
    expect((await status()).status).toBe('approved');
    const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(resent.html, '/continue') });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('resent-during@example.com');
  });

  it('a link sent to another address from the same tab (Back to the email form, no "Use a different email") is a new request: the approval of the first does not land', async () => {
    const { browser, uid, status } = await approvedOnPhone('first-address@example.com');
    const key = signInApprovalKey(uid);
    const [lateWrite, secondsLeft] = await Promise.all([running.sesame.store.getJson(key), running.sesame.store.ttlSeconds(key)]);
    const emailForm = await browser.navigate(`${running.sesame.url}/interaction/${uid}`);
    const secondCheck = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email: 'second-address@example.com' } });
    expect(secondCheck.html).toContain('second-address@example.com');
    await running.sesame.store.setJson(key, lateWrite!, secondsLeft);
    expect((await status()).status).toBe('waiting');
    const next = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(secondCheck.html, '/continue') });
    expect(next.leftTo).toBeUndefined();
    expect(browser.cookieNames()).not.toContain('_session');
  });

  it('Cancel forgets it: the tab cannot continue as the approved address instead of cancelling', async () => {
    const { browser, uid, checkPage, status } = await approvedOnPhone('cancelled@example.com');
    const cancelled = await browser.request(`${running.sesame.url}/interaction/${uid}/abort`, { form: formFields(checkPage.html, '/abort') });
    expect(cancelled.status).toBe(303);
    expect((await status()).status).not.toBe('approved');
    const next = await browser.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(checkPage.html, '/continue') });
    expect(next.leftTo).toBeUndefined();
    expect(browser.cookieNames()).not.toContain('_session');
  });
});
