import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import * as client from 'openid-client';
import { emailChangeCodeTo, EMAIL_IN_USE_SUBJECT, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { clearOfWindowStart } from '../helpers/rate-limit-window.ts';
import { createSignInLockout } from '../../src/auth/sign-in-limits.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { testConfig } from '../helpers/test-config.ts';
import { useSesame, type SesameUnderTest } from '../helpers/use-sesame.ts';

const { rateLimits } = testConfig({ issuer: 'http://unused' });
const noticeTo = (running: SesameUnderTest, email: string, what: string) => running.smtp.waitForMail(email, { match: (mail) => mail.subject === `Sesame: ${what}` });
const signInMailsTo = (running: SesameUnderTest, email: string) => running.smtp.messages.filter((mail) => mail.to === email && mail.link !== undefined).length;

/** Signs in to /account with the emailed code in a new browser. */
async function signInToAccountPage(running: SesameUnderTest, email: string, browser = new HttpBrowser()) {
  const { page } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email, browser);
  expect(page.url).toBe(`${running.sesame.url}/account`);
  return browser;
}

/** Asks for the change, reads the code in the new mailbox and types it in; returns the page that follows. */
async function changeEmail(running: SesameUnderTest, browser: HttpBrowser, newEmail: string) {
  const { page } = await requestEmailChange(running.sesame.url, browser, newEmail);
  const mail = await emailChangeCodeTo(running.smtp, newEmail);
  return enterEmailChangeCode(running.sesame.url, browser, page, mail.code!);
}

// Sessions and tokens carry whole seconds, and a sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

/** A 6-digit code that is not `code`. */
const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

describe('changing the address on /account', () => {
  let admin: Redis;
  // Registered before useSesame's: this client must be gone before its Redis stops.
  afterAll(() => admin?.disconnect());
  // Every test here asks from 127.0.0.1: the per-IP budget is the rate-limit tests' (below).
  const running = useSesame({ config: { rateLimits: { ...rateLimits, emailChangePerIp: { limit: 1000, windowSeconds: 900 } } } });
  beforeAll(() => {
    admin = new Redis(running.redis.url);
  });

  it('moves the account to a proven address: same sub, the apps see the new address, the old one no longer signs in to it', async () => {
    const [before, after] = ['old-job@example.com', 'new-job@example.org'];
    const { tokens, browser } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, before);
    const sub = tokens.claims()!.sub;
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    expect(accountPage.html).toContain('href="/account/email"');

    const form = await browser.navigate(`${running.sesame.url}/account/email`);
    expect(form.status).toBe(200);
    expect(form.html).toContain('Change your email address');
    const { response, page: confirm } = await requestEmailChange(running.sesame.url, browser, ` ${after.toUpperCase()} `);
    expect(response.status).toBe(303);
    expect(confirm.url).toBe(`${running.sesame.url}/account/email/confirm`);
    expect(confirm.html).toContain(`id="new-email">${after}<`);
    // Nothing changes before the code is entered.
    expect((await running.sesame.accounts.findById(sub))!.email).toBe(before);

    const mail = await emailChangeCodeTo(running.smtp, after);
    expect(mail.code).toMatch(/^\d{6}$/);
    await nextSecond();
    const done = await enterEmailChangeCode(running.sesame.url, browser, confirm, `${mail.code!.slice(0, 3)} ${mail.code!.slice(3)}`);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    expect(done.html).toContain(`id="account-email">${after}<`);
    expect(done.html).toContain('Your email address was changed');

    // One account, under its new address only; its second factor records and id are its own still.
    expect(await running.sesame.accounts.findByEmail(before)).toBeUndefined();
    expect(await running.sesame.accounts.findByEmail(after)).toMatchObject({ id: sub, email: after });

    // Both mailboxes hear of it: the old one with the new address, the browser and the advice.
    const notice = await noticeTo(running, before, 'Your account now signs in with another address');
    expect(notice.text).toContain(after);
    expect(notice.text).toContain('From: Chrome on Linux');
    expect(notice.text).toContain('Tell your administrator at once');
    const welcome = await noticeTo(running, after, 'This is now the address your account signs in with');
    expect(welcome.text).toContain(`instead of ${before}`);

    // What was signed in before the move ends (the old mailbox may be why it moved): the app's
    // tokens, and this browser's Sesame session; the account page, where the change was made, goes on.
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await browser.navigate(`${running.sesame.url}/account`)).html).toContain(`id="account-email">${after}<`);
    const pending = await running.rp.startAuthorization();
    expect((await browser.navigate(pending.url)).html).toContain('name="email"');

    // The new address signs in to the same account, and the app sees it; the old one, with open sign-up, to a new one.
    const { tokens: viaNew } = await signInWithCode(running, after);
    expect(viaNew.claims()).toMatchObject({ sub, email: after, email_verified: true });
    expect(await client.fetchUserInfo(running.rp.config, viaNew.access_token, sub)).toMatchObject({ sub, email: after, email_verified: true });
    const { tokens: viaOld } = await signInWithCode(running, before);
    expect(viaOld.claims()!.sub).not.toBe(sub);
    expect(viaOld.claims()!.email).toBe(before);
  });

  it('refuses a malformed address and the current one, with a page that says why', async () => {
    const email = 'stays-put@example.com';
    const browser = await signInToAccountPage(running, email);
    for (const [typed, problem, text] of [
      ['not-an-address', 'malformed', 'That is not an email address we can send to'],
      ['', 'malformed', 'That is not an email address we can send to'],
      [email.toUpperCase(), 'same', 'That is the address you sign in with now'],
    ] as const) {
      const { response, page } = await requestEmailChange(running.sesame.url, browser, typed);
      expect(response.status).toBe(303);
      expect(page.url).toBe(`${running.sesame.url}/account/email?problem=${problem}`);
      expect(page.status).toBe(400);
      expect(page.html).toContain(text);
      expect(page.html).toContain('aria-invalid="true"');
    }
    // A name the table does not hold shows no text at all.
    // Nor does the domain rule's, with no SIGNUP_DOMAINS set here.
    for (const problem of ['constructor', '__proto__', '<script>', 'outside-domains']) {
      const page = await browser.navigate(`${running.sesame.url}/account/email?problem=${encodeURIComponent(problem)}`);
      expect(page.status).toBe(200);
      expect(page.html).not.toContain('role="alert"');
    }
  });

  it('a code dies after five wrong tries, and a malformed code is not counted as one', async () => {
    const email = 'fumbles@example.com';
    const browser = await signInToAccountPage(running, email);
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, 'fumbled@example.com');
    const { code } = await emailChangeCodeTo(running.smtp, 'fumbled@example.com');
    const shape = await enterEmailChangeCode(running.sesame.url, browser, confirm, 'abc');
    expect(shape.url).toBe(`${running.sesame.url}/account/email/confirm?problem=code-shape`);
    expect(shape.status).toBe(400);
    for (let i = 0; i < 4; i++) {
      const wrong = await enterEmailChangeCode(running.sesame.url, browser, confirm, otherThan(code!));
      expect(wrong.url).toBe(`${running.sesame.url}/account/email/confirm?problem=wrong`);
      expect(wrong.status).toBe(400);
      expect(wrong.html).toContain('That code is not right');
    }
    const fifth = await enterEmailChangeCode(running.sesame.url, browser, confirm, otherThan(code!));
    expect(fifth.url).toBe(`${running.sesame.url}/account/email?problem=too-many-attempts`);
    expect(fifth.status).toBe(400);
    expect(fifth.html).toContain('Too many wrong codes');
    // The right code is dead too, and the page for it is gone.
    const late = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(late.url).toBe(`${running.sesame.url}/account/email?problem=expired`);
    expect((await browser.navigate(`${running.sesame.url}/account/email/confirm`)).url).toBe(`${running.sesame.url}/account/email`);
    expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();
    expect(await running.sesame.accounts.findByEmail('fumbled@example.com')).toBeUndefined();
  });

  it('a code expires', async () => {
    const email = 'slow-reader@example.com';
    const browser = await signInToAccountPage(running, email);
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, 'slow-new@example.com');
    const { code } = await emailChangeCodeTo(running.smtp, 'slow-new@example.com');
    const account = (await running.sesame.accounts.findByEmail(email))!;
    // Let Redis expire the pending change for real.
    expect(await admin.pexpire(`${running.sesame.config.redis.keyPrefix}email-change:{${account.id}}`, 1)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(late.url).toBe(`${running.sesame.url}/account/email?problem=expired`);
    expect(late.status).toBe(400);
    expect(late.html).toContain('That code has expired');
    expect((await running.sesame.accounts.findById(account.id))!.email).toBe(email);
  });

  it('a new request replaces the previous one: only the newest code works', async () => {
    const email = 'undecided@example.com';
    const browser = await signInToAccountPage(running, email);
    const { page: first } = await requestEmailChange(running.sesame.url, browser, 'first-choice@example.com');
    const firstMail = await emailChangeCodeTo(running.smtp, 'first-choice@example.com');
    const { page: second } = await requestEmailChange(running.sesame.url, browser, 'second-choice@example.com');
    expect(second.html).toContain('id="new-email">second-choice@example.com<');
    const secondMail = await emailChangeCodeTo(running.smtp, 'second-choice@example.com');
    if (firstMail.code !== secondMail.code) {
      const stale = await enterEmailChangeCode(running.sesame.url, browser, first, firstMail.code!);
      expect(stale.url).toBe(`${running.sesame.url}/account/email/confirm?problem=wrong`);
    }
    const done = await enterEmailChangeCode(running.sesame.url, browser, second, secondMail.code!);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    expect(await running.sesame.accounts.findByEmail('first-choice@example.com')).toBeUndefined();
    expect((await running.sesame.accounts.findByEmail('second-choice@example.com'))!.email).toBe('second-choice@example.com');
    // Used once: the same code again finds nothing to confirm.
    const again = await enterEmailChangeCode(running.sesame.url, browser, second, secondMail.code!);
    expect(again.url).toBe(`${running.sesame.url}/account/email?problem=expired`);
  });

  it('an address that belongs to another account gets the same page, a note instead of a code, and nothing is merged', async () => {
    const { tokens: others } = await signInWithCode(running, 'taken@example.com');
    const otherSub = others.claims()!.sub;
    const email = 'mover@example.com';
    const browser = await signInToAccountPage(running, email);
    const mover = (await running.sesame.accounts.findByEmail(email))!;

    /** What the asker sees, the address itself and the clock aside. */
    const seen = async (address: string) => {
      const { response, page } = await requestEmailChange(running.sesame.url, browser, address);
      const observed = {
        status: response.status,
        location: response.headers.get('location'),
        headerNames: [...response.headers.keys()].filter((h) => !['date', 'x-request-id'].includes(h)).sort(),
        page: { url: page.url, status: page.status, html: page.html.replaceAll(address, 'ADDRESS').replace(/\d+ minutes? \(until [^)]*\)/, 'N minutes').replace(/nonce="[^"]+"/g, 'nonce="N"') },
      };
      return { observed, page };
    };
    const free = await seen('free-address@example.com');
    const freeMail = await emailChangeCodeTo(running.smtp, 'free-address@example.com');
    const taken = await seen('taken@example.com');
    expect(taken.observed).toEqual(free.observed);

    // Only the mailbox of the address in use learns why: no code in its mail.
    const note = await running.smtp.waitForMail('taken@example.com', { match: (mail) => mail.subject === EMAIL_IN_USE_SUBJECT });
    expect(note.code).toBeUndefined();
    expect(note.text).toContain('nothing was changed');
    // The code for the free address was replaced by this request, and no code sent anywhere moves the account there.
    const refused = await enterEmailChangeCode(running.sesame.url, browser, taken.page, freeMail.code!);
    expect(refused.url).toBe(`${running.sesame.url}/account/email/confirm?problem=wrong`);
    expect(await running.sesame.accounts.findByEmail('taken@example.com')).toMatchObject({ id: otherSub, email: 'taken@example.com' });
    expect(await running.sesame.accounts.findById(mover.id)).toMatchObject({ email });
  });

  it('if the address is signed up for while the code is on its way, confirming fails safely and both accounts stay apart', async () => {
    const email = 'racer@example.com';
    const browser = await signInToAccountPage(running, email);
    const mover = (await running.sesame.accounts.findByEmail(email))!;
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, 'contested@example.com');
    const { code } = await emailChangeCodeTo(running.smtp, 'contested@example.com');
    // Someone signs in with the address first (open sign-up: a new account).
    const { tokens } = await signInWithCode(running, 'contested@example.com');
    // One wrong code short of the lock: the right code, counted there before it is honoured, must
    // not leave the address locked when the move fails.
    const lockout = createSignInLockout({ store: running.sesame.store, config: running.sesame.config });
    await running.sesame.store.set(lockout.stateKey('contested@example.com'), running.sesame.config.signInCode.maxConsecutiveFailures - 1, 3600);
    const refused = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(refused.url).toBe(`${running.sesame.url}/account/email?problem=unavailable`);
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('could not be moved to that address, and nothing was changed');
    expect(await running.sesame.accounts.findByEmail('contested@example.com')).toMatchObject({ id: tokens.claims()!.sub });
    expect(await running.sesame.accounts.findById(mover.id)).toMatchObject({ email });
    expect(await running.sesame.accounts.findByEmail(email)).toMatchObject({ id: mover.id });
    expect(await lockout.isLocked('contested@example.com')).toBe(false);
  });

  it('a locked address cannot be moved to, and wrong change codes count against it; the old address keeps its own lock', async () => {
    const [before, after] = ['locked-old@example.com', 'locked-new@example.com'];
    const browser = await signInToAccountPage(running, before);
    const sub = (await running.sesame.accounts.findByEmail(before))!.id;
    const lockout = createSignInLockout({ store: running.sesame.store, config: running.sesame.config });
    const { maxConsecutiveFailures } = running.sesame.config.signInCode;
    // The old address past 100 wrong codes in a row; the new one a wrong code short of it.
    await running.sesame.store.set(lockout.stateKey(before), maxConsecutiveFailures, 3600);
    await running.sesame.store.set(lockout.stateKey(after), maxConsecutiveFailures - 1, 3600);
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, after);
    const { code } = await emailChangeCodeTo(running.smtp, after);

    // A wrong change code is a wrong code for that address, whichever account typed it: now locked.
    const wrong = await enterEmailChangeCode(running.sesame.url, browser, confirm, otherThan(code!));
    expect(wrong.url).toBe(`${running.sesame.url}/account/email/confirm?problem=wrong`);
    expect(await lockout.isLocked(after)).toBe(true);
    // Locked, it takes no code, not even the right one, and says no more than for a wrong one.
    const refused = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(refused.url).toBe(`${running.sesame.url}/account/email/confirm?problem=wrong`);
    expect((await running.sesame.accounts.findById(sub))!.email).toBe(before);

    // Once the lock is lifted (user unlock), the right code moves the account, and ends the streak.
    await lockout.unlock(after);
    const done = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    expect(await lockout.isLocked(after)).toBe(false);
    expect(await lockout.isLocked(before)).toBe(true);
    const { tokens } = await signInWithCode(running, after);
    expect(tokens.claims()!.sub).toBe(sub);
  });

  it('needs a fresh authenticator check when the account has one, and keeps the authenticator', async () => {
    const email = 'guarded@example.com';
    const browser = await signInToAccountPage(running, email);
    const { account, secret } = await accountWithTotp(running.sesame, email);
    const enrolled = (await running.sesame.accounts.findById(account.id))!;
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    const { csrf } = formFields(accountPage.html, '/account/sign-out');
    // This session never passed the authenticator: the request is turned to a step-up, and no mail goes out.
    const early = await browser.request(`${running.sesame.url}/account/email`, { form: { csrf: csrf!, email: 'guarded-new@example.com' } });
    expect(early.status).toBe(302);
    expect(early.headers.get('location')).toBe('/account/sign-in?next=%2Faccount%2Femail&fresh=1');

    const stepUp = await browser.navigate(`${running.sesame.url}/account/email`);
    expect(stepUp.url).toMatch(/\/interaction\/[^/]+\/totp$/);
    const form = await submitTotp(browser, stepUp, { code: totpCode(secret, 1) });
    expect(form.url).toBe(`${running.sesame.url}/account/email`);
    const done = await changeEmail(running, browser, 'guarded-new@example.com');
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    expect(running.smtp.messages.filter((mail) => mail.to === 'guarded-new@example.com' && mail.subject.includes('Confirm'))).toHaveLength(1);
    const moved = (await running.sesame.accounts.findById(account.id))!;
    expect(moved.email).toBe('guarded-new@example.com');
    expect(moved.totp).toBeDefined();
    expect(moved.totp).toEqual(enrolled.totp);
    expect(await secondFactorOf(running.sesame).recoveryCodes.remaining(account.id)).toBe(10);
    // The new address signs in with the authenticator, as the old one did.
    const { uid, browser: other, checkPage, mail } = await requestSignInMail(running, 'guarded-new@example.com');
    const prompt = await other.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
    expect(prompt.url).toMatch(/\/interaction\/[^/]+\/totp$/);
  });

  it('is not reachable without the page\'s session, and its forms need the CSRF token', async () => {
    for (const path of ['/account/email', '/account/email/confirm']) {
      const signedOut = await new HttpBrowser().request(`${running.sesame.url}${path}`);
      expect(signedOut.status).toBe(302);
      expect(signedOut.headers.get('location')).toBe(`/account/sign-in?next=${encodeURIComponent(path)}`);
    }
    const email = 'forged-change@example.com';
    const browser = await signInToAccountPage(running, email);
    const forged = await browser.request(`${running.sesame.url}/account/email`, { form: { email: 'attacker@example.com' } });
    expect(forged.status).toBe(403);
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, 'forged-new@example.com');
    const { code } = await emailChangeCodeTo(running.smtp, 'forged-new@example.com');
    // Another session's token does not do either.
    const otherBrowser = await signInToAccountPage(running, 'someone-else@example.com');
    const { csrf: othersToken } = formFields((await otherBrowser.navigate(`${running.sesame.url}/account`)).html, '/account/sign-out');
    const forgedCode = await browser.request(`${running.sesame.url}/account/email/confirm`, { form: { csrf: othersToken!, code: code! } });
    expect(forgedCode.status).toBe(403);
    const crossSite = await browser.request(`${running.sesame.url}/account/email/confirm`, { form: { ...formFields(confirm.html, '/account/email/confirm'), code: code! }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();
    // The code still works from the page itself.
    const done = await enterEmailChangeCode(running.sesame.url, browser, confirm, code!);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
  });
});

describe('changing the address with SIGNUP=closed', () => {
  const running = useSesame({ config: { signup: 'closed' } });

  it('the old address gets no sign-in mail any more; the new one signs in to the same account', async () => {
    const [before, after] = ['invited-old@example.com', 'invited-new@example.com'];
    const { account } = await running.sesame.accounts.create(before, { verified: true });
    const browser = await signInToAccountPage(running, before);
    const done = await changeEmail(running, browser, after);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    await noticeTo(running, before, 'Your account now signs in with another address');

    const signInMailsBefore = signInMailsTo(running, before);
    const stranger = new HttpBrowser();
    const page = await stranger.navigate((await running.rp.startAuthorization()).url);
    const answer = await stranger.request(`${page.url}/email`, { form: { ...formFields(page.html, '/email'), email: before } });
    expect([answer.status, answer.headers.get('location')]).toEqual([303, expect.stringMatching(/\/check$/)]);
    await running.sesame.mailIdle();
    expect(signInMailsTo(running, before)).toBe(signInMailsBefore);

    const { tokens } = await signInWithCode(running, after);
    expect(tokens.claims()).toMatchObject({ sub: account.id, email: after });
  });
});

describe('changing the address with SIGNUP_DOMAINS=example.com', () => {
  const running = useSesame({ config: { signup: 'open', signupDomains: ['example.com'] } });

  it('keeps the account at the listed domains: another domain is refused with the rule, and no code is sent', async () => {
    const browser = await signInToAccountPage(running, 'staying@example.com');
    const form = await browser.navigate(`${running.sesame.url}/account/email`);
    expect(form.html).toContain('Accounts here use addresses at example.com.');
    const { response, page } = await requestEmailChange(running.sesame.url, browser, 'private@elsewhere.net');
    expect(response.status).toBe(303);
    expect(page.status).toBe(400);
    expect(page.html).toContain('Accounts here use addresses at example.com: enter one of those.');
    expect(page.html).not.toContain('Accounts here use addresses at example.com.');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((mail) => mail.to === 'private@elsewhere.net')).toHaveLength(0);

    const done = await changeEmail(running, browser, 'staying.renamed@example.com');
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
  });

  it('lets an invited guest at another domain move within its own domain, and nowhere else outside the listed ones', async () => {
    await running.sesame.accounts.create('guest@contractor.net', { verified: true });
    const browser = await signInToAccountPage(running, 'guest@contractor.net');
    const form = await browser.navigate(`${running.sesame.url}/account/email`);
    expect(form.html).toContain('Accounts here use addresses at example.com, and yours can also use one at contractor.net.');
    const { page } = await requestEmailChange(running.sesame.url, browser, 'guest@private.net');
    expect(page.status).toBe(400);
    // The refusal says the rule, and the hint does not say it again beside it.
    expect(page.html).toContain('Accounts here use addresses at example.com, and yours can also use one at contractor.net: enter one of those.');
    expect(page.html).not.toContain('one at contractor.net.</p>');

    const done = await changeEmail(running, browser, 'guest.renamed@contractor.net');
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
    expect(await running.sesame.accounts.findByEmail('guest.renamed@contractor.net')).toBeDefined();
  });
});

describe('rate limits on changing the address (shipped: 5 per account, 10 per client IP, per 15 minutes)', () => {
  const running = useSesame();
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('refuses a sixth request for one account with 429 and Retry-After, sends nothing for it, and keeps the last code working', async () => {
    const browser = await signInToAccountPage(running, 'eager@example.com');
    let confirm: Page | undefined;
    for (let i = 1; i <= 5; i++) ({ page: confirm } = await requestEmailChange(running.sesame.url, browser, `eager-${i}@example.com`));
    const lastCode = (await emailChangeCodeTo(running.smtp, 'eager-5@example.com')).code!;
    const { response, page } = await requestEmailChange(running.sesame.url, browser, 'eager-6@example.com');
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(page.html).toContain('Too many changes of address were asked for');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((mail) => mail.to === 'eager-6@example.com')).toHaveLength(0);
    const done = await enterEmailChangeCode(running.sesame.url, browser, confirm!, lastCode);
    expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
  });

  it('refuses requests past the client IP\'s budget, whichever account asks', async () => {
    // The test above spent 6 of 127.0.0.1's 10.
    const browser = await signInToAccountPage(running, 'neighbour@example.com');
    for (let i = 1; i <= 4; i++) expect((await requestEmailChange(running.sesame.url, browser, `neighbour-${i}@example.com`)).response.status).toBe(303);
    const { response } = await requestEmailChange(running.sesame.url, browser, 'neighbour-5@example.com');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('a budget per recipient (shipped: 5 change-of-address mails per address per 15 minutes)', () => {
  const running = useSesame({ config: { rateLimits: { ...rateLimits, emailChangePerIp: { limit: 1000, windowSeconds: 900 } } } });
  beforeAll(() => clearOfWindowStart(), 30_000);

  it('refuses a sixth mail to one new address, whichever accounts ask (nobody\'s mailbox is a target)', async () => {
    const target = 'popular-target@example.com';
    expect(running.sesame.config.rateLimits.emailChangePerRecipient.limit).toBe(5);
    // Each from an account of its own (and this file's one IP has room): only the address's budget stops it.
    const answers: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const browser = await signInToAccountPage(running, `sender-${i}@example.com`);
      answers.push((await requestEmailChange(running.sesame.url, browser, target)).response.status);
    }
    expect(answers).toEqual([303, 303, 303, 303, 303, 429]);
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((mail) => mail.to === target)).toHaveLength(5);
  });
});
