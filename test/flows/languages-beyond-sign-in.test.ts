import { describe, expect, it } from '@jest/globals';
import { buildEndSessionUrl } from 'openid-client';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { totpCode } from '../helpers/second-factor.ts';
import { requestSignInMail, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Beyond the sign-in: the account page and its pages speak the browser's language (its choice with
// the footer's switch, else Accept-Language); mail no page precedes speaks the language remembered
// on the account; the switch outranks Accept-Language, but not an app's ui_locales.

const running = useSesame();

const browserSpeaking = (acceptLanguage: string) => new HttpBrowser(undefined, { 'accept-language': acceptLanguage });
const langOf = (html: string) => /<html lang="([^"]*)">/.exec(html)?.[1];
const alertOf = (html: string) => /role="alert" id="form-error">([^<]*)</.exec(html)?.[1];
/** The footer's switch to `locale`: its link's address. */
const switchLinkTo = (html: string, locale: string) => [...html.matchAll(/<a href="([^"]+)" hreflang="([^"]+)"/g)].find((m) => m[2] === locale)?.[1]?.replaceAll('&amp;', '&');

/** Signs in to /account in `browser` with the emailed code; returns the account page. */
async function accountPageIn(browser: HttpBrowser, email: string) {
  const { page } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email, browser);
  expect(page.url).toBe(`${running.sesame.url}/account`);
  return page;
}

describe('the account page', () => {
  it('speaks German to a browser that asks for it: its sections, its notices and the sign-in that leads to it', async () => {
    const browser = browserSpeaking('de-DE,de;q=0.9,en;q=0.5');
    const emailForm = await browser.navigate(`${running.sesame.url}/account`);
    // The account app's name in the sign-in's words too.
    expect(emailForm.html).toContain('<h1>Bei Sesame (Ihr Konto) anmelden</h1>');
    const page = await accountPageIn(browser, 'konto@example.com');
    expect(langOf(page.html)).toBe('de');
    expect(page.html).toContain('<h1>Ihr Konto</h1>');
    expect(page.html).toContain('Angemeldet als <strong id="account-email">konto@example.com</strong>.');
    expect(page.html).toContain('<h2 id="browsers-heading">Wo Sie angemeldet sind</h2>');
    // This browser, in the page's words: "Chrome unter Linux", signed in "mit E-Mail".
    expect(page.html).toMatch(/Chrome unter Linux <strong>\(dieser Browser\)<\/strong>/);
    expect(page.html).toMatch(/angemeldet <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d Uhr UTC<\/time> mit E-Mail/);
    expect(page.html).not.toContain('Your account');
    // The account page among this browser's apps, named in German too.
    expect(page.html).toContain('<td>Sesame (Ihr Konto)</td>');
    const noted = await browser.navigate(`${running.sesame.url}/account?done=name-removed`);
    expect(noted.html).toContain('<p class="notice" role="status">Ihr Name wurde entfernt: Apps, die danach fragen, erhalten ab jetzt keinen.</p>');
  });

  it('speaks French, and says its form problems in French: deletion, the address, the name page', async () => {
    const browser = browserSpeaking('fr-CH, fr;q=0.9');
    const page = await accountPageIn(browser, 'compte@example.com');
    expect(langOf(page.html)).toBe('fr');
    expect(page.html).toContain('<h1>Votre compte</h1>');

    const deletion = await browser.navigate(`${running.sesame.url}/account/delete`);
    expect(deletion.html).toContain('<h1>Supprimer votre compte ?</h1>');
    const mismatch = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(deletion.html, '/account/delete'), email: 'someone-else@example.com' } });
    expect(mismatch.status).toBe(400);
    expect(alertOf(mismatch.html)).toBe('Ce n’est pas l’adresse e-mail de ce compte. Saisissez-la exactement comme affichée pour supprimer le compte.');

    const addressForm = await browser.navigate(`${running.sesame.url}/account/email`);
    expect(addressForm.html).toContain('<h1>Changer votre adresse e-mail</h1>');
    const malformed = await browser.navigate(`${running.sesame.url}/account/email`, { form: { ...formFields(addressForm.html, '/account/email'), email: 'not an address' } });
    expect(alertOf(malformed.html)).toBe('Nous ne pouvons pas écrire à cette adresse. Saisissez-la sous la forme nom@example.com.');

    const namePage = await browser.navigate(`${running.sesame.url}/account/name`);
    expect(langOf(namePage.html)).toBe('fr');
    expect(namePage.html).toContain('<h1>Votre nom</h1>');
    expect(namePage.html).toContain('>Ajouter le nom</button>');
    const tooLong = await browser.navigate(`${running.sesame.url}/account/name`, { form: { ...formFields(namePage.html, '/account/name'), name: 'x'.repeat(300) } });
    expect(tooLong.status).toBe(400);
    expect(alertOf(tooLong.html)).toMatch(/^Ce nom est trop long : utilisez au plus \d+ caractères\.$/);
    const saved = await browser.navigate(`${running.sesame.url}/account/name`, { form: { ...formFields(tooLong.html, '/account/name'), name: 'Camille' } });
    expect(saved.html).toContain('Votre nom : <strong id="account-name">Camille</strong>.');
    expect(saved.html).toContain('Votre nom a été enregistré');
  });

  it('an authenticator set up on a German page is told of in a German notice, and the account remembers German', async () => {
    const browser = browserSpeaking('de');
    await accountPageIn(browser, 'hinweis@example.com');
    const enrol = await browser.navigate(`${running.sesame.url}/account/totp/enroll`);
    expect(enrol.html).toContain('<h1>Authenticator-App einrichten</h1>');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(enrol.html)![1]!.replace(/ /g, '');
    const codes = await browser.navigate(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secret) } });
    expect(codes.html).toContain('Zurück zu Ihrem Konto');
    const notice = await running.smtp.waitForMail('hinweis@example.com', { match: (mail) => mail.subject.startsWith('Sesame: Für Ihr Konto') });
    expect(notice.subject).toBe('Sesame: Für Ihr Konto wurde eine Authenticator-App eingerichtet');
    expect(notice.html).toContain('<html lang="de">');
    expect(notice.text).toContain('Von: Chrome unter Linux');
    expect(notice.text).toContain('Wenn Sie das waren, ist nichts zu tun.');
    expect((await running.sesame.accounts.findByEmail('hinweis@example.com'))?.locale).toBe('de');
  });

  it('the change-of-address code mail speaks the language of the page that asked', async () => {
    const browser = browserSpeaking('fr');
    await accountPageIn(browser, 'demenage@example.com');
    const form = await browser.navigate(`${running.sesame.url}/account/email`);
    const confirm = await browser.navigate(`${running.sesame.url}/account/email`, { form: { ...formFields(form.html, '/account/email'), email: 'nouvelle@example.com' } });
    expect(confirm.html).toContain('<h1>Consultez votre nouvelle boîte de réception</h1>');
    expect(confirm.html).toMatch(/Le code est valable \d+ minutes? \(jusqu’à \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
    const mail = await running.smtp.waitForMail('nouvelle@example.com', { match: (m) => m.subject.startsWith('Sesame: Confirmez') });
    expect(mail.subject).toBe('Sesame: Confirmez votre nouvelle adresse de connexion');
    expect(mail.text).toContain('Pour confirmer, saisissez ce code sur la page du compte :');
    expect(mail.html).toContain('<html lang="fr">');
  });
});

describe('the language of an account', () => {
  it('is the sign-in’s: written when it changes (German, then French), and English accounts carry none', async () => {
    await signInWithCode({ ...running, authorizationParams: { ui_locales: 'de' } }, 'wechsel@example.com');
    expect((await running.sesame.accounts.findByEmail('wechsel@example.com'))?.locale).toBe('de');
    await signInWithCode({ ...running, authorizationParams: { ui_locales: 'fr' } }, 'wechsel@example.com');
    expect((await running.sesame.accounts.findByEmail('wechsel@example.com'))?.locale).toBe('fr');
    await signInWithCode(running, 'english@example.com');
    expect((await running.sesame.accounts.findByEmail('english@example.com'))?.locale).toBeUndefined();
  });
});

describe('the language switch', () => {
  it('sets a lang cookie (SameSite=Lax, every path) and goes back to the page, which outranks Accept-Language from then on', async () => {
    const browser = browserSpeaking('fr');
    const page = await accountPageIn(browser, 'schalter@example.com');
    expect(langOf(page.html)).toBe('fr');
    const href = switchLinkTo(page.html, 'de');
    expect(href).toBe('/language/de?back=%2Faccount');
    expect(page.html).toMatch(/<nav class="languages" aria-label="Langue"><p><a href="[^"]+" hreflang="en" lang="en">English<\/a> · <a href="[^"]+" hreflang="de" lang="de">Deutsch<\/a> · <a href="[^"]+" hreflang="fr" lang="fr" aria-current="true">Français<\/a><\/p><\/nav>/);

    const switched = await browser.request(`${running.sesame.url}${href}`);
    expect(switched.status).toBe(303);
    expect(switched.headers.get('location')).toBe('/account');
    const cookie = switched.headers.getSetCookie().find((header) => header.startsWith('lang='))!;
    expect(cookie).toMatch(/^lang=de; path=\/; expires=[^;]+; samesite=lax; httponly$/i);
    // Kept long: a preference, not a session.
    expect(Date.parse(/expires=([^;]+)/.exec(cookie)![1]!) - Date.now()).toBeGreaterThan(300 * 24 * 3600 * 1000);

    const again = await browser.navigate(`${running.sesame.url}/account`);
    expect(langOf(again.html)).toBe('de');
    expect(again.html).toContain('<h1>Ihr Konto</h1>');
    // Every page: the error page of an address that does not exist too.
    const missing = await browser.navigate(`${running.sesame.url}/no-such-page`);
    expect([missing.status, langOf(missing.html)]).toEqual([404, 'de']);
  });

  it('switched during a sign-in, shows the same page again in that language, and the sign-in goes on in it (a resent mail)', async () => {
    const { uid, checkPage, browser } = await requestSignInMail(running, 'mittendrin@example.com');
    expect(langOf(checkPage.html)).toBe('en');
    const href = switchLinkTo(checkPage.html, 'de');
    expect(href).toBe(`/language/de?back=${encodeURIComponent(`/interaction/${uid}/check`)}`);
    const same = await browser.navigate(`${running.sesame.url}${href}`);
    expect(same.url).toBe(`${running.sesame.url}/interaction/${uid}/check`);
    expect(langOf(same.html)).toBe('de');
    expect(same.html).toContain('<h1>Prüfen Sie Ihre E-Mails</h1>');
    const resent = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: formFields(same.html, '/email') });
    expect(langOf(resent.html)).toBe('de');
    const mail = await running.smtp.waitForMail('mittendrin@example.com', { match: (m) => m.subject === 'Bei Test App anmelden' });
    expect(mail.text).toContain('Oder geben Sie diesen Code auf der Anmeldeseite ein:');
  });

  it('does not overrule the language an app asked for with ui_locales', async () => {
    const browser = browserSpeaking('en');
    browser.plantCookie('lang', 'de');
    const { checkPage } = await requestSignInMail({ ...running, browser, authorizationParams: { ui_locales: 'fr' } }, 'app-choisit@example.com');
    expect(langOf(checkPage.html)).toBe('fr');
    // Without ui_locales the choice wins over the browser's Accept-Language.
    const { checkPage: chosen } = await requestSignInMail({ ...running, browser }, 'choix@example.com');
    expect(langOf(chosen.html)).toBe('de');
  });

  it('goes back only to a page of Sesame’s own, never elsewhere, and ignores what is not a language', async () => {
    const browser = new HttpBrowser();
    for (const back of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/.//evil.example', '\\\\evil.example', 'evil.example', '/\r\nLocation: https://evil.example', `/${'a'.repeat(3000)}`]) {
      const response = await browser.request(`${running.sesame.url}/language/de?back=${encodeURIComponent(back)}`);
      expect([back, response.status, response.headers.get('location')]).toEqual([back, 303, '/account']);
    }
    // Escaped line breaks stay escaped in a path of Sesame's own: no header is split.
    const escaped = await browser.request(`${running.sesame.url}/language/de?back=${encodeURIComponent('/%0d%0aLocation:%20https://evil.example')}`);
    expect(escaped.headers.get('location')).toBe('/%0d%0aLocation:%20https://evil.example');
    const kept = await browser.request(`${running.sesame.url}/language/fr?back=${encodeURIComponent('/interaction/abc/check?x=1')}`);
    expect(kept.headers.get('location')).toBe('/interaction/abc/check?x=1');
    const unknown = await browser.request(`${running.sesame.url}/language/xx?back=%2Faccount`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.getSetCookie()).toEqual([]);
    // A form cannot use it: it takes GET alone, and sets nothing otherwise.
    const posted = await browser.request(`${running.sesame.url}/language/de`, { form: { back: '/account' } });
    expect(posted.status).toBeGreaterThanOrEqual(400);
    expect(posted.headers.getSetCookie()).toEqual([]);
    // A planted value that is no language is ignored: the page speaks Accept-Language.
    const planted = browserSpeaking('fr');
    planted.plantCookie('lang', '<script>');
    expect(langOf((await planted.navigate(`${running.sesame.url}/no-such-page`)).html)).toBe('fr');
  });

  it('keeps nothing of the page’s address but what the page needs: a link’s maker cannot put words into the switch', async () => {
    const page = await browserSpeaking('de').navigate(`${running.sesame.url}/account/sign-in-nowhere?next=https://evil.example&problem=<b>`);
    expect(page.status).toBe(404);
    expect(page.html).not.toContain('evil.example');
    expect(switchLinkTo(page.html, 'fr')).toBe(`/language/fr?back=${encodeURIComponent('/account/sign-in-nowhere')}`);
  });
});

describe('signing out', () => {
  it('asks and confirms in the browser’s language', async () => {
    const browser = browserSpeaking('de');
    const { tokens } = await signInWithCode({ ...running, browser }, 'abmelden@example.com');
    const logout = await browser.navigate(buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token! }).href);
    expect(langOf(logout.html)).toBe('de');
    expect(logout.html).toContain('<h1>Von Test App abmelden?</h1>');
    expect(logout.html).toContain('Nur von Test App abmelden');
    const done = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { ...formFields(logout.html, '/session/end/confirm'), logout: 'yes' } });
    expect(langOf(done.html)).toBe('de');
    expect(done.html).toContain('<h1>Sie sind abgemeldet</h1>');
  });
});
