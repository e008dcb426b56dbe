import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { DEVICE_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

let browser: Browser;
const running = useSesame({ config: { clients: [DEVICE_CLIENT] }, client: false });
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A device's codes, as the device gets them (RFC 8628 device authorization request). */
async function startDevice(): Promise<{ user_code: string; device_code: string }> {
  const response = await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }) });
  return (await response.json()) as { user_code: string; device_code: string };
}

/** A device's user code. */
async function deviceUserCode(): Promise<string> {
  return (await startDevice()).user_code;
}

/** The email the device's tokens name (one poll of the token endpoint, after the device is connected). */
async function emailOfDevice(deviceCode: string): Promise<unknown> {
  const response = await fetch(`${running.sesame.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: DEVICE_CLIENT.client_id }) });
  const { id_token: idToken } = (await response.json()) as { id_token: string };
  return (JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) as { email?: unknown }).email;
}

/** Enters the device's code at /device and presses `button` on the confirmation; with an email, signs in with the mailed code. */
async function connectDevice(page: Page, userCode: string, button: string, email?: string) {
  await page.goto(`${running.sesame.url}/device`);
  await page.getByLabel('Code from your device').fill(userCode);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: button, exact: true }).click();
  if (email) {
    await expect(page.getByLabel('Email address').inputValue()).resolves.toBe('');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByLabel('Code from the email').fill((await running.smtp.waitForMail(email)).code!);
    await page.getByLabel('Code from the email').press('Enter');
  }
  await page.getByRole('heading', { name: 'Your device is connected' }).waitFor();
}

/** The accessible description Chromium computes for the one element of `role` named `name` (what a screen reader reads after its name). */
async function accessibleDescriptionOf(page: Page, role: string, name: string): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; description?: { value: string } }[] };
    const matching = nodes.filter((node) => !node.ignored && node.role?.value === role && node.name?.value === name);
    expect(matching).toHaveLength(1);
    return (matching[0]!.description?.value ?? '').replace(/\s+/g, ' ');
  } finally {
    await cdp.detach();
  }
}

/** Script errors and CSP refusals, which Chromium reports on the console. */
function watchScriptErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  return errors;
}

/** The colours a person sees a box in: its background and its text. */
function coloursOf(page: Page, selector: string) {
  return page.locator(selector).first().evaluate((element) => {
    const style = getComputedStyle(element);
    return { background: style.backgroundColor, text: style.color };
  });
}

describe('headless Chromium: the device pages as a person sees them', () => {
  it.each(['light', 'dark'] as const)('the warning against codes sent by someone else does not look like an error (%s)', async (colorScheme) => {
    // The warning is a caution before a decision, not a failure: drawn in the red of "That code is
    // not right" it read as if something had already gone wrong, and the two could not be told apart.
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(`${running.sesame.url}/device?error=wrong-code`);
    const error = await coloursOf(page, '#form-error');
    await page.getByLabel('Code from your device').fill(await deviceUserCode());
    await page.getByRole('button', { name: 'Continue' }).click();
    const warning = page.getByText('Only continue if you started this yourself');
    await warning.waitFor();
    const warningColours = await coloursOf(page, 'p:has(> strong:text("Only continue if you started this yourself"))');
    expect(warningColours.background).not.toBe(error.background);
    expect(warningColours.text).not.toBe(error.text);
    await context.close();
  });

  it('the warnings against codes sent by someone else are no alerts (they are there when the page loads) and describe the button or field the decision is made with; a wrong code\'s error is an alert and describes the field', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A wrong code, the answer to the person's own form: an alert (announced at once), read with the field.
    await page.goto(`${running.sesame.url}/device`);
    await page.getByLabel('Code from your device').fill('bcdf ghjk');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That code is not right.').waitFor();
    expect(await page.getByRole('alert').allTextContents()).toEqual([expect.stringContaining('That code is not right.')]);
    expect(await accessibleDescriptionOf(page, 'textbox', 'Code from your device')).toMatch(/^That code is not right\. .*Eight letters, like BCDF-GHJK\.$/);

    // The confirmation: a warning that is part of the page, which "Allow" is described by.
    const userCode = await deviceUserCode();
    await page.getByLabel('Code from your device').fill(userCode);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: /^Connect Living Room TV/ }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await accessibleDescriptionOf(page, 'button', 'Allow')).toMatch(/^Warning: Only continue if you started this yourself, on a device that is in front of you now\. If someone sent you this code/);

    // The link of the sign-in that follows, opened in this browser: its Continue (focused on load) is described by the device's warning.
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    const email = 'chromium-warning@example.com';
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.goto((await running.smtp.waitForMail(email)).link!);
    await page.getByRole('button', { name: 'Continue' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Continue');
    expect(await accessibleDescriptionOf(page, 'button', 'Continue')).toMatch(/^Warning: This sign-in is for a device or command-line tool \(Living Room TV\)\./);
    await context.close();
  });

  it('a mistyped code comes back in the field, selected, so that the typo is fixed without typing it all again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scriptErrors = watchScriptErrors(page);
    const userCode = await deviceUserCode();
    // The last letter mistyped, in lower case with a space for the dash, as people type from a TV.
    const last = userCode.at(-1)!;
    const typo = `${userCode.slice(0, -1)}${last === 'B' ? 'C' : 'B'}`;
    await page.goto(`${running.sesame.url}/device`);
    const field = page.getByLabel('Code from your device');
    await field.fill(typo.toLowerCase().replace('-', ' '));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That code is not right.').waitFor();
    expect(await field.inputValue()).toBe(typo);
    expect(await field.evaluate((input: HTMLInputElement) => [document.activeElement === input, input.selectionStart, input.selectionEnd])).toEqual([true, 0, typo.length]);
    await field.press('End');
    await field.press('Backspace');
    await field.press(last);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: /^Connect Living Room TV/ }).waitFor();
    expect(scriptErrors).toEqual([]);
    await context.close();
  });

  it('"Allow with another account" in a browser signed in already: the other account signs in, the first one\'s session ends by the page\'s own form, and the device gets the other account', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scriptErrors = watchScriptErrors(page);
    const first = await startDevice();
    await connectDevice(page, first.user_code, 'Allow', 'chromium-first@example.com');
    expect(await emailOfDevice(first.device_code)).toBe('chromium-first@example.com');

    const second = await startDevice();
    await connectDevice(page, second.user_code, 'Allow with another account', 'chromium-second@example.com');
    expect(await emailOfDevice(second.device_code)).toBe('chromium-second@example.com');
    // This browser is now signed in as the second account.
    await page.goto(`${running.sesame.url}/device`);
    await page.getByLabel('Code from your device').fill(await deviceUserCode());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('You are signed in as chromium-second@example.com').waitFor();
    expect(scriptErrors).toEqual([]);
    await context.close();
  });
});

describe('headless Chromium: reload and Back on the device pages (Post/Redirect/Get)', () => {
  /** Every POST the page sends: a reload or Back that sent one resubmitted a form. */
  function watchPosts(page: Page): string[] {
    const posts: string[] = [];
    page.on('request', (request) => request.method() === 'POST' && posts.push(request.url()));
    return posts;
  }

  it('the confirmation has an address of its own: reloading it sends nothing again and shows it again; Back after Allow says the confirmation was answered', async () => {
    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const scriptErrors = watchScriptErrors(page);
    // Signed in already (a first device connected), so that Allow connects the next one at once.
    await connectDevice(page, await deviceUserCode(), 'Allow', 'chromium-reload@example.com');

    const second = await startDevice();
    await page.goto(`${running.sesame.url}/device`);
    await page.getByLabel('Code from your device').fill(second.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${running.sesame.url}/device?step=confirm`);
    await page.getByRole('heading', { name: /^Connect Living Room TV/ }).waitFor();
    const posts = watchPosts(page);

    await page.reload();
    expect(page.url()).toBe(`${running.sesame.url}/device?step=confirm`);
    await page.getByRole('heading', { name: /^Connect Living Room TV/ }).waitFor();
    expect(await page.locator('.user-code').textContent()).toBe(second.user_code);
    await page.getByText('You are signed in as chromium-reload@example.com').waitFor();
    expect(posts).toEqual([]);

    // Its form still works after the reload (a fresh xsrf), once.
    await page.getByRole('button', { name: 'Allow', exact: true }).click();
    await page.getByRole('heading', { name: 'Your device is connected' }).waitFor();
    expect(await emailOfDevice(second.device_code)).toBe('chromium-reload@example.com');
    expect(posts).toHaveLength(1);

    // Back: the confirmation's address, which now says it was answered, rather than a form to send again.
    await page.goBack();
    expect(page.url()).toBe(`${running.sesame.url}/device?error=confirmation-answered`);
    expect(await page.getByRole('alert').textContent()).toContain('That confirmation was already answered, or it has expired.');
    await page.reload();
    expect(await page.getByRole('alert').textContent()).toContain('That confirmation was already answered, or it has expired.');
    expect(posts).toHaveLength(1);
    expect(scriptErrors).toEqual([]);
    await context.close();
  });
});
