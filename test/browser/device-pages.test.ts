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

/** A device's user code, as the device gets it (RFC 8628 device authorization request). */
async function deviceUserCode(): Promise<string> {
  const response = await fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid email' }) });
  return ((await response.json()) as { user_code: string }).user_code;
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
});
