import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { finishAtApp, requestSignInMail } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { Redis } from 'ioredis';

let admin: Redis;
// Registered before useSesame's: jest runs afterAll hooks in the order they were registered, and
// this client must be gone before its Redis stops.
afterAll(() => admin?.disconnect());
const running = useSesame();
beforeAll(() => {
  admin = new Redis(running.redis.url);
});

describe('magic links survive mail scanners and work once', () => {
  it('any number of GETs (a scanner) consume nothing; the POST signs in', async () => {
    const { browser, mail, pending } = await requestSignInMail(running, 'scanned@example.com');
    const scanner = new HttpBrowser('Mozilla/5.0 (compatible; SafeLinks)');
    for (let i = 0; i < 3; i++) expect((await scanner.navigate(mail.link!)).status).toBe(200);
    const confirm = await browser.navigate(mail.link!);
    expect(confirm.html).toContain('Continue');
    const page = await browser.navigate(`${new URL(mail.link!).origin}${new URL(mail.link!).pathname}`, { form: formFields(confirm.html, '/link') });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('scanned@example.com');
  });

  it('a used link shows a clear page and does nothing', async () => {
    const { browser, mail } = await requestSignInMail(running, 'reuse@example.com');
    const confirm = await browser.navigate(mail.link!);
    const action = `${running.sesame.url}${new URL(mail.link!).pathname}`;
    await browser.navigate(action, { form: formFields(confirm.html, '/link') });
    const again = await browser.navigate(mail.link!);
    expect(again.status).toBe(400);
    expect(again.html).toContain('expired or was already used');
    const repost = await new HttpBrowser().navigate(action, { form: { ...formFields(confirm.html, '/link'), number: '42' } });
    expect(repost.status).toBe(400);
  });

  it('an expired link shows a clear page', async () => {
    const { mail, uid } = await requestSignInMail(running, 'late@example.com');
    // Let Redis expire the sign-in record for real.
    const [key] = await admin.keys(`${running.sesame.config.redis.keyPrefix}sign-in:{${uid}}`);
    expect(key).toBeDefined();
    await admin.pexpire(key!, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const page = await new HttpBrowser().navigate(mail.link!);
    expect(page.status).toBe(400);
    expect(page.html).toContain('expired');
  });

  it('a tampered or malformed token is refused without a 5xx', async () => {
    const { mail } = await requestSignInMail(running, 'tamper@example.com');
    const link = new URL(mail.link!);
    const token = link.searchParams.get('t')!;
    // The last character changed to another one (a fixed 'A' would be no change one time in 16).
    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'E' : 'A'}`;
    for (const t of ['', 'x', tampered, '../../etc', 'a'.repeat(5000)]) {
      link.searchParams.set('t', t);
      const page = await new HttpBrowser().navigate(link.href);
      expect(page.status).toBe(400);
    }
  });

  it('issuing a new mail invalidates the previous link and code', async () => {
    const { browser, uid, mail: first, checkPage } = await requestSignInMail(running, 'resend@example.com');
    const resend = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(checkPage.html, `${uid}/email`) } });
    expect(resend.status).toBe(200);
    // The page says that a new mail went out and what became of the earlier ones.
    expect(resend.html).toContain('The link and code in earlier emails no longer work');
    const second = await running.smtp.waitForMail('resend@example.com');
    expect(second.code).not.toBe(first.code);
    const old = await new HttpBrowser().navigate(first.link!);
    expect(old.status).toBe(400);
    // In the browser where the sign-in waits, the old link says it was replaced, and leads back.
    const replaced = await browser.navigate(first.link!);
    expect(replaced.status).toBe(400);
    expect(replaced.html).toContain('A newer email replaced this link');
    expect(replaced.html).toContain(`href="/interaction/${uid}/check"`);
    expect(replaced.html).not.toContain('This sign-in has ended');
    const wrong = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: formFields(checkPage.html, '/code').csrf!, code: first.code! } });
    expect(wrong.url).toMatch(/\/check\?error=wrong-code&left=4$/);
    expect(wrong.html).toContain('not right');
  });
});
