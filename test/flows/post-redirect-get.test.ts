import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Post/Redirect/Get: a form's POST is answered with a redirect to a page of its own (the outcome,
// or the next step), and the form's address opened with GET leads to the page the form is on.

const running = useSesame();

const recoveryCodesOn = (page: Page) => [...page.html.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map((m) => m[1]!);

async function signInToAccountPage(email: string) {
  const { browser, page } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
  return { browser, page };
}

describe('a wrong sign-in code', () => {
  it('is answered with a redirect to the check page, which says so however often it is loaded, and counts once', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'prg-code@example.com');
    const { csrf } = formFields(checkPage.html, '/code');
    const wrong = mail.code === '000000' ? '111111' : '000000';
    const answer = await browser.request(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: wrong } });
    expect([answer.status, answer.headers.get('location')]).toEqual([303, `/interaction/${uid}/check?error=wrong-code&left=4`]);
    for (let load = 0; load < 3; load++) {
      const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check?error=wrong-code&left=4`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('<p class="alert" role="alert" id="form-error">That code is not right. 4 tries left.</p>');
      expect(/<input[^>]*id="code"[^>]*>/.exec(page.html)![0]).toMatch(/autofocus aria-invalid="true" aria-describedby="form-error"/);
    }
    // Words never come from the address: an unknown key or an impossible count shows nothing made up.
    const forged = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check?error=%3Cb%3Ehi&left=99`);
    expect(forged.html).not.toContain('role="alert"');
    const outOfRange = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check?error=wrong-code&left=99`);
    expect(outOfRange.html).toContain('That code is not right.</p>');
    // The loads spent nothing: the next wrong code leaves three.
    const second = await browser.request(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: wrong } });
    expect(second.headers.get('location')).toBe(`/interaction/${uid}/check?error=wrong-code&left=3`);
    const right = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: mail.code! } });
    expect((await running.rp.handleCallback(await finishAtApp(browser, right), pending)).claims()!.email).toBe('prg-code@example.com');
  });
});

describe('a form address opened with GET', () => {
  it('leads to the page of the sign-in that form is on, and changes nothing', async () => {
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail(running, 'prg-get@example.com');
    for (const [action, page] of [['email', ''], ['code', '/check'], ['continue', '/check'], ['restart', ''], ['consent', ''], ['abort', '']]) {
      const response = await browser.request(`${running.sesame.url}/interaction/${uid}/${action}`);
      expect([action, response.status, response.headers.get('location')]).toEqual([action, 303, `/interaction/${uid}${page}`]);
    }
    // Followed, they land on the page that waits for the code; "abort" and "restart" did nothing.
    const landed = await browser.navigate(`${running.sesame.url}/interaction/${uid}/abort`);
    expect(landed.url).toBe(`${running.sesame.url}/interaction/${uid}/check`);
    expect(landed.html).toContain('Enter the code');
    const done = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect((await running.rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!.email).toBe('prg-get@example.com');
  });

  it('leads to the account page for its forms', async () => {
    const { browser } = await signInToAccountPage('prg-account-get@example.com');
    for (const action of ['/account/devices/forget', '/account/sign-out']) {
      const response = await browser.request(`${running.sesame.url}${action}`);
      expect([action, response.status, response.headers.get('location')]).toEqual([action, 303, '/account']);
    }
    expect((await browser.navigate(`${running.sesame.url}/account/sign-out`)).html).toContain('id="account-email">prg-account-get@example.com<');
  });
});

describe('recovery codes are shown once, on a page of their own', () => {
  it('renewed on /account: only the session that renewed them sees them, once; a reload says they are not shown again', async () => {
    const { account, secret } = await accountWithTotp(running.sesame, 'prg-renew@example.com');
    const { browser, page: prompt } = await signInToAccountPage('prg-renew@example.com');
    // Fresh from the authenticator prompt of this sign-in: the renewal asks only for confirmation.
    await submitTotp(browser, prompt, { code: totpCode(secret) });
    const confirm = await browser.navigate(`${running.sesame.url}/account/recovery-codes`);
    const renewed = await browser.request(`${running.sesame.url}/account/recovery-codes`, { form: formFields(confirm.html, '/account/recovery-codes') });
    expect([renewed.status, renewed.headers.get('location')]).toEqual([303, '/account/recovery-codes/new']);

    // Another session of the same account, at the same address: nothing.
    const { browser: other } = await signInToAccountPage('prg-renew@example.com');
    const elsewhere = await other.navigate(`${running.sesame.url}/account/recovery-codes/new`);
    expect(recoveryCodesOn(elsewhere)).toEqual([]);

    const shown = await browser.navigate(`${running.sesame.url}/account/recovery-codes/new`);
    const codes = recoveryCodesOn(shown);
    expect(codes).toHaveLength(10);
    expect(shown.html).toContain('Your new recovery codes');
    expect(shown.html).toContain('Your previous codes no longer work');
    expect(shown.html).toMatch(/<input type="checkbox" name="saved" value="yes" id="saved" required>/);
    const again = await browser.navigate(`${running.sesame.url}/account/recovery-codes/new`);
    expect(again.status).toBe(200);
    expect(again.html).toContain('Your recovery codes are not shown again');
    for (const code of codes) expect(again.html).not.toContain(code);
    // The ones shown are the account's codes now.
    expect(await secondFactorOf(running.sesame).recoveryCodes.redeem(account.id, codes[0]!)).toBe(true);

    const saved = await browser.request(`${running.sesame.url}/account/recovery-codes/new`, { form: { ...formFields(shown.html, '/account/recovery-codes/new'), saved: 'yes' } });
    expect([saved.status, saved.headers.get('location')]).toEqual([303, '/account']);
  });

  it('set up during a sign-in: shown to the browser of that sign-in once, and after it went on to the app, Back finds a page that says so', async () => {
    // The test app asks people with an authenticator for it; acr_values makes it ask this person to set one up.
    const { browser, uid, mail, checkPage, pending } = await requestSignInMail({ ...running, authorizationParams: { acr_values: 'urn:sesame:acr:mfa' } }, 'prg-enrol@example.com');
    const setUp = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(setUp.url).toBe(`${running.sesame.url}/interaction/${uid}/totp/enroll`);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setUp.html)![1]!.replace(/ /g, '');
    const answer = await browser.request(setUp.url, { form: { ...formFields(setUp.html, '/totp/enroll'), code: totpCode(secret) } });
    expect([answer.status, answer.headers.get('location')]).toEqual([303, `/interaction/${uid}/recovery-codes`]);

    // Without this sign-in's cookie (another browser that learnt the address): no codes.
    const stranger = await new HttpBrowser().navigate(`${running.sesame.url}/interaction/${uid}/recovery-codes`);
    expect([stranger.status, recoveryCodesOn(stranger)]).toEqual([200, []]);

    const shown = await browser.navigate(`${running.sesame.url}/interaction/${uid}/recovery-codes`);
    const codes = recoveryCodesOn(shown);
    expect(codes).toHaveLength(10);
    expect(shown.html).toContain('Your authenticator app is set up');
    expect(shown.html).toContain('Continue to Test App');
    const reloaded = await browser.navigate(`${running.sesame.url}/interaction/${uid}/recovery-codes`);
    expect(reloaded.html).toContain('Your recovery codes are not shown again');
    for (const code of codes) expect(reloaded.html).not.toContain(code);

    const done = await browser.navigate(`${running.sesame.url}/interaction/${uid}/recovery-codes`, { form: { ...formFields(shown.html, '/recovery-codes'), saved: 'yes' } });
    const claims = (await running.rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!;
    expect(claims).toMatchObject({ acr: 'urn:sesame:acr:mfa', amr: ['email', 'otp', 'mfa'] });
    // Back from the app: the sign-in is over, and the page says what happened instead of an error.
    const back = await browser.navigate(`${running.sesame.url}/interaction/${uid}/recovery-codes`);
    expect(back.status).toBe(200);
    expect(back.html).toContain('Your recovery codes are not shown again');
    expect(back.html).toContain('This sign-in is over');
  });
});
