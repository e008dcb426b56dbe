import { describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { deviceSignIn } from '../helpers/device-sign-in.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { accountWithTotp, submitTotp, totpCode, wrongTotpCode } from '../helpers/second-factor.ts';
import { finishAtApp, reachConsentPage, requestSignInMail } from '../helpers/sign-in.ts';
import { DEVICE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// A sign-in speaks one language from /auth until back at the app: the app's ui_locales (OpenID
// Connect Core §3.1.2.1), else the browser's Accept-Language, else English. It is chosen once, as
// the sign-in starts, and its mail and the link's page on another device speak it too.

// An app that requires the authenticator: a person without one sets it up during the sign-in.
const STRICT_CLIENT: ClientRegistration = { ...TEST_CLIENT, client_id: 'strict-app', client_name: 'Strict App', redirect_uris: ['http://127.0.0.1:9/strict'], mfa: 'required', remember_device: false };
const running = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT, STRICT_CLIENT] } });

const browserSpeaking = (acceptLanguage: string) => new HttpBrowser(undefined, { 'accept-language': acceptLanguage });
const langOf = (html: string) => /<html lang="([^"]*)">/.exec(html)?.[1];
const textOf = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('a sign-in with ui_locales=de', () => {
  it('shows German pages end to end, sends a German mail, says a wrong code in German, and gets the app its tokens', async () => {
    const email = 'deutsch@example.com';
    const pending = await running.rp.startAuthorization({ ui_locales: 'de' });
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate(pending.url);
    expect(langOf(emailPage.html)).toBe('de');
    expect(emailPage.html).toContain('<h1>Bei Test App anmelden</h1>');
    expect(emailPage.html).toContain('Anmeldelink per E-Mail senden');
    expect(emailPage.html).toContain('Abbrechen und zurück zu Test App');
    expect(emailPage.html).toContain('Anmeldung ohne Passwort mit');
    const uid = emailPage.url.split('/').pop()!;

    const checkPage = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email } });
    expect(langOf(checkPage.html)).toBe('de');
    expect(checkPage.html).toContain('<h1>Prüfen Sie Ihre E-Mails</h1>');
    expect(textOf(checkPage.html)).toMatch(/Wenn sich deutsch@example\.com bei Test App anmelden kann, .* in den nächsten \d+ Minuten \(bis \d\d:\d\d Uhr UTC\)\./);
    // The waiting script's words come with the page.
    expect(checkPage.html).toContain('data-text-approved="Bestätigt. Sie werden angemeldet …"');

    const mail = await running.smtp.waitForMail(email);
    expect(mail.subject).toBe('Bei Test App anmelden');
    expect(mail.text).toContain('Oder geben Sie diesen Code auf der Anmeldeseite ein:');
    expect(mail.text).toMatch(/Link und Code funktionieren einmal, \d+ Minuten lang \(bis \d{4}-\d\d-\d\d \d\d:\d\d UTC\)\./);
    expect(mail.html).toContain('<html lang="de">');
    expect(mail.html).toContain('Sie haben das nicht angefordert?');
    for (const part of [mail.text, mail.html]) expect(part).not.toContain('Sign in to');

    const wrong = mail.code === '000000' ? '111111' : '000000';
    const afterWrong = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: wrong } });
    expect(afterWrong.html).toMatch(/role="alert" id="form-error">Dieser Code ist nicht richtig\. Noch \d Versuch(e)?\.</);
    expect(langOf(afterWrong.html)).toBe('de');

    const done = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(afterWrong.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, done), pending);
    expect(tokens.claims()!.email).toBe(email);
  });

  it('the link opened in a browser that speaks French still speaks German, as does the page after approving', async () => {
    const { uid, checkPage, mail, browser: laptop } = await requestSignInMail({ ...running, authorizationParams: { ui_locales: 'de' } }, 'zwei-geraete@example.com');
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const phone = browserSpeaking('fr-FR,fr;q=0.9');
    const confirm = await phone.navigate(mail.link!);
    expect(langOf(confirm.html)).toBe('de');
    expect(confirm.html).toContain('<h1>Anmeldung auf einem anderen Gerät bestätigen</h1>');
    expect(confirm.html).toMatch(/Jemand möchte sich von <strong>Chrome unter Linux<\/strong> aus bei <strong>Test App<\/strong> als <strong>zwei-geraete@example\.com<\/strong> anmelden\./);

    // A wrong-number form error first: the error page speaks the sign-in's language too.
    const notANumber = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: 'x' } });
    expect(notANumber.status).toBe(400);
    expect(langOf(notANumber.html)).toBe('de');
    expect(notANumber.html).toContain('<h1>Geben Sie die Zahl ein</h1>');
    expect(notANumber.html).toContain('Zurück zur Bestätigung');

    const approved = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(approved.status).toBe(200);
    expect(langOf(approved.html)).toBe('de');
    expect(approved.html).toContain('<h1>Anmeldung freigegeben</h1>');
    expect(approved.html).toContain('zwei-geraete@example.com');

    // The waiting tab, without its script: the page that says the other device confirmed.
    const waiting = await laptop.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    expect(langOf(waiting.html)).toBe('de');
    expect(waiting.html).toContain('<h1>Auf Ihrem anderen Gerät bestätigt</h1>');
    expect(waiting.html).toContain('Weiter zu Test App.');
  });
});

describe('without ui_locales', () => {
  it('Accept-Language: fr gives French pages and a French mail', async () => {
    const browser = browserSpeaking('fr-CH, fr;q=0.9, en;q=0.8');
    const { checkPage, mail } = await requestSignInMail({ ...running, browser }, 'francais@example.com');
    expect(langOf(checkPage.html)).toBe('fr');
    expect(checkPage.html).toContain('<h1>Consultez vos e-mails</h1>');
    expect(checkPage.html).toContain('Envoyer un nouveau lien et un nouveau code');
    expect(mail.subject).toBe('Connexion à Test App');
    expect(mail.text).toContain('Ouvrez ce lien pour vous connecter :');
    expect(mail.html).toContain('<html lang="fr">');
  });

  it('an unsupported language gives the English pages and mail, word for word as before', async () => {
    const browser = browserSpeaking('ja-JP, ja;q=0.9, zh;q=0.5');
    const { checkPage, mail } = await requestSignInMail({ ...running, browser, authorizationParams: { ui_locales: 'ja' } }, 'english@example.com');
    expect(langOf(checkPage.html)).toBe('en');
    expect(checkPage.html).toContain('<h1>Check your email</h1>');
    expect(checkPage.html).toMatch(/If <strong>english@example\.com<\/strong> can sign in to Test App, a message with a sign-in link and a code is on its way\. They work once, for the next \d+ minutes \(until <time datetime="[^"]+" data-local-time>\d\d:\d\d UTC<\/time>\)\./);
    expect(mail.subject).toBe('Sign in to Test App');
    expect(mail.text).toContain("Didn't ask for this? Ignore this email; nobody can sign in without it.");
  });
});

it('ui_locales wins over Accept-Language, and the language chosen at the start stays, whatever the browser says later', async () => {
  const browser = browserSpeaking('fr');
  const { checkPage, mail } = await requestSignInMail({ ...running, browser, authorizationParams: { ui_locales: 'de-AT fr' } }, 'vorrang@example.com');
  expect(langOf(checkPage.html)).toBe('de');
  expect(mail.subject).toBe('Bei Test App anmelden');
});

it('the consent page speaks the browser\'s language', async () => {
  const { page } = await reachConsentPage({ ...running, browser: browserSpeaking('de-DE') }, 'zustimmung@example.com');
  expect(langOf(page.html)).toBe('de');
  expect(page.html).toContain('<h1>Test App möchte wissen, wer Sie sind</h1>');
  expect(page.html).toContain('Ihre E-Mail-Adresse sehen');
  expect(page.html).toContain('>Nicht erlauben</button>');
});

it('an ended sign-in\'s error page speaks the browser\'s language', async () => {
  const page = await browserSpeaking('fr').navigate(`${running.sesame.url}/interaction/no-such-sign-in`);
  expect(page.status).toBe(400);
  expect(langOf(page.html)).toBe('fr');
  expect(page.html).toContain('<h1>Cette connexion est terminée</h1>');
  expect(page.html).toContain('Code d’erreur <code>sign_in_expired</code>');
});

it('discovery lists the languages ui_locales can choose', async () => {
  const discovery = (await (await fetch(`${running.sesame.url}/.well-known/openid-configuration`)).json()) as { ui_locales_supported?: string[] };
  expect(discovery.ui_locales_supported).toEqual(['en', 'de', 'fr']);
});

it('the authenticator prompt and its form error speak the sign-in\'s language', async () => {
  const email = 'zweiter-schritt@example.com';
  const { secret } = await accountWithTotp(running.sesame, email);
  const { uid, browser, checkPage, mail } = await requestSignInMail({ ...running, authorizationParams: { ui_locales: 'de' } }, email);
  const prompt = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  expect(prompt.url).toMatch(/\/totp$/);
  expect(langOf(prompt.html)).toBe('de');
  expect(prompt.html).toContain('<h1>Noch ein Schritt</h1>');
  expect(prompt.html).toContain('Kein Zugriff auf Ihre Authenticator-App?');
  const again = await submitTotp(browser, prompt, { code: wrongTotpCode(secret) });
  expect(again.html).toMatch(/role="alert" id="form-error">Dieser Code ist nicht richtig\. Noch \d+ Versuch(e)?\.</);
});

it('the device pages speak the browser\'s language, and so do the sign-in they start and its mail', async () => {
  const device = deviceSignIn(running);
  const started = (await (await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }) })).json()) as { user_code: string };
  const browser = browserSpeaking('fr-FR');
  const wrong = await device.enterUserCode(browser, 'BBBBBBBB');
  expect(langOf(wrong.html)).toBe('fr');
  expect(wrong.html).toContain('<h1>Connecter un appareil</h1>');
  expect(wrong.html).toContain('Ce code n’est pas correct.');
  const confirmation = await device.enterUserCode(browser, started.user_code);
  expect(confirmation.html).toContain('<h1>Connecter Living Room TV sur votre appareil ?</h1>');
  expect(confirmation.html).toContain('Ne continuez que si vous avez lancé cette demande vous-même');
  const emailForm = await device.decide(browser, confirmation, 'confirm');
  expect(langOf(emailForm.html)).toBe('fr');
  expect(emailForm.html).toContain('Annuler et ne pas connecter l’appareil');
  const { mail } = await device.requestDeviceSignInMail(browser, emailForm, 'appareil@example.com');
  expect(mail.subject).toBe('Connecter Living Room TV sur votre appareil');
  expect(mail.text).toContain('Cette connexion concerne un appareil ou un outil en ligne de commande (Living Room TV).');
});

it('a device\'s own ui_locales does not switch the sign-in it starts away from the browser\'s language its device pages spoke', async () => {
  const device = deviceSignIn(running);
  const started = (await (await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email', ui_locales: 'de' }) })).json()) as { user_code: string };
  const browser = browserSpeaking('fr-FR');
  const confirmation = await device.enterUserCode(browser, started.user_code);
  expect(langOf(confirmation.html)).toBe('fr');
  const emailForm = await device.decide(browser, confirmation, 'confirm');
  expect(langOf(emailForm.html)).toBe('fr');
  const { mail } = await device.requestDeviceSignInMail(browser, emailForm, 'appareil-allemand@example.com');
  expect(mail.subject).toBe('Connecter Living Room TV sur votre appareil');
});

it('an app\'s broken request: the error page speaks the language the request asked for', async () => {
  const pending = await running.rp.startAuthorization({ ui_locales: 'fr', redirect_uri: 'https://elsewhere.example/callback' });
  const page = await browserSpeaking('de').navigate(pending.url);
  expect(page.status).toBe(400);
  expect(langOf(page.html)).toBe('fr');
  expect(page.html).toContain('<h1>Cette demande de connexion ne peut pas aboutir</h1>');
});

it('setting up the authenticator during a sign-in, its form error and the recovery codes speak the sign-in\'s language', async () => {
  const email = 'einrichten@example.com';
  const strict = await startRelyingParty(running.sesame.url, STRICT_CLIENT);
  const { uid, browser, checkPage, mail } = await requestSignInMail({ rp: strict, smtp: running.smtp, authorizationParams: { ui_locales: 'fr' } }, email);
  const page = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  expect(page.url).toMatch(/\/totp\/enroll$/);
  expect(langOf(page.html)).toBe('fr');
  expect(page.html).toContain('<h1>Configurer une application d’authentification</h1>');
  expect(page.html).toContain('Strict App demande une deuxième étape lors de la connexion');
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.html)![1]!.replace(/ /g, '');
  const { csrf } = formFields(page.html, '/totp/enroll');
  const wrong = await browser.navigate(page.url, { form: { csrf: csrf!, code: wrongTotpCode(secret) } });
  expect(wrong.html).toContain('Ce code ne correspond pas.');
  const codesPage = await browser.navigate(page.url, { form: { csrf: csrf!, code: totpCode(secret) } });
  expect(langOf(codesPage.html)).toBe('fr');
  expect(codesPage.html).toContain('<h1>Votre application d’authentification est configurée</h1>');
  expect(codesPage.html).toContain('data-text-copied="10 codes copiés. Collez-les dans votre gestionnaire de mots de passe."');
  expect(codesPage.html).toContain('Continuer vers Strict App');
  const reloaded = await browser.navigate(codesPage.url);
  expect(reloaded.html).toContain('<h1>Vos codes de récupération ne sont plus affichés</h1>');
});
