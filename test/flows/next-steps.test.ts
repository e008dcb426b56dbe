import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { decodeEntities, formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { accountWithTotp } from '../helpers/second-factor.ts';
import { finishAtApp, reachConsentPage, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An app that registered its home page, one that registered only where it starts a sign-in, and
// one that registered neither.
const WITH_HOME: ClientRegistration = { ...TEST_CLIENT, client_uri: 'https://test-app.example/home' };
const WITH_SIGN_IN_ONLY: ClientRegistration = { ...SERVER_APP_CLIENT, initiate_login_uri: 'https://server-app.example/login' };
const running = useSesame({ config: { clients: [WITH_HOME, WITH_SIGN_IN_ONLY, FIRST_PARTY_CLIENT] }, client: WITH_HOME });

/** The links a page offers onwards: every link inside <main>. */
function linksOnward(page: Page): { href: string; label: string }[] {
  const main = /<main[\s\S]*<\/main>/.exec(page.html)?.[0] ?? '';
  return [...main.matchAll(/<a\b[^>]*\bhref="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)].map((m) => ({ href: decodeEntities(m[1]!), label: decodeEntities(m[2]!.trim()) }));
}

const ACCOUNT_PAGE = { href: '/account', label: 'Go to your Sesame account' };

describe('no page is a dead end', () => {
  it('"This sign-in has ended", for a page of a sign-in this browser does not hold, leads to the account page', async () => {
    const { uid } = await requestSignInMail(running, 'ended@example.com');
    const page = await new HttpBrowser().navigate(`${running.sesame.url}/interaction/${uid}/check`);
    expect([page.status, page.html.includes('This sign-in has ended')]).toEqual([400, true]);
    expect(linksOnward(page)).toEqual([ACCOUNT_PAGE]);
  });

  it('the back button after a finished sign-in (resuming it at /auth/:uid) says the sign-in has ended, in words, and leads on', async () => {
    const { browser, uid, checkPage, mail } = await requestSignInMail(running, 'resumed@example.com');
    const done = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    await finishAtApp(browser, done);
    const again = await browser.navigate(`${running.sesame.url}/auth/${uid}`);
    expect(again.status).toBe(400);
    expect(again.html).toContain('This sign-in has ended');
    expect(again.html).not.toContain('authorization request has expired');
    expect(linksOnward(again)).toEqual([ACCOUNT_PAGE]);
  });

  it('a page not found leads to the account page', async () => {
    const page = await new HttpBrowser().navigate(`${running.sesame.url}/nowhere`);
    expect(page.status).toBe(404);
    expect(linksOnward(page)).toEqual([ACCOUNT_PAGE]);
  });

  it('a step the sign-in has moved past leads on to the step it is at', async () => {
    const { browser, uid } = await reachConsentPage(running, 'moved-on@example.com');
    const stale = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    expect(stale.status).toBe(400);
    expect(stale.html).toContain('This step is already done');
    expect(linksOnward(stale)).toEqual([{ href: `/interaction/${uid}`, label: 'Continue signing in' }]);
    const onward = await browser.navigate(`${running.sesame.url}/interaction/${uid}`);
    expect(onward.html).toContain(`/interaction/${uid}/consent"`);
  });

  it('a refused form of a sign-in that goes on (an out-of-date page) leads back to the sign-in page', async () => {
    const { browser, uid } = await requestSignInMail(running, 'stale-form@example.com');
    const refused = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: 'out-of-date', code: '123456' } });
    expect(refused.status).toBe(403);
    expect(linksOnward(refused)).toEqual([{ href: `/interaction/${uid}`, label: 'Back to the sign-in page' }]);
  });

  it('a used link opened in the browser whose sign-in goes on is not "ended": it leads back to the step the sign-in is at', async () => {
    await accountWithTotp(running.sesame, 'link-after-code@example.com');
    const { browser, uid, checkPage, mail } = await requestSignInMail(running, 'link-after-code@example.com');
    const prompt = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(prompt.url).toBe(`${running.sesame.url}/interaction/${uid}/totp`);
    const used = await browser.navigate(mail.link!);
    expect(used.status).toBe(400);
    expect(used.html).toContain('This link no longer works');
    expect(used.html).not.toContain('This sign-in has ended');
    expect(linksOnward(used)).toEqual([{ href: `/interaction/${uid}/totp`, label: 'Back to the sign-in page' }]);
    // On another device the same link has no sign-in to go back to.
    expect(linksOnward(await new HttpBrowser().navigate(mail.link!))).toEqual([ACCOUNT_PAGE]);
  });

  it('on another device, a link\'s form sent without the number leads back to the confirmation', async () => {
    const { uid, mail } = await requestSignInMail(running, 'no-number@example.com');
    const phone = new HttpBrowser();
    const confirm = await phone.navigate(mail.link!);
    const refused = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: '' } });
    expect(refused.status).toBe(400);
    expect(linksOnward(refused)).toEqual([{ href: `/interaction/${uid}/link?t=${new URL(mail.link!).searchParams.get('t')}`, label: 'Back to the confirmation' }]);
    expect((await phone.navigate(`${running.sesame.url}${linksOnward(refused)[0]!.href}`)).html).toContain('Approve this sign-in');
  });

  it('signed out of Sesame: the account page; signed out of one app only: back to its home page, never to an address from the request', async () => {
    const { browser } = await signInWithCode(running, 'signing-out@example.com');
    const question = await browser.navigate(`${running.sesame.url}/session/end?client_id=${WITH_HOME.client_id}`);
    const appOnly = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: formFields(question.html, '/session/end/confirm') });
    expect(appOnly.html).toContain('You are signed out of Test App');
    expect(linksOnward(appOnly)).toEqual([{ href: 'https://test-app.example/home', label: 'Back to Test App' }, { href: '/session/end', label: 'Sign out of Sesame on this browser too' }]);
    // An app that registered only its sign-in address: after a sign-out that would sign the person straight back in.
    const other = await browser.navigate(`${running.sesame.url}/session/end/success?client_id=${WITH_SIGN_IN_ONLY.client_id}`);
    expect(linksOnward(other).map((link) => link.href)).toEqual(['/session/end']);

    const everywhere = await browser.navigate(`${running.sesame.url}/session/end?client_id=${WITH_HOME.client_id}`);
    const out = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(everywhere.html, '/session/end/confirm'), logout: 'yes' } });
    expect(out.html).toContain('You are signed out');
    expect(linksOnward(out)).toEqual([ACCOUNT_PAGE]);
  });

  it('an app\'s request that cannot be completed leads back to the app at its registered address, or to the account page', async () => {
    const badReturn = new URL((await running.rp.startAuthorization()).url);
    badReturn.searchParams.set('redirect_uri', 'https://evil.example/callback');
    const refused = await new HttpBrowser().navigate(badReturn.href);
    expect(refused.html).toContain('has not registered');
    expect(linksOnward(refused)).toEqual([{ href: 'https://test-app.example/home', label: 'Back to Test App' }]);

    badReturn.searchParams.set('client_id', WITH_SIGN_IN_ONLY.client_id);
    expect(linksOnward(await new HttpBrowser().navigate(badReturn.href))).toEqual([{ href: 'https://server-app.example/login', label: 'Back to Server App' }]);
    badReturn.searchParams.set('client_id', FIRST_PARTY_CLIENT.client_id);
    expect(linksOnward(await new HttpBrowser().navigate(badReturn.href))).toEqual([ACCOUNT_PAGE]);
    badReturn.searchParams.set('client_id', 'nobody');
    expect(linksOnward(await new HttpBrowser().navigate(badReturn.href))).toEqual([ACCOUNT_PAGE]);

    // A sign-out that did not work: the app's own page, not the return address it asked for.
    const signOut = await new HttpBrowser().navigate(`${running.sesame.url}/session/end?client_id=${WITH_HOME.client_id}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
    expect(signOut.html).toContain('This sign-out did not work');
    expect(linksOnward(signOut)).toEqual([{ href: 'https://test-app.example/home', label: 'Back to Test App' }]);
  });

  it('the account page\'s own errors lead back to it', async () => {
    const cancelled = await new HttpBrowser().navigate(`${running.sesame.url}/account/callback?error=access_denied`);
    expect(cancelled.status).toBe(400);
    expect(linksOnward(cancelled)).toEqual([{ href: '/account', label: 'Back to your account page' }]);
    const signedOut = await new HttpBrowser().navigate(`${running.sesame.url}/account/sign-out`, { form: { csrf: 'x' } });
    expect(signedOut.status).toBe(401);
    expect(linksOnward(signedOut)).toEqual([{ href: '/account', label: 'Back to your account page' }]);
  });
});
