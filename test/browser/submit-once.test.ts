import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
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

/** The bodies of the POSTs the page sends to paths ending in `pathEnd`, in order. */
function postsTo(page: Page, pathEnd: string): (string | null)[] {
  const bodies: (string | null)[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith(pathEnd)) bodies.push(request.postData());
  });
  return bodies;
}

/** Two clicks 150 ms apart, as a person double-clicks (Playwright's dblclick is two clicks at once). */
async function doubleClick(page: Page, button: Locator) {
  const box = (await button.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForTimeout(150);
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function until(condition: () => boolean, timeoutMs = 5000) {
  for (const started = Date.now(); !condition(); await new Promise((resolve) => setTimeout(resolve, 25))) {
    if (Date.now() - started > timeoutMs) throw new Error(`not so within ${timeoutMs} ms: ${condition.toString()}`);
  }
}

describe('headless Chromium: a form submits once (static/submit-once.js)', () => {
  it('a double click on "Email me a sign-in link" sends one mail, and one on "Sign in" with the right code reaches the app (it used to show the email form: the second press found the code used)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const emailPosts = postsTo(page, '/email');
    const codePosts = postsTo(page, '/code');
    // Answers come a moment late, as over a real network: a person's second click lands while the
    // first submission is on its way, not on the page it leads to.
    await page.route(/\/interaction\/[^/]+\/(email|code)$/, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.fulfill({ response }).catch(() => undefined);
    });
    await page.goto(`${running.sesame.url}/demo/start`);
    await page.getByLabel('Email address').fill('double-click@example.com');
    await doubleClick(page, page.getByRole('button', { name: 'Email me a sign-in link' }));
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const mail = await running.smtp.waitForMail('double-click@example.com');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((m) => m.to === 'double-click@example.com')).toHaveLength(1);
    expect(emailPosts).toHaveLength(1);

    await page.getByLabel('Code from the email').fill(mail.code!);
    await doubleClick(page, page.getByRole('button', { name: 'Sign in', exact: true }));
    await page.waitForURL(/\/demo\/callback/);
    expect(await page.locator('#signed-in-email').textContent()).toBe('double-click@example.com');
    expect(codePosts).toHaveLength(1);
    await context.close();
  });

  it('keeps the pressed button in the submission (buttons outside their form too), ignores presses while it is sent, and is usable again when the page comes back from the back/forward cache', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // A session, so that the sign-out page asks which sign-out is meant.
    await page.goto(`${running.sesame.url}/demo/start`);
    await page.getByLabel('Email address').fill('sign-out-once@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const mail = await running.smtp.waitForMail('sign-out-once@example.com');
    await page.getByLabel('Code from the email').fill(mail.code!);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/demo\/callback/);

    await page.goto(`${running.sesame.url}/session/end?client_id=sesame-demo`);
    // Answered 204 No Content, so the browser stays on the page as the submit left it.
    await page.route('**/session/end/confirm', (route) => route.fulfill({ status: 204 }));
    const posts = postsTo(page, '/session/end/confirm');
    const everywhere = page.getByRole('button', { name: 'Sign out of Sesame on this browser' });
    const onlyDemo = page.getByRole('button', { name: 'Only sign out of Sesame demo app' });
    await everywhere.dblclick();
    // force: the button says it is busy (aria-disabled), which Playwright would otherwise wait out.
    await onlyDemo.click({ force: true });
    await page.waitForTimeout(300);
    expect(posts).toHaveLength(1);
    expect(new URLSearchParams(posts[0]!).get('logout')).toBe('yes');
    expect(await page.locator('button[aria-disabled="true"]').allTextContents()).toEqual(['Sign out of Sesame on this browser', 'Only sign out of Sesame demo app']);

    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
    expect(await page.locator('button[aria-disabled="true"]').count()).toBe(0);
    await onlyDemo.click();
    await until(() => posts.length === 2);
    expect(new URLSearchParams(posts[1]!).get('logout')).toBeNull();
    await context.close();
  });
});
