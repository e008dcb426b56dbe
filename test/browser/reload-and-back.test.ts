import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { accountWithTotp, totpCode, wrongTotpCode } from '../helpers/second-factor.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Post/Redirect/Get: every form's answer is a page with an address of its own, so that reload and
// Back show that page again instead of sending the form again.

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

async function requestCode(page: Page, email: string) {
  await page.getByLabel('Email address').fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  return (await running.smtp.waitForMail(email)).code!;
}

async function enterCode(page: Page, code: string) {
  await page.getByLabel('Code from the email').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const alertText = (page: Page) => page.getByRole('alert').textContent();
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id);

describe('reload and Back after a form, in headless Chromium', () => {
  it('a wrong sign-in code: the page that says so has its own address, and reloading it spends no try', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${running.sesame.url}/demo/start`);
    const code = await requestCode(page, 'reload-code@example.com');
    await enterCode(page, code === '000000' ? '111111' : '000000');

    await page.waitForURL(/\/interaction\/[^/?]+\/check\?error=wrong-code&left=4$/);
    expect(await alertText(page)).toBe('That code is not right. 4 tries left.');
    expect(await focusedId(page)).toBe('code');
    await page.reload();
    expect(await alertText(page)).toBe('That code is not right. 4 tries left.');
    expect(await focusedId(page)).toBe('code');
    // The reload was not a try: the next wrong code leaves three.
    await enterCode(page, code === '000000' ? '222222' : '000000');
    await page.waitForURL(/left=3$/);
    expect(await alertText(page)).toBe('That code is not right. 3 tries left.');

    await enterCode(page, code);
    await page.waitForURL(/\/demo\/callback/);
    expect(await page.locator('#signed-in-email').textContent()).toBe('reload-code@example.com');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a wrong authenticator code: the same, on the authenticator prompt', async () => {
    const { secret } = await accountWithTotp(running.sesame, 'reload-totp@example.com');
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${running.sesame.url}/demo/start`);
    await enterCode(page, await requestCode(page, 'reload-totp@example.com'));
    await page.getByRole('heading', { name: 'One more step' }).waitFor();

    await page.getByLabel('6-digit code').fill(wrongTotpCode(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/interaction\/[^/?]+\/totp\?error=wrong&left=4$/);
    expect(await alertText(page)).toBe('That code is not right. 4 tries left.');
    expect(await focusedId(page)).toBe('code');
    await page.reload();
    expect(await alertText(page)).toBe('That code is not right. 4 tries left.');
    await page.getByLabel('6-digit code').fill(wrongTotpCode(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/left=3$/);
    expect(await alertText(page)).toBe('That code is not right. 3 tries left.');

    // A wrong recovery code puts the error, and the focus, on its own field.
    await page.getByLabel('Recovery code').fill('zzzzz-zzzzz');
    await page.getByRole('button', { name: 'Use recovery code' }).click();
    await page.waitForURL(/\/totp\?error=wrong&field=recovery-code&left=2$/);
    expect(await alertText(page)).toBe('That recovery code is not right, or it was already used. 2 tries left.');
    expect(await focusedId(page)).toBe('recovery-code');

    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/demo\/callback/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('setting up an authenticator on /account: a wrong code, the recovery codes once (copy, download, "I have saved"), and Back', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: running.sesame.url });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${running.sesame.url}/account`);
    await enterCode(page, await requestCode(page, 'reload-enrol@example.com'));
    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');

    await page.getByLabel('6-digit code').fill(wrongTotpCode(secret));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.waitForURL(`${running.sesame.url}/account/totp/enroll?error=wrong`);
    expect(await alertText(page)).toContain('That code does not match');
    expect(await focusedId(page)).toBe('code');
    await page.reload();
    expect(await alertText(page)).toContain('That code does not match');
    // Still the key that was scanned.
    expect((await page.locator('#totp-secret').textContent())!.replace(/\s/g, '')).toBe(secret);

    await page.getByLabel('6-digit code').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Confirm and turn on' }).click();
    await page.waitForURL(`${running.sesame.url}/account/recovery-codes/new`);
    await page.getByRole('heading', { name: 'Your authenticator app is set up' }).waitFor();
    const codes = await page.locator('#recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);

    await page.getByRole('button', { name: 'Copy the codes' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied the 10 codes' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${codes.join('\n')}\n`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download as a text file' }).click()]);
    expect(download.suggestedFilename()).toBe('sesame-recovery-codes.txt');
    const saved = await readFile((await download.path())!, 'utf8');
    expect(saved).toContain('Sesame recovery codes for reload-enrol@example.com');
    for (const code of codes) expect(saved).toContain(`\n${code}\n`);

    // Going on needs the box ticked: the browser refuses the form without it.
    await page.getByRole('button', { name: 'Back to your account' }).click();
    expect(page.url()).toBe(`${running.sesame.url}/account/recovery-codes/new`);
    expect(await page.locator('#saved').evaluate((box: HTMLInputElement) => box.validity.valueMissing)).toBe(true);
    await page.getByLabel('I have saved these codes somewhere safe').check();
    await page.getByRole('button', { name: 'Back to your account' }).click();
    await page.waitForURL(`${running.sesame.url}/account`);

    // Back: the codes page, which no longer shows them and says why, rather than a resent form.
    await page.goBack();
    expect(page.url()).toBe(`${running.sesame.url}/account/recovery-codes/new`);
    await page.getByRole('heading', { name: 'Your recovery codes are not shown again' }).waitFor({ timeout: 5000 });
    expect(await page.locator('#recovery-codes').count()).toBe(0);
    for (const code of codes) expect(await page.content()).not.toContain(code);
    await page.reload();
    await page.getByRole('heading', { name: 'Your recovery codes are not shown again' }).waitFor({ timeout: 5000 });
    expect(errors).toEqual([]);
    await context.close();
  });
});
