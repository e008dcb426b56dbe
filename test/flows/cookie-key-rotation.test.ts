import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { formFields, type Page } from '../helpers/http-browser.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import { accountWithTotp, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCodeAt, type SignInContext } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// COOKIE_KEYS rotated the documented way (SECURITY.md: a new key prepended, the old one kept): the
// same deployment before (the old key alone) and after (new, old), on one Redis behind one address.
// Cookies signed with the old key must keep working, as they were set: a cookie that lasts days must
// not be turned into one that ends with the browser by merely being read.

let redis: StartedRedis;
let smtp: SmtpSink;
let proxy: RoundRobinProxy;
let before: RunningSesame;
let after: RunningSesame;
let rp: RelyingParty;
const prefix = uniquePrefix('cookie-rotation');

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  proxy = await startRoundRobinProxy();
  const oldKey = randomBytes(32).toString('base64url');
  const newKey = randomBytes(32).toString('base64url');
  const shared = { hmacKey: randomBytes(32).toString('base64url') };
  before = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: { ...shared, cookieKeys: [oldKey] } });
  after = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix: prefix, issuer: proxy.url, config: { ...shared, cookieKeys: [newKey, oldKey] } });
  proxy.setBackends([before.url]);
  rp = await startRelyingParty(proxy.url);
});

afterAll(async () => {
  await proxy?.close();
  for (const instance of [before, after]) await instance?.close();
  const admin = new Redis(redis.url);
  await deleteSesameKeys(admin, prefix);
  admin.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

/** Email code typed in; returns the page the sign-in went to next (the authenticator prompt, or the app). */
async function proveEmail(context: SignInContext, email: string) {
  const { pending, uid, browser, mail, checkPage, origin } = await requestSignInMail(context, email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  return { pending, browser, page };
}

const isTotpPrompt = (page: Page) => /\/interaction\/[^/]+\/totp$/.test(page.url) && page.html.includes('name="code"');

describe('cookie keys rotated by prepending a new one', () => {
  it('a browser remembered before the rotation stays remembered after it, also once the browser restarts', async () => {
    proxy.setBackends([before.url]);
    const { secret } = await accountWithTotp(before, 'remembered@example.com');
    const first = await proveEmail({ rp, smtp }, 'remembered@example.com');
    expect(isTotpPrompt(first.page)).toBe(true);
    await finishAtApp(first.browser, await submitTotp(first.browser, first.page, { code: totpCode(secret), remember: 'yes' }));
    const browser = first.browser;

    proxy.setBackends([after.url]);
    // Signed with the old key, which still verifies: remembered.
    const second = await proveEmail({ rp, smtp, browser, authorizationParams: { prompt: 'login' } }, 'remembered@example.com');
    expect(isTotpPrompt(second.page)).toBe(false);
    await finishAtApp(browser, second.page);

    // The browser is closed and opened again: its remembered-browser cookie lasts 30 days, and still works.
    browser.restart();
    const third = await proveEmail({ rp, smtp, browser, authorizationParams: { prompt: 'login' } }, 'remembered@example.com');
    expect(isTotpPrompt(third.page)).toBe(false);
  });

  it('a Sesame session signed in before the rotation outlives a browser restart after the account page was opened', async () => {
    proxy.setBackends([before.url]);
    const { browser } = await signInWithCodeAt({ smtp }, `${proxy.url}/account`, 'session@example.com');

    proxy.setBackends([after.url]);
    // The account page reads the session cookie, signed with the old key, to tell this browser among the others.
    const account = await browser.navigate(`${proxy.url}/account`);
    expect(account.url).toBe(`${proxy.url}/account`);
    expect(account.html).toContain('id="account-email">session@example.com<');

    // The session cookie lasts as long as the session: after a restart, an app signs this browser in
    // without a mail (its first time, so after the consent page).
    browser.restart();
    const pending = await rp.startAuthorization();
    const page = await browser.navigate(pending.url);
    expect(page.html).not.toContain('name="email"');
    expect((await rp.handleCallback(await finishAtApp(browser, page), pending)).claims()!.email).toBe('session@example.com');
  });
});
