import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { accountWithTotp, secondFactorOf, totpCode } from '../helpers/second-factor.ts';
import { useSesame } from '../helpers/use-sesame.ts';

let browser: Browser;
// The demo app (development tools) is an app to sign in to first, so that "Apps with access" has a row.
const running = useSesame({ client: false, config: { devTools: true } });
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Mobile Safari/537.36';

/** `#a40e26` or `#fff` → `rgb(164, 14, 38)`, as getComputedStyle writes colours. */
function rgb(hex: string): string {
  const short = hex.trim();
  const full = short.length === 4 ? `#${[...short.slice(1)].map((c) => c + c).join('')}` : short;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}

const cssVariable = (page: Page, name: string) => page.evaluate((variable) => getComputedStyle(document.documentElement).getPropertyValue(variable), name);

describe('headless Chromium: the account page on a phone and on a desktop, light and dark', () => {
  it('has no sideways scrolling and no date broken over two lines, and removing the authenticator looks destructive, not like the way forward', async () => {
    const email = 'layout@example.com';
    const { account, secret } = await accountWithTotp(running.sesame, email);
    const devices = secondFactorOf(running.sesame).devices;
    await devices.remember(account.id, devices.newDeviceId(), 'Firefox on Windows', (await running.sesame.accounts.findById(account.id))!.totp!.enrolledAt);

    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, userAgent: ANDROID_CHROME });
    const page = await context.newPage();
    await page.goto(`${running.sesame.url}/demo`);
    await page.getByRole('link', { name: /Sign in with/ }).click();
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const mail = await running.smtp.waitForMail(email);
    await page.getByLabel('Code from the email').fill(mail.code!);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Remembered: the table then also lists this browser, "(this browser)" making its first column the widest.
    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await page.getByLabel(/Don’t ask again on this browser/).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/demo/);
    await page.goto(`${running.sesame.url}/account`);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('button', { name: /Remove access of Sesame demo app/ }).waitFor();

    for (const viewport of [{ width: 360, height: 740 }, { width: 1280, height: 900 }]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        const where = `${viewport.width} px, ${colorScheme}`;
        await page.setViewportSize(viewport);
        await page.emulateMedia({ colorScheme });
        await page.goto(`${running.sesame.url}/account`);
        expect([where, await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)]).toEqual([where, true]);
        // An inline element broken over lines has one client rect per line.
        const dates = await page.locator('main time').evaluateAll((times) => times.map((time) => [time.textContent, time.getClientRects().length]));
        // Set up on; since and until of each of the two remembered browsers; when this browser signed in; since when the demo app has access.
        expect([where, dates.length]).toEqual([where, 7]);
        for (const [date, lines] of dates) expect([where, date, lines]).toEqual([where, date, 1]);

        const danger = rgb(await cssVariable(page, '--danger'));
        const remove = page.getByRole('link', { name: 'Remove authenticator app' });
        const renew = page.getByRole('link', { name: 'Get new recovery codes' });
        expect([where, await remove.evaluate((link) => getComputedStyle(link).color)]).toEqual([where, danger]);
        expect([where, await renew.evaluate((link) => getComputedStyle(link).color)]).not.toEqual([where, danger]);

        // Fresh from the authenticator code: the confirmation comes at once, its one button red.
        await remove.click();
        const confirm = page.getByRole('button', { name: 'Remove authenticator app' });
        expect([where, await confirm.evaluate((button) => getComputedStyle(button).backgroundColor)]).toEqual([where, danger]);
        expect([where, await confirm.evaluate((button) => getComputedStyle(button).color)]).toEqual([where, rgb(await cssVariable(page, '--danger-ink'))]);
        expect([where, await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)]).toEqual([where, true]);
      }
    }
    await context.close();
  });
});
