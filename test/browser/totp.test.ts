import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { totpCode } from '../helpers/second-factor.ts';
import { useSesame } from '../helpers/use-sesame.ts';

let browser: Browser;
const running = useSesame({ config: { devTools: true }, client: false });
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Collects script errors and CSP violations, which Chromium reports on the console. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  return errors;
}

async function signInWithEmail(page: Page, email: string) {
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const mail = await running.smtp.waitForMail(email);
  await page.getByLabel('Code from the email').fill(mail.code!);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('headless Chromium: an authenticator app, end to end', () => {
  it('enrols on /account by reading the key off the page, then signs in to an app with a code', async () => {
    const setup = await browser.newContext();
    const page = await setup.newPage();
    const errors = watchErrors(page);
    await page.goto(`${running.sesame.url}/account`);
    await signInWithEmail(page, 'chromium-totp@example.com');
    await expect(page.getByRole('heading', { name: 'Your account' }).isVisible()).resolves.toBe(true);

    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    await expect(page.getByRole('img', { name: /QR code/ }).isVisible()).resolves.toBe(true);
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await expect(page.getByRole('heading', { name: 'Your authenticator app is set up' }).isVisible()).resolves.toBe(true);
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Back to your account' }).click();
    await expect(page.getByText('Recovery codes left:').isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await setup.close();

    // Another browser, an app: the email, then the authenticator code, then the app.
    const later = await browser.newContext();
    const app = await later.newPage();
    const appErrors = watchErrors(app);
    await app.goto(`${running.sesame.url}/demo/start`);
    await signInWithEmail(app, 'chromium-totp@example.com');
    await expect(app.getByRole('heading', { name: 'One more step' }).isVisible()).resolves.toBe(true);
    await app.getByLabel('6-digit code').fill(totpCode(secret, 1));
    // Consent was given with the emailed code (the notice beside its button): no consent page follows.
    await app.getByRole('button', { name: 'Continue' }).click();
    await app.waitForURL(/\/demo\/callback/);
    const claims = JSON.parse((await app.locator('#claims').textContent())!);
    expect(claims).toMatchObject({ email: 'chromium-totp@example.com', acr: 'urn:sesame:acr:mfa', amr: ['email', 'otp', 'mfa'] });
    expect(appErrors).toEqual([]);
    await later.close();
  });
});
