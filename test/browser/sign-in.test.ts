import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
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

/**
 * Counts, in each page of `context`, the status asks its script makes (`made`) and those whose answer
 * it has not had yet (`onTheirWay`): read from the page, they are exact at the moment it is asked,
 * where request events reach the test some time after.
 */
async function countStatusAsks(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const asks = { made: 0, onTheirWay: 0 };
    (window as unknown as { statusAsks: typeof asks }).statusAsks = asks;
    const fetchOfPage = window.fetch.bind(window);
    window.fetch = (input, init) => {
      if (!String(input).endsWith('/status')) return fetchOfPage(input, init);
      asks.made++;
      asks.onTheirWay++;
      const answer = fetchOfPage(input, init);
      // Registered before the page's own handlers: by the next task, those have run too.
      answer.finally(() => asks.onTheirWay--).catch(() => {});
      return answer;
    };
  });
}

const statusAsks = (page: Page) => page.evaluate(() => (window as unknown as { statusAsks: { made: number; onTheirWay: number } }).statusAsks);

describe('headless Chromium through the real pages', () => {
  it('signs in through /demo with the emailed code and shows the ID token claims', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && scriptErrors.push(message.text()));

    await page.goto(`${running.sesame.url}/demo`);
    await page.getByRole('link', { name: /Sign in with/ }).click();
    await page.getByLabel('Email address').fill('chromium@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await expect(page.getByRole('heading', { name: 'Check your email' }).isVisible()).resolves.toBe(true);
    // How long the code works, and until when in the reader's own time zone (the server writes UTC).
    await expect(page.getByText(/for the next 10 minutes/).isVisible()).resolves.toBe(true);
    const until = page.locator('time[data-local-time]');
    const expected = await until.evaluate((element) => new Date(element.getAttribute('datetime')!).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
    expect(await until.textContent()).toBe(expected);

    const mail = await running.smtp.waitForMail('chromium@example.com');
    await page.getByLabel('Code from the email').fill(mail.code!);
    // Beside the button, what the app will receive: pressing it also allows that, so no consent page follows.
    await expect(page.getByText('Signing in lets Sesame demo app:').isVisible()).resolves.toBe(true);
    await expect(page.getByText('see your email address').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.waitForURL(/\/demo\/callback/);
    expect(await page.locator('#signed-in-email').textContent()).toBe('chromium@example.com');
    const claims = JSON.parse((await page.locator('#claims').textContent())!);
    expect(claims).toMatchObject({ email: 'chromium@example.com', email_verified: true, iss: running.sesame.url, aud: 'sesame-demo', amr: ['email'] });
    expect(scriptErrors).toEqual([]);
    await context.close();
  });

  it('a status poll still on its way when the code is sent ends quietly, not as a failed request', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await page.goto(`${running.sesame.url}/demo/start`);
    await page.getByLabel('Email address').fill('poll-race@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    // The page's first poll is held, and so is the code's POST once sent: the poll then gets the
    // answer it would get once the code has ended the sign-in, while the page is still there.
    let heldPoll!: (route: Route) => void;
    const pollHeld = new Promise<Route>((resolve) => (heldPoll = resolve));
    await page.route('**/interaction/*/status', (route) => heldPoll(route));
    let releaseCode!: () => void;
    const codeReleased = new Promise<void>((resolve) => (releaseCode = resolve));
    await page.route('**/interaction/*/code', async (route) => {
      await codeReleased;
      await route.continue();
    });
    const poll = await pollHeld;
    const mail = await running.smtp.waitForMail('poll-race@example.com');
    await page.getByLabel('Code from the email').fill(mail.code!);
    // Not awaited: the click's navigation waits for the held POST.
    const clicked = page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForRequest('**/interaction/*/code');
    await poll.fulfill({ status: 400, contentType: 'application/json', body: '{"error":"invalid_request"}' }).catch(() => {});
    // Time for a failed answer to reach the console, were it taken.
    await page.waitForTimeout(200);
    releaseCode();
    await clicked;
    await page.waitForURL(/\/demo\/callback/);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('the waiting tab continues by itself when the link is confirmed on another device', async () => {
    const laptop = await browser.newContext();
    const phone = await browser.newContext({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1' });
    const tab = await laptop.newPage();
    await tab.goto(`${running.sesame.url}/demo/start`);
    await tab.getByLabel('Email address').fill('two-devices@example.com');
    await tab.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const matchNumber = (await tab.locator('#match-number').textContent())!.trim();

    const mail = await running.smtp.waitForMail('two-devices@example.com');
    const phonePage = await phone.newPage();
    await phonePage.goto(mail.link!);
    await phonePage.getByLabel('The number the sign-in page on your other device shows').fill(matchNumber);
    await phonePage.getByRole('button', { name: 'Approve this sign-in' }).click();
    await expect(phonePage.getByRole('heading', { name: 'Sign-in approved' }).isVisible()).resolves.toBe(true);

    // No click in the laptop tab: its script notices the approval and continues to consent.
    await tab.getByRole('button', { name: 'Allow', exact: true }).click({ timeout: 15_000 });
    await tab.waitForURL(/\/demo\/callback/);
    expect(await tab.locator('#signed-in-email').textContent()).toBe('two-devices@example.com');
    expect((await phone.cookies()).map((c) => c.name)).not.toContain('_session');
    await laptop.close();
    await phone.close();
  });

  it('the waiting tab stops asking, and says so, once the sign-in was finished in another tab of the same browser', async () => {
    // The link opened from the mail app in this browser: its tab finishes the sign-in, and the
    // first tab's status is no longer there to ask about (a 400 each time, every 2 seconds, forever).
    const context = await browser.newContext();
    // The pages' timers are the test's: they run in real time until the test moves time on.
    await context.clock.install();
    await countStatusAsks(context);
    const waiting = await context.newPage();
    await waiting.goto(`${running.sesame.url}/demo/start`);
    await waiting.getByLabel('Email address').fill('other-tab@example.com');
    await waiting.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await waiting.getByRole('heading', { name: 'Check your email' }).waitFor();

    const linkTab = await context.newPage();
    await linkTab.goto((await running.smtp.waitForMail('other-tab@example.com')).link!);
    await linkTab.getByRole('button', { name: 'Continue' }).click();
    await linkTab.waitForURL(/\/demo\/callback/);

    const status = waiting.getByRole('status').filter({ hasText: 'no longer waiting' });
    await status.waitFor({ timeout: 10_000 });
    expect(await status.textContent()).toBe('This page is no longer waiting: the sign-in went on in another tab or window, or it has expired.');
    const asked = (await statusAsks(waiting)).made;
    expect(asked).toBeGreaterThanOrEqual(1);
    // A minute of the page's time in an instant: any ask still planned (every 2 s, or backing off to
    // 30 s) is made, and counted, before runFor returns.
    await context.clock.runFor(60_000);
    expect((await statusAsks(waiting)).made).toBe(asked);
    await context.close();
  });

  it('the waiting tab asks less often while Sesame answers that it is unavailable, as after a network failure', async () => {
    const context = await browser.newContext();
    await context.clock.install();
    await countStatusAsks(context);
    const waiting = await context.newPage();
    const polls: number[] = [];
    await waiting.route('**/interaction/*/status', async (route) => {
      polls.push(Date.now());
      await route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"temporarily_unavailable"}' });
    });
    await waiting.goto(`${running.sesame.url}/demo/start`);
    await waiting.getByLabel('Email address').fill('unavailable@example.com');
    await waiting.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await waiting.getByRole('heading', { name: 'Check your email' }).waitFor();
    // Every 2 seconds that would be five asks in 11 seconds; doubling the wait (2, 4, 8 s), two.
    // The page's clock stops a second from now (a time still ahead when the test's word reaches
    // it), and its other 10 seconds pass in steps of 100 ms, each once the page has had the answer
    // to any ask made: the wait it then sets starts from that answer, as it would in real time.
    await context.clock.pauseAt(await waiting.evaluate(() => Date.now() + 1000));
    for (let elapsed = 1000; elapsed < 11_000; elapsed += 100) {
      await context.clock.runFor(100);
      while ((await statusAsks(waiting)).onTheirWay > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.length).toBeLessThanOrEqual(3);
    await context.close();
  });
});
