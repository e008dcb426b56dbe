import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { createLogger } from '../../src/logger.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode } from '../helpers/second-factor.ts';
import { finishAtApp, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { accountKey } from '../../src/store/keys.ts';
import { moveClocksAhead } from '../helpers/move-clocks.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Audit lines are written whatever the level (observability/audit-log.ts): only they are kept.
const auditLines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) auditLines.push(JSON.parse(line));
    done();
  },
});
const running = useSesame({ logger: createLogger({ level: 'silent', destination }) });

const noticeTo = (email: string, what: string) => running.smtp.waitForMail(email, { match: (mail) => mail.subject === `Sesame: ${what}` });

describe('deleting one\'s own account on /account', () => {
  it('asks for the address typed out, deletes the account, ends its tokens and sessions, and tells the mailbox', async () => {
    const email = 'leaving-for-good@example.com';
    // Signed in to an app with a refresh token, and to the account page in the same browser.
    const { tokens, browser } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
    const sub = tokens.claims()!.sub;
    // Single sign-on: the account page asks for no new email.
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    expect(accountPage.url).toBe(`${running.sesame.url}/account`);
    expect(accountPage.html).toContain('href="/account/delete"');

    const confirm = await browser.navigate(`${running.sesame.url}/account/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('Delete your account?');
    expect(confirm.html).toContain(email);

    // Another address (or none) deletes nothing, and the page says why, at a GET address.
    for (const typed of ['someone-else@example.com', '']) {
      const refused = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email: typed } });
      expect(refused.url).toBe(`${running.sesame.url}/account/delete?problem=mismatch`);
      expect(refused.status).toBe(400);
      expect(refused.html).toContain('That is not the email address of this account');
      expect(refused.html).toContain('aria-invalid="true"');
      // The field the error is about takes the focus, so a screen reader reads the error with it
      // (views/partials/alert.ejs); the first visit does not jump into it.
      expect(refused.html).toMatch(/<input id="email"[^>]*\sautofocus\s[^>]*aria-describedby="form-error"/);
    }
    expect(confirm.html).not.toMatch(/\sautofocus\b/);
    expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();
    // A name the table does not hold shows no text, not even one inherited from Object.prototype.
    const unknown = await browser.navigate(`${running.sesame.url}/account/delete?problem=constructor`);
    expect(unknown.status).toBe(200);
    expect(unknown.html).not.toContain('role="alert"');

    // Typed as people type it: spaces around, other capitals.
    const deleted = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email: ` ${email.toUpperCase()} ` } });
    expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    expect(deleted.html).toContain('Your account is deleted');
    expect(deleted.html).toContain('starts a new, empty account');
    // Not a dead end: a way to sign in again (as a new account).
    expect(deleted.html).toContain('<a href="/account">Sign in again</a>');
    expect(await running.sesame.accounts.findByEmail(email)).toBeUndefined();
    expect(browser.cookieNames()).not.toContain('sesame_account');

    const notice = await noticeTo(email, 'Your account was deleted');
    expect(notice.text).toContain('From: Chrome on Linux');
    expect(notice.text).toContain('at a browser where you were signed in');
    expect(notice.text).not.toContain('/account');

    // The app's tokens stop working.
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The browser is asked for an email again; the same address now signs up as someone new.
    const pending = await running.rp.startAuthorization();
    const { emailForm, page } = await signInWithCodeAt(running, pending.url, email, browser);
    expect(emailForm.html).toContain('name="email"');
    // The deletion ended the browser's session itself: no old session (another account's) for
    // oidc-provider to end first with its self-submitting sign-out form.
    expect(page.html).not.toContain('name="xsrf"');
    const again = await running.rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(again.claims()!.sub).not.toBe(sub);
  });

  it('needs a fresh authenticator check when the account has one, and takes the authenticator\'s records with it', async () => {
    const email = 'leaving-with-totp@example.com';
    // Signed in to the page with the email alone; the authenticator is set up after (in another browser, say).
    const { browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    const { account, secret, recoveryCodes } = await accountWithTotp(running.sesame, email);
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    const { csrf } = formFields(accountPage.html, '/account/sign-out');
    // This session never passed the authenticator: a deletion is turned to a step-up first, and nothing is deleted.
    const early = await browser.request(`${running.sesame.url}/account/delete`, { form: { csrf: csrf!, email } });
    expect(early.status).toBe(302);
    expect(early.headers.get('location')).toBe('/account/sign-in?next=%2Faccount%2Fdelete&fresh=1');
    expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();

    // The step-up asks only for the authenticator and lands back on the confirmation page.
    const stepUp = await browser.navigate(`${running.sesame.url}/account/delete`);
    expect(stepUp.url).toMatch(/\/interaction\/[^/]+\/totp$/);
    const confirm = await submitTotp(browser, stepUp, { code: totpCode(secret, 1) });
    expect(confirm.url).toBe(`${running.sesame.url}/account/delete`);
    const deleted = await browser.navigate(confirm.url, { form: { ...formFields(confirm.html, '/account/delete'), email } });
    expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    expect(await running.sesame.accounts.findByEmail(email)).toBeUndefined();
    const modules = secondFactorOf(running.sesame);
    expect(await modules.recoveryCodes.remaining(account.id)).toBe(0);
    expect(await modules.recoveryCodes.redeem(account.id, recoveryCodes[0]!)).toBe(false);
  });

  it('a browser whose sign-in is older than 5 minutes proves the email again first (deleting, setting up an authenticator, changing the address)', async () => {
    const email = 'unattended-browser@example.com';
    const { browser } = await signInWithCode(running, email);
    const accountPage = await browser.navigate(`${running.sesame.url}/account`);
    expect(accountPage.url).toBe(`${running.sesame.url}/account`);
    const { csrf } = formFields(accountPage.html, '/account/sign-out');
    // Six minutes on, the browser is still signed in (single sign-on lasts days), but that proves
    // only that someone was at it then. Sesame runs in this process, so its clocks move too.
    const restoreClocks = moveClocksAhead(running.sesame.store, 6 * 60_000);
    try {
      for (const page of ['/account/delete', '/account/totp/enroll', '/account/email']) {
        const asked = await browser.request(`${running.sesame.url}${page}`);
        expect(asked.status).toBe(302);
        expect(asked.headers.get('location')).toBe(`/account/sign-in?next=${encodeURIComponent(page)}&fresh=email`);
      }
      const early = await browser.request(`${running.sesame.url}/account/delete`, { form: { csrf: csrf!, email } });
      expect(early.status).toBe(302);
      expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();

      // The email again (prompt=login: the session alone does not do), then the page that asked.
      const { emailForm, page } = await signInWithCodeAt(running, `${running.sesame.url}/account/delete`, email, browser);
      expect(emailForm.html).toContain('name="email"');
      expect(page.url).toBe(`${running.sesame.url}/account/delete`);
      expect(page.html).toContain('Delete your account?');
      const deleted = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(page.html, '/account/delete'), email } });
      expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    } finally {
      restoreClocks();
    }
  });

  it('shows only its own words: an address naming something else shows none', async () => {
    const { browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, 'own-words@example.com');
    for (const url of ['/account/delete?problem=constructor', '/account/delete?problem=__proto__', '/account?done=toString', '/account?done=constructor']) {
      const page = await browser.navigate(`${running.sesame.url}${url}`);
      expect(page.status).toBe(200);
      expect(page.html).not.toContain('role="alert"');
      expect(page.html).not.toMatch(/native code|\[object Object\]/);
    }
  });

  it('stays deleted when another browser changes the account at the same moment (the change is not written back)', async () => {
    const secretOn = (html: string) => /id="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replace(/ /g, '');
    for (let round = 0; round < 5; round++) {
      const email = `raced-deletion-${round}@example.com`;
      // Browser B, signed in to the account page, is setting up an authenticator; browser A deletes.
      const { browser: b } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
      const { browser: a } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
      const id = (await running.sesame.accounts.findByEmail(email))!.id;
      const enrol = await b.navigate(`${running.sesame.url}/account/totp/enroll`);
      const confirm = await a.navigate(`${running.sesame.url}/account/delete`);
      await Promise.all([
        a.request(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email } }),
        b.request(`${running.sesame.url}/account/totp/enroll`, { form: { ...formFields(enrol.html, '/account/totp/enroll'), code: totpCode(secretOn(enrol.html)) } }),
      ]);
      expect(await running.sesame.store.get(accountKey(id))).toBeUndefined();
      expect(await running.sesame.accounts.findByEmail(email)).toBeUndefined();
    }
  });

  it('deletes once when two browsers delete the account at the same moment: one notice, one audit line, and neither sees an error', async () => {
    const deletedNotices = (email: string) => running.smtp.messages.filter((mail) => mail.to === email && mail.subject === 'Sesame: Your account was deleted');
    for (let round = 0; round < 3; round++) {
      const email = `deleted-twice-${round}@example.com`;
      const { browser: a } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
      const { browser: b } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
      const id = (await running.sesame.accounts.findByEmail(email))!.id;
      const [confirmA, confirmB] = await Promise.all([a.navigate(`${running.sesame.url}/account/delete`), b.navigate(`${running.sesame.url}/account/delete`)]);
      const answers = await Promise.all([
        a.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirmA.html, '/account/delete'), email } }),
        b.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirmB.html, '/account/delete'), email } }),
      ]);
      // One deletes; the other finds the account gone, either already when it reads its session
      // (the page for a session that ended) or when it comes to delete (the deleted page). Never an error.
      const deletedPages = answers.filter((answer) => answer.url === `${running.sesame.url}/account/deleted`);
      expect(deletedPages.length).toBeGreaterThanOrEqual(1);
      for (const answer of deletedPages) {
        expect(answer.status).toBe(200);
        expect(answer.html).toContain('Your account is deleted');
      }
      for (const answer of answers.filter((page) => !deletedPages.includes(page))) {
        expect(answer.status).toBe(401);
        expect(answer.html).toContain('You are signed out of this page');
      }
      expect(await running.sesame.accounts.findByEmail(email)).toBeUndefined();
      await noticeTo(email, 'Your account was deleted');
      // A second notice would be in the same queue, queued before either answer: wait until the
      // queue has sent (or given up) everything it holds, held notices included.
      await running.sesame.mailIdle();
      expect(deletedNotices(email)).toHaveLength(1);
      expect(auditLines.filter((line) => line.event === 'account.deleted' && line.accountId === id)).toHaveLength(1);
    }
  });

  it('is not reachable without the page\'s session, and its form needs the CSRF token', async () => {
    const signedOut = await new HttpBrowser().request(`${running.sesame.url}/account/delete`);
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get('location')).toMatch(/^\/account\/sign-in/);

    const email = 'forged-deletion@example.com';
    const { browser } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    const forged = await browser.request(`${running.sesame.url}/account/delete`, { form: { email } });
    expect(forged.status).toBe(403);
    expect(await running.sesame.accounts.findByEmail(email)).toBeDefined();
  });
});
