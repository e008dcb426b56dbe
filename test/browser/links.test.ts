import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { useSesame } from '../helpers/use-sesame.ts';

let browser: Browser;
const running = useSesame({ config: { devTools: true }, client: false });
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** The stylesheet's accent colour as getComputedStyle writes colours (`rgb(11, 95, 255)`). */
const accent = (page: Page) => page.evaluate(() => {
  const probe = document.createElement('span');
  probe.style.color = getComputedStyle(document.documentElement).getPropertyValue('--accent');
  document.body.append(probe);
  const colour = getComputedStyle(probe).color;
  probe.remove();
  return colour;
});

describe('headless Chromium: links look like links, light and dark', () => {
  it('are in the accent colour, whose contrast is tested, not the browser\'s own blue and purple; a button that looks like a link wraps from the left on a phone', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme });
      const page = await context.newPage();
      await page.goto(`${running.sesame.url}/demo`);
      const outbox = page.getByRole('link', { name: 'dev outbox' });
      expect([colorScheme, await outbox.evaluate((link) => getComputedStyle(link).color)]).toEqual([colorScheme, await accent(page)]);

      await page.getByRole('link', { name: /Sign in with/ }).click();
      const cancel = page.getByRole('button', { name: 'Cancel and go back to Sesame demo app' });
      // Two lines at this width: centred, the second line floated mid-page like a button's label.
      expect([colorScheme, await cancel.evaluate((button) => button.getClientRects()[0]!.height > 30)]).toEqual([colorScheme, true]);
      expect([colorScheme, await cancel.evaluate((button) => getComputedStyle(button).textAlign)]).toEqual([colorScheme, 'left']);
      await context.close();
    }
  });
});
