import { describe, expect, it } from '@jest/globals';
import { deviceSignIn } from '../helpers/device-sign-in.ts';
import { decodeEntities, formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { accountWithTotp } from '../helpers/second-factor.ts';
import { DEVICE_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The sign-in that "Allow" at /device starts, when the browser is not signed in yet: the email,
// its link and code, the authenticator. Its pages and its mail say it is a device's sign-in.

const { rateLimits } = testConfig({ issuer: 'http://unused' });
const running = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 1000, windowSeconds: 900 } } }, client: DEVICE_CLIENT });
const { enterUserCode, decide, requestDeviceSignInMail, startDeviceAs } = deviceSignIn(running);

const DEVICE_NOTICE = 'This sign-in is for a device or command-line tool (Living Room TV). Only approve it if you typed a code shown on your own device just now.';
const CANCEL_DEVICE = 'Cancel and don’t connect the device';

/** The email form of a device's sign-in: a device started, its code entered and allowed in `browser`. */
async function deviceEmailForm(browser: HttpBrowser) {
  const device = await startDeviceAs(DEVICE_CLIENT.client_id);
  return decide(browser, await enterUserCode(browser, device.user_code), 'confirm');
}

describe('the sign-in a device\'s Allow starts', () => {
  it('says in its mail, and on the link\'s page on another device, that it is for a device (remote phishing, RFC 8628 §5.4)', async () => {
    // Someone allows their own device at /device, and gives the victim's address to the sign-in.
    const attacker = new HttpBrowser();
    const { mail } = await requestDeviceSignInMail(attacker, await deviceEmailForm(attacker), 'tv-victim@example.com');
    expect(mail.text.replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);
    expect(decodeEntities(mail.html).replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);

    // The victim opens the link: the page that asks for the number says it too.
    const confirm = await new HttpBrowser().navigate(mail.link!);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Confirm a sign-in on another device');
    expect(decodeEntities(confirm.html).replace(/\s+/g, ' ')).toContain(DEVICE_NOTICE);
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
});
