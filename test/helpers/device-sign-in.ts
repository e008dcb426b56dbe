import { expect } from '@jest/globals';
import { formFields, type HttpBrowser, type Page } from './http-browser.ts';
import type { SesameUnderTest } from './use-sesame.ts';
import { DEVICE_CLIENT } from './test-config.ts';
import { DEVICE_DECISION_ACTION } from '../../src/device-flow/device-pages.ts';
import { ANOTHER_ACCOUNT } from '../../src/oidc/device-another-account.ts';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * A person at /device in a browser (HttpBrowser), and a device talking to the device endpoints
 * with plain fetch, against the Sesame of `running` (read at each call: useSesame fills it in
 * beforeAll).
 */
export function deviceSignIn(running: Pick<SesameUnderTest, 'sesame' | 'smtp'>) {
  const url = () => running.sesame.url;

  /** Opens /device and submits `typed`: the confirmation page, or wherever the form's answer leads. */
  async function enterUserCode(browser: HttpBrowser, typed: string): Promise<Page> {
    const form = await browser.navigate(`${url()}/device`);
    expect(form.status).toBe(200);
    return browser.navigate(`${url()}/device`, { form: { ...formFields(form.html, '/device'), user_code: typed } });
  }

  /** Presses Allow, Allow with another account, or Don't allow on the confirmation page; follows redirects. */
  function decide(browser: HttpBrowser, confirmation: Page, decision: 'confirm' | 'abort' | 'another-account'): Promise<Page> {
    const button = decision === 'another-account' ? { confirm: ANOTHER_ACCOUNT } : { [decision]: 'yes' };
    return browser.navigate(`${url()}${DEVICE_DECISION_ACTION}`, { form: { ...formFields(confirmation.html, DEVICE_DECISION_ACTION), ...button } });
  }

  /** Submits the email form the sign-in started at: the "check your email" page, its uid and the mail. */
  async function requestDeviceSignInMail(browser: HttpBrowser, emailForm: Page, email: string) {
    expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
    const uid = emailForm.url.split('/').pop()!;
    const checkPage = await browser.navigate(`${url()}/interaction/${uid}/email`, { form: { ...formFields(emailForm.html, '/email'), email } });
    const mail = await running.smtp.waitForMail(email, { match: (m) => m.link?.includes(`/interaction/${uid}/`) ?? false });
    return { uid, checkPage, mail };
  }

  /**
   * The email form the sign-in started at: sends the code by mail and types it in; returns where
   * that led, and the page the code was typed on (`checkPage`).
   */
  async function signInByEmailCode(browser: HttpBrowser, emailForm: Page, email: string): Promise<Page & { checkPage: Page }> {
    const { uid, checkPage, mail } = await requestDeviceSignInMail(browser, emailForm, email);
    const next = await browser.navigate(`${url()}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    return { ...next, checkPage };
  }

  /** A device asks for a user code (`/device/auth`), as a public client does: the JSON answer. */
  async function startDeviceAs(clientId: string, scope = 'openid email offline_access') {
    const response = await fetch(`${url()}/device/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId, scope }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { device_code: string; user_code: string };
  }

  /** One poll of the token endpoint, as a device sends it: the JSON answer and its status. */
  async function pollOnce(deviceCode: string, clientId = DEVICE_CLIENT.client_id) {
    const response = await fetch(`${url()}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }),
    });
    return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
  }

  return { enterUserCode, decide, requestDeviceSignInMail, signInByEmailCode, startDeviceAs, pollOnce };
}
