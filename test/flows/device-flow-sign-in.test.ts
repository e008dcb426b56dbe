import { describe, expect, it } from '@jest/globals';
import { deviceSignIn } from '../helpers/device-sign-in.ts';
import { decodeEntities, formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { accountWithTotp, submitTotp, wrongTotpCode } from '../helpers/second-factor.ts';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { oidcRecordKey, signInCodeKey, signInIssueKey } from '../../src/store/keys.ts';
import { DEVICE_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The sign-in that "Allow" at /device starts, when the browser is not signed in yet: the email,
// its link and code, the authenticator. Its pages and its mail say it is a device's sign-in.

// A device app whose sign-ins need the authenticator: a person without one sets it up on the way.
const STRICT_DEVICE_CLIENT: ClientRegistration = { ...DEVICE_CLIENT, client_id: 'office-tv', client_name: 'Office TV', mfa: 'required' };

const { rateLimits } = testConfig({ issuer: 'http://unused' });
const running = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT, STRICT_DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 1000, windowSeconds: 900 } } }, client: DEVICE_CLIENT });
const { enterUserCode, decide, requestDeviceSignInMail, signInByEmailCode, startDeviceAs } = deviceSignIn(running);

const DEVICE_NOTICE = 'This sign-in is for a device or command-line tool (Living Room TV). Only approve it if you typed a code shown on your own device just now.';
const CANCEL_DEVICE = 'Cancel and don’t connect the device';

/** The email form of a device's sign-in: a device started, its code entered and allowed in `browser`. */
async function deviceEmailForm(browser: HttpBrowser, clientId = DEVICE_CLIENT.client_id) {
  const device = await startDeviceAs(clientId);
  return decide(browser, await enterUserCode(browser, device.user_code), 'confirm');
}

describe('the sign-in a device\'s Allow starts', () => {
  it('says in its mail, and on the link\'s page on another device, that it is for a device (remote phishing, RFC 8628 §5.4)', async () => {
    // Someone allows their own device at /device, and gives the victim's address to the sign-in.
    const attacker = new HttpBrowser();
    const { uid, checkPage, mail } = await requestDeviceSignInMail(attacker, await deviceEmailForm(attacker), 'tv-victim@example.com');
    // Already the subject, all a notification shows, says it is a device's.
    expect(mail.subject).toBe('Connect Living Room TV on your device');
    expect(mail.text.replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);
    expect(decodeEntities(mail.html).replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);

    // The victim opens the link: the page that asks for the number says it too.
    const phone = new HttpBrowser();
    const confirm = await phone.navigate(mail.link!);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Confirm a sign-in on another device');
    expect(decodeEntities(confirm.html).replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);

    // Approved there (the number the waiting tab shows), the page says what was approved: a device's access.
    const shownNumber = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const approved = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: shownNumber } });
    expect(approved.url).toMatch(/\/link\/approved$/);
    expect(approved.html).toContain('<h1>Device sign-in approved</h1>');
    const text = decodeEntities(approved.html.replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ');
    expect(text).toContain('Go back to the browser where you entered the device’s code: it continues as tv-victim@example.com by itself, and then Living Room TV on your device is connected to your account.');
  });

  it('offers to cancel without connecting the device, not to go back to an app: the email form, the check page, the link\'s page and the authenticator', async () => {
    const email = 'tv-cancel@example.com';
    await accountWithTotp(running.sesame, email);
    const browser = new HttpBrowser();
    const emailForm = await deviceEmailForm(browser);
    const { uid, checkPage, mail } = await requestDeviceSignInMail(browser, emailForm, email);
    const linkPage = await browser.navigate(mail.link!);
    expect(decodeEntities(linkPage.html).replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);
    const totpPage = await browser.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: formFields(linkPage.html, '/link') });
    expect(totpPage.url).toMatch(/\/totp$/);
    for (const page of [emailForm, checkPage, linkPage, totpPage]) {
      const text = decodeEntities(page.html);
      expect([page.url, text]).toEqual([page.url, expect.stringContaining(CANCEL_DEVICE)]);
      expect(text).not.toContain('Cancel and go back to');
    }
  });

  it('offers the device wording on the authenticator set-up page too', async () => {
    const browser = new HttpBrowser();
    const enrolPage = await signInByEmailCode(browser, await deviceEmailForm(browser, STRICT_DEVICE_CLIENT.client_id), 'tv-enrol@example.com');
    expect(enrolPage.url).toMatch(/\/totp\/enroll$/);
    const text = decodeEntities(enrolPage.html);
    expect(text).toContain(CANCEL_DEVICE);
    expect(text).not.toContain('Cancel and go back to');
  });
});

describe('a device\'s sign-in that cannot go on', () => {
  it('too many wrong authenticator codes: start again on the device for a new code, not at an app', async () => {
    const email = 'tv-wrong-totp@example.com';
    const { secret } = await accountWithTotp(running.sesame, email);
    const browser = new HttpBrowser();
    const totpPage = await signInByEmailCode(browser, await deviceEmailForm(browser), email);
    expect(totpPage.url).toMatch(/\/totp$/);
    let last: { url: string; html: string } = totpPage;
    for (let i = 0; i < 5; i++) last = await submitTotp(browser, totpPage, { code: wrongTotpCode(secret) });
    expect(decodeEntities(last.html)).toContain('That was the last try for now: in a while, start again on your device to get a new code.');
    const spent = await submitTotp(browser, totpPage, { code: wrongTotpCode(secret) });
    expect(spent.url).toMatch(/\/totp\?error=spent$/);
    for (const page of [last, spent]) expect(decodeEntities(page.html)).not.toMatch(/go back to/i);
    expect(decodeEntities(spent.html)).toContain('Too many wrong codes for this sign-in. Start again on your device to get a new code.');
  });

  it('an account removed during the sign-in: "this sign-in has ended", start again on the device, and on to /device, not to an app', async () => {
    const email = 'tv-removed@example.com';
    await accountWithTotp(running.sesame, email);
    const browser = new HttpBrowser();
    const totpPage = await signInByEmailCode(browser, await deviceEmailForm(browser), email);
    expect(totpPage.url).toMatch(/\/totp$/);
    await running.sesame.accounts.remove(email);
    const ended = await browser.navigate(totpPage.url);
    expect(ended.status).toBe(400);
    const text = decodeEntities(ended.html);
    expect(text).toContain('This sign-in has ended');
    expect(text).toContain('This sign-in has expired or was already completed. Start again on your device to get a new code.');
    expect(text).not.toMatch(/go back to the app/i);
    expect(ended.html).toContain('<a class="button secondary" href="/device">Enter a new code</a>');
  });

  it('an interaction that expired (its record and its cookie gone, as after its lifetime): start again on the device, not "go back to the app"', async () => {
    const browser = new HttpBrowser();
    const emailForm = await deviceEmailForm(browser);
    const uid = emailForm.url.split('/').pop()!;
    await expireInteraction(browser, uid);
    // The email form sent after the interaction's lifetime, and the sign-in page opened again.
    const sent = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email: 'tv-expired@example.com' } });
    const reopened = await browser.navigate(emailForm.url);
    for (const ended of [sent, reopened]) {
      expect([ended.url, ended.status]).toEqual([ended.url, 400]);
      const text = decodeEntities(ended.html);
      expect(text).toContain('This sign-in has expired or was already completed. Start again on your device to get a new code.');
      expect(text).not.toMatch(/go back to the app/i);
      expect(ended.html).toContain('<a class="button secondary" href="/device">Enter a new code</a>');
    }
  });

  it('its link opened in another browser after the sign-in expired (every record gone, no mark there): start again on the device, told by the link itself', async () => {
    const browser = new HttpBrowser();
    const { uid, mail } = await requestDeviceSignInMail(browser, await deviceEmailForm(browser), 'tv-late-link@example.com');
    // The phone had the confirmation page open before the end; then the sign-in's lifetime ran out.
    const phone = new HttpBrowser();
    const confirm = await phone.navigate(mail.link!);
    expect(confirm.status).toBe(200);
    await expireInteraction(browser, uid);
    await running.sesame.store.delete(signInCodeKey(uid), signInIssueKey(uid));
    const opened = await new HttpBrowser().navigate(mail.link!);
    const confirmed = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: '42' } });
    for (const ended of [opened, confirmed]) {
      expect(ended.status).toBe(400);
      const text = decodeEntities(ended.html);
      expect(text).toContain('This sign-in link has expired or was already used. Start again on your device to get a new code.');
      expect(text).not.toMatch(/from the app/i);
      expect(ended.html).toContain('<a class="button secondary" href="/device">Enter a new code</a>');
    }
  });

  it('an app\'s link opened elsewhere after its sign-in expired still says to ask the app; a link that is no link cannot tell, and says both', async () => {
    // Sesame's own account page signs in as an app's sign-in does.
    const browser = new HttpBrowser();
    const emailForm = await browser.navigate(`${running.sesame.url}/account`);
    const uid = emailForm.url.split('/').pop()!;
    await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email: 'app-late-link@example.com' } });
    const mail = await running.smtp.waitForMail('app-late-link@example.com');
    await running.sesame.store.delete(oidcRecordKey('Interaction', uid), signInCodeKey(uid), signInIssueKey(uid));
    const opened = await new HttpBrowser().navigate(mail.link!);
    expect(opened.status).toBe(400);
    expect(decodeEntities(opened.html)).toContain('This sign-in link has expired or was already used. Links work once and for a few minutes: request a new one from the app.');
    expect(opened.html).not.toContain('href="/device"');
    const truncated = await new HttpBrowser().navigate(mail.link!.slice(0, -5));
    expect(truncated.status).toBe(400);
    expect(decodeEntities(truncated.html)).toContain('This sign-in link is not valid. Request a new one from the app or device you were signing in to.');
  });

  it('an app\'s expired sign-in still says to go back to the app, even with a device sign-in\'s mark copied onto its address', async () => {
    const device = new HttpBrowser();
    const deviceUid = (await deviceEmailForm(device)).url.split('/').pop()!;
    const browser = new HttpBrowser();
    const emailForm = await browser.navigate(`${running.sesame.url}/account`);
    const uid = emailForm.url.split('/').pop()!;
    // Whatever marks a device's sign-in in the device's browser, planted on this sign-in's pages.
    for (const name of device.cookieNames().filter((cookie) => !cookie.startsWith('_'))) browser.plantCookie(name, device.cookieValue(name)!, `/interaction/${uid}`);
    expect(deviceUid).not.toBe(uid);
    await expireInteraction(browser, uid);
    const ended = await browser.navigate(emailForm.url);
    expect(ended.status).toBe(400);
    const text = decodeEntities(ended.html);
    expect(text).toContain('This sign-in has expired or was already completed. Go back to the app and start again.');
    expect(text).not.toContain('Start again on your device');
  });
});

/** What the interaction's lifetime running out does: the store forgets it, and the browser its cookie (the same Max-Age). */
async function expireInteraction(browser: HttpBrowser, uid: string) {
  await running.sesame.store.delete(oidcRecordKey('Interaction', uid));
  browser.expireCookie('_interaction');
}
