import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { reachConsentPage, requestSignInMail } from '../helpers/sign-in.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An operator may want consent as a step of its own for some apps.
const SEPARATE_CONSENT_CLIENT = { ...TEST_CLIENT, client_id: 'separate-consent-app', client_name: 'Separate Consent App', redirect_uris: ['http://127.0.0.1:9/separate-callback'], consent_page: true };
const running = useSesame({ config: { clients: [TEST_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, SEPARATE_CONSENT_CLIENT] } });
const CALLBACK = /^http:\/\/127\.0\.0\.1:9\/callback\?/;

/** The items of the "what the app will receive" list on a page. */
const sharedItems = (html: string) => [...(/<ul class="scopes">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);

describe('consent asked on the sign-in page itself', () => {
  it('the code page says what the app will receive; the code then allows it, straight back to the app', async () => {
    const signIn = await requestSignInMail({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'consent-code@example.com');
    expect(signIn.checkPage.html).toContain('Signing in lets Test App:');
    expect(sharedItems(signIn.checkPage.html)).toEqual(['know that it is you (an identifier of your account that does not change)', 'see your email address', 'keep access while you are not using it']);

    const done = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(done.leftTo).toMatch(CALLBACK);
    const tokens = await running.rp.handleCallback(done.leftTo!, signIn.pending);
    // What was shown is what was granted: the email, and (prompt=consent) a refresh token.
    expect(tokens.claims()!.email).toBe('consent-code@example.com');
    expect(tokens.refresh_token).toBeDefined();
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid']);
  });

  it('so does the link opened in the same browser', async () => {
    const signIn = await requestSignInMail(running, 'consent-link@example.com');
    const confirm = await signIn.browser.navigate(signIn.mail.link!);
    expect(confirm.html).toContain('Continuing lets Test App:');
    expect(sharedItems(confirm.html)).toContain('see your email address');
    const done = await signIn.browser.navigate(new URL(/action="([^"]*\/link)"/.exec(confirm.html)![1]!, signIn.mail.link!).href, { form: formFields(confirm.html, '/link') });
    expect(done.leftTo).toMatch(CALLBACK);
    expect((await running.rp.handleCallback(done.leftTo!, signIn.pending)).claims()!.email).toBe('consent-link@example.com');
  });

  it('"Cancel" on the code page sends the app access_denied, and its code no longer works', async () => {
    const signIn = await requestSignInMail(running, 'consent-cancel@example.com');
    const cancelled = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/abort`, { form: formFields(signIn.checkPage.html, '/abort') });
    expect(new URL(cancelled.leftTo!).searchParams.get('error')).toBe('access_denied');
    // The code of the cancelled sign-in no longer works either.
    const late = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(late.leftTo).toBeUndefined();
    expect(late.status).toBeGreaterThanOrEqual(400);
  });

  it('with a second factor, the app follows the authenticator code, with no consent page', async () => {
    const { secret } = await accountWithTotp(running.sesame, 'consent-mfa@example.com');
    const signIn = await requestSignInMail(running, 'consent-mfa@example.com');
    const prompt = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(prompt.url).toMatch(/\/totp$/);
    const done = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/totp`, { form: { ...formFields(prompt.html, '/totp'), code: totpCode(secret) } });
    expect(done.leftTo).toMatch(CALLBACK);
    expect((await running.rp.handleCallback(done.leftTo!, signIn.pending)).claims()!.amr).toEqual(['email', 'otp', 'mfa']);
  });

  it('approved on another device, the waiting tab has not shown the list with a button: the consent page asks', async () => {
    const { browser: laptop, uid, pending, mail, checkPage } = await requestSignInMail(running, 'consent-elsewhere@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const phone = new HttpBrowser('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1');
    const confirm = await phone.navigate(mail.link!);
    // The other device is not where the app's sign-in runs: no list of what the app gets there.
    expect(sharedItems(confirm.html)).toEqual([]);
    await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    const check = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    const consent = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/continue`, { form: formFields(check.html, '/continue') });
    expect(consent.html).toContain('/consent"');
    const consentUid = /\/interaction\/([^/]+)\/consent"/.exec(consent.html)![1]!;
    const done = await laptop.navigate(`${running.sesame.url}/interaction/${consentUid}/consent`, { form: { ...formFields(consent.html, '/consent'), decision: 'allow' } });
    expect(done.leftTo).toMatch(CALLBACK);
    expect((await running.rp.handleCallback(done.leftTo!, pending)).claims()!.email).toBe('consent-elsewhere@example.com');
  });

  it('asking for more later shows the consent page with only what is new; refusing it sends access_denied', async () => {
    const { browser, page, uid } = await reachConsentPage(running, 'consent-more@example.com');
    expect(sharedItems(page.html)).toEqual(['know that it is you (an identifier of your account that does not change)', 'see your email address']);
    const refused = await browser.navigate(`${running.sesame.url}/interaction/${uid}/consent`, { form: { ...formFields(page.html, '/consent'), decision: 'deny' } });
    expect(new URL(refused.leftTo!).searchParams.get('error')).toBe('access_denied');
    // Allowed this time, and the grant covers it from then on: the next request goes straight through.
    const again = await running.rp.startAuthorization({ scope: 'openid email' });
    const consent = await browser.navigate(again.url);
    const consentUid = /\/interaction\/([^/]+)\/consent"/.exec(consent.html)![1]!;
    const allowed = await browser.navigate(`${running.sesame.url}/interaction/${consentUid}/consent`, { form: { ...formFields(consent.html, '/consent'), decision: 'allow' } });
    expect(allowed.leftTo).toMatch(CALLBACK);
    expect((await browser.navigate((await running.rp.startAuthorization({ scope: 'openid email' })).url)).leftTo).toMatch(CALLBACK);
    // `profile` releases the account's name: asking for it too brings the consent page back, with only that.
    const withProfile = await running.rp.startAuthorization({ scope: 'openid email profile' });
    const profileConsent = await browser.navigate(withProfile.url);
    expect(sharedItems(profileConsent.html)).toEqual(['know that it is you (an identifier of your account that does not change)', 'see your name, if your account has one']);
  });

  it('a first-party app: no list on the code page, and no consent page', async () => {
    const spa = await startRelyingParty(running.sesame.url, FIRST_PARTY_CLIENT);
    const signIn = await requestSignInMail({ rp: spa, smtp: running.smtp }, 'consent-first-party@example.com');
    expect(sharedItems(signIn.checkPage.html)).toEqual([]);
    const done = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(done.leftTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/spa-callback\?code=/);
  });

  it('an app registered with consent_page: true gets no list beside the code, and the consent page after it', async () => {
    const rp = await startRelyingParty(running.sesame.url, SEPARATE_CONSENT_CLIENT);
    const signIn = await requestSignInMail({ rp, smtp: running.smtp }, 'consent-separate@example.com');
    expect(sharedItems(signIn.checkPage.html)).toEqual([]);
    expect(signIn.checkPage.html).not.toContain('Signing in lets');
    const consent = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(consent.leftTo).toBeUndefined();
    expect(sharedItems(consent.html)).toContain('see your email address');
    const consentUid = /\/interaction\/([^/]+)\/consent"/.exec(consent.html)![1]!;
    const done = await signIn.browser.navigate(`${running.sesame.url}/interaction/${consentUid}/consent`, { form: { ...formFields(consent.html, '/consent'), decision: 'allow' } });
    expect(done.leftTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/separate-callback\?code=/);
    expect((await rp.handleCallback(done.leftTo!, signIn.pending)).claims()!.email).toBe('consent-separate@example.com');
  });
});

// OpenID Connect Core §2: auth_time is when the person authenticated. A consent page of its own
// comes after the sign-in; the time spent on it (up to the sign-in's 30 minutes) is no sign-in.
// An auth_time moved on to the press of "Allow" would satisfy an app's max_age, and the account
// page's "recent sign-in", with a factor proven long before.
describe('auth_time after a consent page of its own', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function allowConsent(browser: HttpBrowser, consent: { html: string }) {
    const consentUid = /\/interaction\/([^/]+)\/consent"/.exec(consent.html)![1]!;
    return browser.navigate(`${running.sesame.url}/interaction/${consentUid}/consent`, { form: { ...formFields(consent.html, '/consent'), decision: 'allow' } });
  }

  it('is when the emailed code was typed, not when the consent page was answered', async () => {
    const rp = await startRelyingParty(running.sesame.url, SEPARATE_CONSENT_CLIENT);
    const signIn = await requestSignInMail({ rp, smtp: running.smtp }, 'auth-time-consent@example.com');
    const consent = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    const proven = nowSeconds();
    expect(sharedItems(consent.html)).toContain('see your email address');
    await pause(2200);
    const done = await allowConsent(signIn.browser, consent);
    expect(done.leftTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/separate-callback\?code=/);
    const claims = (await rp.handleCallback(done.leftTo!, signIn.pending)).claims()!;
    expect(claims.auth_time).toBeLessThanOrEqual(proven);
    expect(claims.acr).toBe('urn:sesame:acr:email');
  });

  it('is when the authenticator code was typed, not when the consent page was answered', async () => {
    const { secret } = await accountWithTotp(running.sesame, 'auth-time-consent-mfa@example.com');
    const rp = await startRelyingParty(running.sesame.url, SEPARATE_CONSENT_CLIENT);
    const signIn = await requestSignInMail({ rp, smtp: running.smtp }, 'auth-time-consent-mfa@example.com');
    const prompt = await signIn.browser.navigate(`${signIn.origin}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(prompt.url).toMatch(/\/totp$/);
    const consent = await submitTotp(signIn.browser, prompt, { code: totpCode(secret) });
    const proven = nowSeconds();
    expect(sharedItems(consent.html)).toContain('see your email address');
    await pause(2200);
    const done = await allowConsent(signIn.browser, consent);
    const claims = (await rp.handleCallback(done.leftTo!, signIn.pending)).claims()!;
    expect(claims.auth_time).toBeLessThanOrEqual(proven);
    expect(claims.acr).toBe('urn:sesame:acr:mfa');
    expect(claims.amr).toEqual(['email', 'otp', 'mfa']);
  });
});
