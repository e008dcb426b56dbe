import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { totpCode } from '../helpers/second-factor.ts';
import { DEVICE_CLIENT, SERVER_APP_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Every page a person meets, checked by axe-core (the engine behind Lighthouse's and most
// browsers' accessibility audits) against WCAG 2.1 A and AA in real Chromium: sign-in pages are
// used by everyone who uses the apps, and the European Accessibility Act holds such services to it.

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// An app that asks for consent on a page of its own, so that the consent page is reached too.
const CONSENTING_APP = { ...SERVER_APP_CLIENT, client_name: 'Team Wiki', consent_page: true };

let browser: Browser;
const running = useSesame({ config: { devTools: true, clients: [CONSENTING_APP, DEVICE_CLIENT] }, client: CONSENTING_APP });
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG 2.1 A/AA violations on the page as it is now, one line each. */
async function violationsOn(page: Page): Promise<string[]> {
  // The pages' CSP admits no script but their own: the context bypasses it for axe alone. Once per
  // page: its second scheme (half a megabyte of script to run again) finds it there.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations;
  });
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Checks the page in both colour schemes (the stylesheet has a dark one) and records what axe finds, by page. */
async function audit(page: Page, name: string, found: Record<string, string[]>) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await violationsOn(page);
    if (violations.length > 0) found[`${name} (${colorScheme})`] = violations;
  }
}

const newContext = (): Promise<BrowserContext> => browser.newContext({ bypassCSP: true });

/** A device's user code, as the device gets it (RFC 8628 device authorization request). */
async function deviceUserCode(): Promise<string> {
  const response = await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }) });
  return ((await response.json()) as { user_code: string }).user_code;
}

describe('headless Chromium: every page passes axe-core\'s WCAG 2.1 AA checks', () => {
  it('the sign-in, the second step, the consent page, the account pages, the device pages, sign-out and the error page', async () => {
    const found: Record<string, string[]> = {};
    const email = 'a11y@example.com';

    // A first sign-in, at the account page: email form, "check your email", the account page.
    const first = await newContext();
    const page = await first.newPage();
    await page.goto(`${running.sesame.url}/account`);
    await audit(page, 'email form', found);
    await page.getByLabel('Email address').fill('not an address');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await audit(page, 'email form with an error', found);
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await audit(page, 'check your email', found);
    const mail = await running.smtp.waitForMail(email);
    await page.getByLabel('Code from the email').fill('000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await audit(page, 'check your email, wrong code', found);
    await page.getByLabel('Code from the email').fill(mail.code!);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await audit(page, 'account page', found);

    // A device connected from this signed-in browser: the code form (and a wrong code), the
    // confirmation, the device connected; then one that is not allowed.
    for (const allow of [true, false]) {
      const userCode = await deviceUserCode();
      await page.goto(`${running.sesame.url}/device`);
      if (allow) {
        await audit(page, 'device code form', found);
        await page.getByLabel('Code from your device').fill('bcdf ghjk');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByText('That code is not right.').waitFor();
        await audit(page, 'device code form with an error', found);
      }
      await page.getByLabel('Code from your device').fill(userCode.toLowerCase());
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: /^Connect Living Room TV/ }).waitFor();
      if (allow) await audit(page, 'device confirmation', found);
      await page.getByRole('button', { name: allow ? 'Allow' : 'Don’t allow', exact: true }).click();
      await page.getByRole('heading', { name: allow ? 'Your device is connected' : 'The device was not connected' }).waitFor();
      await audit(page, allow ? 'device connected' : 'device not connected', found);
    }
    await page.goto(`${running.sesame.url}/account`);

    // The authenticator: set-up, the recovery codes shown once, the account page with them.
    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    await audit(page, 'authenticator set-up', found);
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');
    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.getByRole('heading', { name: 'Your authenticator app is set up' }).waitFor();
    await audit(page, 'recovery codes', found);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Back to your account' }).click();
    await page.getByText('Recovery codes left:').waitFor();
    await audit(page, 'account page with an authenticator', found);
    for (const [path, name] of [
      ['/account/email', 'change of address'],
      ['/account/name', 'name'],
      ['/account/delete', 'account deletion'],
      ['/account/totp/remove', 'authenticator removal'],
      ['/account/recovery-codes', 'new recovery codes'],
    ] as const) {
      await page.goto(`${running.sesame.url}${path}`);
      await audit(page, name, found);
    }

    // Another browser, an app that asks for consent: the second step, the consent page.
    const second = await newContext();
    const app = await second.newPage();
    const pending = await running.rp.startAuthorization();
    await app.goto(pending.url);
    await app.getByLabel('Email address').fill(email);
    await app.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const appMail = await running.smtp.waitForMail(email, { match: (m) => m.code !== undefined && m.code !== mail.code });
    await app.getByLabel('Code from the email').fill(appMail.code!);
    await app.getByRole('button', { name: 'Sign in', exact: true }).click();
    await app.getByLabel('6-digit code').waitFor();
    await audit(app, 'authenticator code', found);
    await app.getByLabel('6-digit code').fill(totpCode(secret, 1));
    await app.getByRole('button', { name: 'Continue' }).click();
    await app.getByRole('button', { name: /Allow/ }).waitFor();
    await audit(app, 'consent', found);

    // The link opened on a third device: its confirmation asks for the number the first tab shows.
    const third = await newContext();
    const elsewhere = await third.newPage();
    const linkPending = await running.rp.startAuthorization();
    const tab = await (await newContext()).newPage();
    await tab.goto(linkPending.url);
    await tab.getByLabel('Email address').fill(email);
    await tab.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const linkMail = await running.smtp.waitForMail(email, { match: (m) => m.link !== undefined && m.code !== mail.code && m.code !== appMail.code });
    await elsewhere.goto(linkMail.link!);
    await elsewhere.getByRole('button').first().waitFor();
    await audit(elsewhere, 'link opened on another device', found);

    // Signing out of Sesame from the account page: the choice, then the signed-out page.
    await page.goto(`${running.sesame.url}/account`);
    await page.getByRole('button', { name: 'Sign out', exact: true }).last().click();
    await page.getByRole('button', { name: /Sign out of Sesame/ }).waitFor();
    await audit(page, 'sign-out', found);
    await page.getByRole('button', { name: /Sign out of Sesame/ }).click();
    await page.waitForURL(/\/session\/end\/success|signed-out|logged-out/);
    await audit(page, 'signed out', found);

    // An app's mistake: the error page.
    await page.goto(`${running.sesame.url}/auth?client_id=nobody&response_type=code&scope=openid`);
    await page.getByText('Error code').waitFor();
    await audit(page, 'error page', found);

    // The check itself can fail: a field without a label, added to this page, is reported.
    await page.evaluate(() => document.querySelector('main')!.insertAdjacentHTML('beforeend', '<input type="text" name="unlabelled">'));
    expect((await violationsOn(page)).join('\n')).toMatch(/^label \(critical\): Form elements must have labels/m);

    await Promise.all([first.close(), second.close(), third.close(), tab.context().close()]);
    expect(found).toEqual({});
    // Some thirty pages, each audited twice (light and dark): a minute or two, past the suite's 30 s.
  }, 180_000);

  it('the sign-in in German: its pages, a form error, the link on a French browser, consent, the device pages and the error page', async () => {
    const found: Record<string, string[]> = {};
    const email = 'barrierefrei@example.com';
    // Chromium's locale sets its Accept-Language; the sign-in asks for German with ui_locales.
    const german = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
    const page = await german.newPage();
    const pending = await running.rp.startAuthorization({ ui_locales: 'de' });
    await page.goto(pending.url);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await audit(page, 'email form', found);
    await page.getByLabel('E-Mail-Adresse').fill('keine Adresse');
    await page.getByRole('button', { name: 'Anmeldelink per E-Mail senden' }).click();
    await page.getByRole('alert').waitFor();
    await audit(page, 'email form with an error', found);
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByRole('button', { name: 'Anmeldelink per E-Mail senden' }).click();
    await page.getByRole('heading', { name: 'Prüfen Sie Ihre E-Mails' }).waitFor();
    await audit(page, 'check your email', found);
    const mail = await running.smtp.waitForMail(email);
    await page.getByLabel('Code aus der E-Mail').fill(mail.code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByText('Dieser Code ist nicht richtig.').waitFor();
    await audit(page, 'check your email, wrong code', found);

    // The link, opened on a browser that speaks French: the page speaks the sign-in's German.
    const french = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const elsewhere = await french.newPage();
    await elsewhere.goto(mail.link!);
    await elsewhere.getByRole('heading', { name: 'Anmeldung auf einem anderen Gerät bestätigen' }).waitFor();
    await audit(elsewhere, 'link opened on another device', found);

    await page.getByLabel('Code aus der E-Mail').fill(mail.code!);
    await page.getByRole('button', { name: 'Anmelden', exact: true }).click();
    await page.getByRole('button', { name: 'Erlauben', exact: true }).waitFor();
    await audit(page, 'consent', found);

    const userCode = await deviceUserCode();
    await page.goto(`${running.sesame.url}/device`);
    await audit(page, 'device code form', found);
    await page.getByLabel('Code von Ihrem Gerät').fill(userCode);
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.getByRole('heading', { name: /^Living Room TV auf Ihrem Gerät verbinden/ }).waitFor();
    await audit(page, 'device confirmation', found);

    await page.goto(`${running.sesame.url}/interaction/no-such-sign-in`);
    await page.getByText('Fehlercode').waitFor();
    await audit(page, 'error page', found);

    await Promise.all([german.close(), french.close()]);
    expect(found).toEqual({});
  }, 120_000);
});
