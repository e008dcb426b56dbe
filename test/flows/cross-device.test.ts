import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

const phoneUserAgent = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1';

describe('magic link opened on another device', () => {
  it('approves there, never signs the other device in, and the waiting tab finishes by itself', async () => {
    const { browser: laptop, uid, pending, mail, checkPage } = await requestSignInMail(running, 'traveller@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    expect(mail.text).toContain(shownNumber);

    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(mail.link!);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Linux'); // the requesting device, so a person recognises it
    const offered = [...confirm.html.matchAll(/name="number" value="(\d+)"/g)].map((m) => m[1]);
    expect(offered).toHaveLength(3);
    expect(offered).toContain(shownNumber);

    const status = async () => (await (await laptop.request(`${running.sesame.url}/interaction/${uid}/status`, { headers: { accept: 'application/json' } })).json()) as { status: string };
    expect((await status()).status).toBe('waiting');

    const approved = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(approved.status).toBe(200);
    expect(approved.html).toContain('Sign-in approved');
    expect(approved.leftTo).toBeUndefined();
    expect(phone.cookieNames()).not.toContain('_session');

    expect((await status()).status).toBe('approved');
    const check = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    const page = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(check.html, '/continue') });
    const tokens = await running.rp.handleCallback(await finishAtApp(laptop, page), pending);
    expect(tokens.claims()!.email).toBe('traveller@example.com');

    // The phone holds no session: the app's authorization there asks for an email.
    const onPhone = await phone.navigate((await running.rp.startAuthorization()).url);
    expect(onPhone.html).toContain('name="email"');
  });

  it('a wrong number burns the link, and the waiting tab is told', async () => {
    const { browser: laptop, uid, mail, checkPage } = await requestSignInMail(running, 'phished@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const phone = new HttpBrowser(phoneUserAgent);
    const confirm = await phone.navigate(mail.link!);
    const wrong = [...confirm.html.matchAll(/name="number" value="(\d+)"/g)].map((m) => m[1]!).find((n) => n !== shownNumber)!;
    const rejected = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: wrong } });
    expect(rejected.status).toBe(400);
    expect(rejected.html).toContain('did not match');
    const retry = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(retry.status).toBe(400);
    const status = await (await laptop.request(`${running.sesame.url}/interaction/${uid}/status`, { headers: { accept: 'application/json' } })).json();
    expect(status).toEqual({ status: 'expired' });
    // The code from the same mail is dead too.
    const check = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: formFields(checkPage.html, '/code').csrf!, code: mail.code! } });
    expect(check.status).toBe(400);
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
