import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The footer's language switch in real Chromium with script turned off: plain links that set the
// choice and show the same page again in it, named in their own languages and marked as such.

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser: Browser;
const running = useSesame();
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('headless Chromium without JavaScript: the language switch', () => {
  it('turns the email form German, then French, keeps the choice for the next page, and leaves the sign-in where it was', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, locale: 'en-US' });
    const page = await context.newPage();
    const pending = await running.rp.startAuthorization();
    await page.goto(pending.url);
    const signInPage = page.url();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to Test App');

    const languages = page.getByRole('navigation', { name: 'Language' });
    const german = languages.getByRole('link', { name: 'Deutsch' });
    expect([await german.getAttribute('lang'), await german.getAttribute('hreflang')]).toEqual(['de', 'de']);
    expect(await languages.getByRole('link', { name: 'English' }).getAttribute('aria-current')).toBe('true');
    await german.click();
    expect(page.url()).toBe(signInPage);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Bei Test App anmelden');
    expect(await page.getByRole('navigation', { name: 'Sprache' }).getByRole('link', { name: 'Deutsch' }).getAttribute('aria-current')).toBe('true');

    await page.getByRole('navigation', { name: 'Sprache' }).getByRole('link', { name: 'Français' }).click();
    expect(page.url()).toBe(signInPage);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Se connecter à Test App');
    const cookie = (await context.cookies()).find((c) => c.name === 'lang')!;
    expect([cookie.value, cookie.sameSite, cookie.httpOnly, cookie.path]).toEqual(['fr', 'Lax', true, '/']);

    // The choice holds for a page the browser's own language (en-US) would otherwise decide.
    await page.goto(`${running.sesame.url}/no-such-page`);
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await context.close();
  });

  it('passes axe (WCAG 2.1 A/AA) on a German page with the switch, light and dark', async () => {
    const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto((await running.rp.startAuthorization()).url);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await page.addScriptTag({ content: AXE_SOURCE });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      const violations = await page.evaluate(async () => {
        const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
        return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      expect([colorScheme, violations]).toEqual([colorScheme, []]);
    }
    await context.close();
  });
});
