import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config-schema.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { clearOfWindowStart } from '../helpers/rate-limit-window.ts';
import { deleteSesameKeys, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { accountWithTotp, submitTotp, totpCode, wrongTotpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCodeAt } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { testConfig } from '../helpers/test-config.ts';

// Every instance here runs with the shipped limits (config/default.json): 5 mails per address from
// one IP, 20 per address in all and 30 per IP per 15 minutes, 60 code entries per IP. Requests come from 127.0.0.1 unless a trusted
// proxy says otherwise.

let redis: StartedRedis;
let smtp: SmtpSink;
let admin: Redis;
const started: RunningSesame[] = [];
const sharedPrefix = uniquePrefix('rate-shared');

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  admin = new Redis(redis.url);
});

afterAll(async () => {
  for (const sesame of started) await sesame.close();
  await deleteSesameKeys(admin, sharedPrefix);
  admin?.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

async function start(config: Partial<Config>, keyPrefix?: string) {
  const sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix, config });
  started.push(sesame);
  return { sesame, rp: await startRelyingParty(sesame.url) };
}

/** One sign-in page, kept open: its email form can be sent again and again ("send a new code"). */
async function openSignIn({ sesame, rp }: { sesame: RunningSesame; rp: RelyingParty }, browser = new HttpBrowser(), params: Record<string, string> = {}) {
  const pending = await rp.startAuthorization(params);
  const page = await browser.navigate(pending.url);
  const uid = page.url.split('/').pop()!;
  const fields = formFields(page.html, '/email');
  return {
    browser,
    uid,
    pending,
    askForMail: (email: string, headers: Record<string, string> = {}) => browser.request(`${sesame.url}/interaction/${uid}/email`, { form: { ...fields, email }, headers }),
    enterCode: (code: string, headers: Record<string, string> = {}) => browser.request(`${sesame.url}/interaction/${uid}/code`, { form: { csrf: fields.csrf!, code }, headers }),
  };
}

/** What an observer can compare between two answers: status, header names, Retry-After, the page. */
async function observable(response: Response, ...secrets: string[]) {
  // The wait is counted in seconds and may tick between two requests: compared separately.
  // Every page carries a script with this response's CSP nonce: the same page, another nonce.
  let body = (await response.text()).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'REQUEST-ID').replace(/about \d+ minutes/, 'about N minutes').replace(/nonce="[^"]+"/g, 'nonce="N"');
  for (const secret of secrets) body = body.replaceAll(secret, 'X');
  return {
    status: response.status,
    retryAfter: response.headers.has('retry-after'),
    retryAfterSeconds: Number(response.headers.get('retry-after')),
    headerNames: [...response.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort(),
    body,
  };
}

const mailsTo = (email: string) => smtp.messages.filter((m) => m.to === email).length;

describe('sign-in mail per address', () => {
  let one: Awaited<ReturnType<typeof start>>;
  let two: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    await clearOfWindowStart();
    // Two instances behind one load balancer: same Redis, same key prefix, same secrets.
    const secrets = { hmacKey: randomBytes(32).toString('base64url'), cookieKeys: [randomBytes(32).toString('base64url')], signup: 'closed' as const };
    one = await start(secrets, sharedPrefix);
    two = await start(secrets, sharedPrefix);
    await one.sesame.accounts.create('member@example.com', { verified: true });
  }, 30_000);

  it('allows five in fifteen minutes across instances, then answers 429 the same for a known and an unknown address', async () => {
    const answers = [];
    for (const email of ['member@example.com', 'stranger@example.com']) {
      for (let i = 0; i < 5; i++) {
        const signIn = await openSignIn(i % 2 === 0 ? one : two);
        expect((await signIn.askForMail(email)).status).toBe(303);
      }
      const signIn = await openSignIn(one);
      const refused = await signIn.askForMail(email);
      expect(refused.status).toBe(429);
      answers.push(await observable(refused, email, signIn.uid));
    }
    const [known, unknown] = answers;
    expect({ ...unknown, retryAfterSeconds: 0 }).toEqual({ ...known, retryAfterSeconds: 0 });
    expect(Math.abs(known!.retryAfterSeconds - unknown!.retryAfterSeconds)).toBeLessThanOrEqual(2);
    expect(known!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(known!.retryAfterSeconds).toBeLessThanOrEqual(900);
    expect(known!.body).toContain('Too many sign-in emails');
    expect(known!.body).toContain('Back to the sign-in page');

    await one.sesame.mailIdle();
    await two.sesame.mailIdle();
    expect(mailsTo('member@example.com')).toBe(5);
    expect(mailsTo('stranger@example.com')).toBe(0);
  });

  it('counts addresses after normalisation, so case and spaces do not buy more mail', async () => {
    const signIn = await openSignIn(two);
    for (const email of ['case@example.com', 'CASE@example.com', ' Case@Example.com ', 'case@EXAMPLE.COM', 'case@example.com']) {
      expect((await signIn.askForMail(email)).status).toBe(303);
    }
    expect((await signIn.askForMail('cAsE@example.com')).status).toBe(429);
  });

  it('a refused resend leaves the code of the last mail working', async () => {
    await one.sesame.accounts.create('resender@example.com', { verified: true });
    const signIn = await openSignIn(one);
    for (let i = 0; i < 4; i++) expect((await signIn.askForMail('resender@example.com')).status).toBe(303);
    for (let i = 0; i < 4; i++) await smtp.waitForMail('resender@example.com');
    expect((await signIn.askForMail('resender@example.com')).status).toBe(303);
    const last = await smtp.waitForMail('resender@example.com');
    expect((await signIn.askForMail('resender@example.com')).status).toBe(429);
    const page = await signIn.browser.navigate(`${one.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...formFields((await signIn.browser.navigate(`${one.sesame.url}/interaction/${signIn.uid}/check`)).html, '/code'), code: last.code! } });
    const tokens = await one.rp.handleCallback(await finishAtApp(signIn.browser, page), signIn.pending);
    expect(tokens.claims()!.email).toBe('resender@example.com');
  });

  it('API clients get the 429 as JSON with Retry-After', async () => {
    const signIn = await openSignIn(one);
    for (let i = 0; i < 5; i++) await signIn.askForMail('json@example.com');
    const refused = await signIn.askForMail('json@example.com', { accept: 'application/json' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', error_description: expect.stringContaining('Too many sign-in emails') });
  });
});

describe('per client IP, with X-Forwarded-For ignored by default', () => {
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('a spoofed X-Forwarded-For does not buy more than 30 sign-in mails', async () => {
    const target = await start({ signup: 'closed' });
    const signIn = await openSignIn(target);
    for (let i = 0; i < 30; i++) {
      expect((await signIn.askForMail(`visitor-${i}@example.com`, { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(303);
    }
    const refused = await signIn.askForMail('visitor-30@example.com', { 'x-forwarded-for': '198.51.100.77' });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Too many sign-in emails');
  });

  it('a spoofed X-Forwarded-For does not buy more than 60 code entries', async () => {
    const target = await start({ signup: 'closed' });
    const signIn = await openSignIn(target);
    expect((await signIn.askForMail('guess@example.com')).status).toBe(303);
    for (let i = 0; i < 60; i++) {
      expect((await signIn.enterCode('12', { 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(303);
    }
    const refused = await signIn.enterCode('123456', { 'x-forwarded-for': '198.51.100.77' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many codes were entered from your network');
  });
});

describe('authenticator codes', () => {
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('count against the same per-IP budget as emailed codes, before they are checked', async () => {
    const { rateLimits } = testConfig({ issuer: 'http://unused' });
    const target = await start({ rateLimits: { ...rateLimits, codeEntriesPerIp: { limit: 3, windowSeconds: 900 } } });
    const { secret } = await accountWithTotp(target.sesame, 'two-steps@example.com');
    const signIn = await requestSignInMail({ rp: target.rp, smtp }, 'two-steps@example.com');
    // Entry 1: the emailed code.
    const prompt = await signIn.browser.navigate(`${target.sesame.url}/interaction/${signIn.uid}/code`, { form: { ...formFields(signIn.checkPage.html, '/code'), code: signIn.mail.code! } });
    expect(prompt.url).toMatch(/\/totp$/);
    // Entries 2 and 3: wrong authenticator codes, answered as such.
    for (let i = 0; i < 2; i++) expect((await submitTotp(signIn.browser, prompt, { code: wrongTotpCode(secret) })).html).toContain('That code is not right.');
    // Entry 4 is over the budget: refused unread, even though it is right.
    const refused = await signIn.browser.request(`${target.sesame.url}/interaction/${signIn.uid}/totp`, { form: { csrf: formFields(prompt.html, '/totp').csrf!, code: totpCode(secret) } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.text()).toContain('Too many codes were entered from your network');
  });
});

describe('change-of-address codes', () => {
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('count against the same per-IP budget as sign-in codes, before they are checked', async () => {
    const { rateLimits } = testConfig({ issuer: 'http://unused' });
    const target = await start({ rateLimits: { ...rateLimits, codeEntriesPerIp: { limit: 3, windowSeconds: 900 } } });
    const { sesame } = target;
    // Entry 1: the code that signs in to the account page.
    const { browser } = await signInWithCodeAt({ smtp }, `${sesame.url}/account`, 'moving@example.com');
    const { page: confirm } = await requestEmailChange(sesame.url, browser, 'moved-away@example.com');
    const mail = await emailChangeCodeTo(smtp, 'moved-away@example.com');
    const wrong = mail.code === '000000' ? '111111' : '000000';
    // Entries 2 and 3: wrong change codes, answered as such.
    for (let i = 0; i < 2; i++) expect((await enterEmailChangeCode(sesame.url, browser, confirm, wrong)).html).toContain('That code is not right.');
    // Entry 4 is over the budget: refused unread, even though it is right, and the account has not moved.
    const refused = await browser.request(`${sesame.url}/account/email/confirm`, { form: { ...formFields(confirm.html, '/account/email/confirm'), code: mail.code! } });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('Too many codes were entered from your network');
    expect((await target.sesame.accounts.findByEmail('moving@example.com'))?.email).toBe('moving@example.com');
  });
});

describe('TRUST_PROXY=true', () => {
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('one client asking for someone else\'s mail spends its own share of the address, not the owner\'s', async () => {
    const target = await start({ signup: 'closed', trustProxy: true });
    const signIn = await openSignIn(target);
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 5; i++) expect((await signIn.askForMail('targeted@example.com', from('203.0.113.66'))).status).toBe(303);
    // Past its share, and however often it tries, this client is refused...
    for (let i = 0; i < 20; i++) expect((await signIn.askForMail('targeted@example.com', from('203.0.113.66'))).status).toBe(429);
    // ...while the owner, from their own network, still gets mail: the refused tries used up nothing.
    expect((await signIn.askForMail('targeted@example.com', from('198.51.100.20'))).status).toBe(303);
    // Many clients together still meet the address's ceiling (20 per 15 minutes) against mail bombing.
    for (let i = 0; i < 14; i++) expect((await signIn.askForMail('targeted@example.com', from(`192.0.2.${i + 1}`))).status).toBe(303);
    expect((await signIn.askForMail('targeted@example.com', from('192.0.2.200'))).status).toBe(429);
  });

  it('a browser that signed in as the address before gets mail past a ceiling that many networks spent', async () => {
    const target = await start({ trustProxy: true });
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    // The owner signs in once in this browser (from 127.0.0.1: no proxy header), and once at work.
    const owners = new HttpBrowser();
    const { page } = await signInWithCodeAt({ smtp }, (await target.rp.startAuthorization()).url, 'owner@example.com', owners);
    expect(page.leftTo).toBeDefined();
    expect(owners.cookieNames()).toContain('sesame_known');
    const atWork = new HttpBrowser(undefined, from('203.0.113.50'));
    await signInWithCodeAt({ smtp }, (await target.rp.startAuthorization()).url, 'owner@example.com', atWork);
    // Clients on four networks spend the rest of the address's 20, each within its share.
    const attacker = await openSignIn(target);
    for (let i = 0; i < 18; i++) expect((await attacker.askForMail('owner@example.com', from(`192.0.2.${Math.floor(i / 5) + 1}`))).status).toBe(303);
    expect((await attacker.askForMail('owner@example.com', from('192.0.2.99'))).status).toBe(429);
    // The owner in a browser that never signed in is held to the ceiling like anyone else...
    expect((await (await openSignIn(target)).askForMail('owner@example.com')).status).toBe(429);
    // ...but the browser they signed in with before is not, and the mail goes out (an app asking
    // for a fresh sign-in, or the session gone: either way the email step again).
    await target.sesame.mailIdle();
    const before = mailsTo('owner@example.com');
    const again = await openSignIn(target, owners, { prompt: 'login' });
    expect((await again.askForMail('owner@example.com')).status).toBe(303);
    await target.sesame.mailIdle();
    expect(mailsTo('owner@example.com')).toBe(before + 1);
    // It has a budget of its own (5 per 15 minutes on its network), and it is for that address only.
    for (let i = 0; i < 4; i++) expect((await again.askForMail('owner@example.com')).status).toBe(303);
    expect((await again.askForMail('owner@example.com')).status).toBe(429);
    // A browser of the owner's on another network was not held to it.
    const fromWork = await openSignIn(target, atWork, { prompt: 'login' });
    expect((await fromWork.askForMail('owner@example.com')).status).toBe(303);
    for (let i = 0; i < 20; i++) expect((await attacker.askForMail('other@example.com', from(`198.51.100.${Math.floor(i / 5) + 1}`))).status).toBe(303);
    expect((await again.askForMail('other@example.com')).status).toBe(429);
  });

  it('counts the address the proxy appended, not one the client wrote', async () => {
    const target = await start({ signup: 'closed', trustProxy: true });
    const signIn = await openSignIn(target);
    for (let i = 0; i < 30; i++) {
      expect((await signIn.askForMail(`behind-${i}@example.com`, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(303);
    }
    // The same client writing its own X-Forwarded-For: the proxy appends the real address last.
    expect((await signIn.askForMail('behind-x@example.com', { 'x-forwarded-for': '10.9.8.7, 203.0.113.7' })).status).toBe(429);
    // Another client behind the same proxy has its own budget.
    expect((await signIn.askForMail('behind-y@example.com', { 'x-forwarded-for': '198.51.100.9' })).status).toBe(303);
    // IPv6 clients count by /64: hopping addresses inside one subscriber prefix does not help.
    for (let i = 0; i < 30; i++) {
      expect((await signIn.askForMail(`v6-${i}@example.com`, { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` })).status).toBe(303);
    }
    expect((await signIn.askForMail('v6-x@example.com', { 'x-forwarded-for': '2001:db8:1:2:ffff::1' })).status).toBe(429);
  });
});
