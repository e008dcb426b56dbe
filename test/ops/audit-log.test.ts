import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import * as client from 'openid-client';
import { createLogger } from '../../src/logger.ts';
import { emailHashOf } from '../../src/observability/audit-log.ts';
import { formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { accountWithTotp, submitTotp, totpCode, wrongTotpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, sessionIdOf, signInWithCode, signInWithCodeAt, signInWithLink } from '../helpers/sign-in.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { DEVICE_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { DEVICE_DECISION_ACTION } from '../../src/device-flow/device-pages.ts';

// The audit trail of a real Sesame, read from its log stream. The logger is at warn, as an operator
// who quiets the request lines sets LOG_LEVEL: the audit lines must come all the same.
type Line = Record<string, unknown>;
const lines: Line[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
    done();
  },
});
// Codes lock after 3 wrong ones in a row here, so a lockout takes one sign-in.
const LOCK_AFTER = 3;
const running = useSesame({
  logger: createLogger({ level: 'warn', destination }),
  config: { clients: [TEST_CLIENT, DEVICE_CLIENT], signInCode: { ...testConfig({ issuer: 'http://unused' }).signInCode, maxConsecutiveFailures: LOCK_AFTER } },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ACCOUNT_PAGE = 'sesame-account';

/** The audit lines written while `action` ran. */
async function auditOf(action: () => Promise<unknown>): Promise<Line[]> {
  const from = lines.length;
  await action();
  return lines.slice(from).filter((line) => line.audit === true);
}
const eventsOf = (audit: Line[]) => audit.map((line) => line.event);
const emailHash = (address: string) => emailHashOf(running.sesame.config.hmacKey, address);

/** What every line written in a browser's request carries, beside its event's own fields. */
const fromTheBrowser = { level: 30, time: expect.any(Number), service: 'sesame', audit: true, via: 'http', ip: '127.0.0.1', browser: 'Chrome on Linux', requestId: expect.stringMatching(UUID) };

/** No string anywhere in the lines contains any of `secrets`. */
function expectNoneOf(audit: Line[], secrets: (string | undefined)[]) {
  const strings: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) collect(inner);
  };
  collect(audit);
  for (const secret of secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)) {
    expect(strings.filter((value) => value.includes(secret))).toEqual([]);
  }
}

describe('the audit log, at LOG_LEVEL=warn', () => {
  it('a sign-in by code: the mail asked for, the account made, the sign-in completed; nothing else, no request line', async () => {
    const email = 'by-code@example.com';
    const from = lines.length;
    let result!: Awaited<ReturnType<typeof signInWithCode>>;
    const audit = await auditOf(async () => (result = await signInWithCode(running, email)));
    const sub = result.tokens.claims()!.sub;
    expect(eventsOf(audit)).toEqual(['sign_in.mail_requested', 'account.created', 'sign_in.completed']);
    expect(audit[0]).toEqual({ ...fromTheBrowser, event: 'sign_in.mail_requested', clientId: TEST_CLIENT.client_id, emailHash: emailHash(email) });
    expect(audit[1]).toEqual({ ...fromTheBrowser, event: 'account.created', accountId: sub, clientId: TEST_CLIENT.client_id });
    expect(audit[2]).toEqual({ ...fromTheBrowser, event: 'sign_in.completed', accountId: sub, clientId: TEST_CLIENT.client_id, amr: ['email'], acr: 'urn:sesame:acr:email' });
    // Each in the request where it happened.
    expect(new Set(audit.map((line) => line.requestId)).size).toBe(3);
    // LOG_LEVEL=warn quieted the request lines, and only them.
    expect(lines.slice(from).filter((line) => line.audit !== true)).toEqual([]);
    const { mail, tokens, browser } = result;
    expectNoneOf(audit, [email, mail.code, mail.link, new URL(mail.link!).searchParams.get('t')!, tokens.access_token, tokens.id_token, sessionIdOf(browser, running.sesame.url)]);
  });

  it('a sign-in by link: the same, without an account made for an address that has one', async () => {
    const email = 'by-code@example.com';
    let result!: Awaited<ReturnType<typeof signInWithLink>>;
    const audit = await auditOf(async () => (result = await signInWithLink(running, email)));
    expect(eventsOf(audit)).toEqual(['sign_in.mail_requested', 'sign_in.completed']);
    expect(audit[1]).toEqual({ ...fromTheBrowser, event: 'sign_in.completed', accountId: result.tokens.claims()!.sub, clientId: TEST_CLIENT.client_id, amr: ['email'], acr: 'urn:sesame:acr:email' });
    expectNoneOf(audit, [email, result.mail.code, result.mail.link, new URL(result.mail.link!).searchParams.get('t')!]);
  });

  it('a link confirmed on another device with the wrong number: one line, which holds neither number (nor any field but these)', async () => {
    const email = 'phished@example.com';
    const { uid, checkPage, mail } = await requestSignInMail(running, email);
    const shown = /id="match-number">(\d+)</.exec(checkPage.html)![1]!;
    const wrong = shown === '10' ? '11' : '10';
    const phone = new HttpBrowser();
    const confirm = await phone.navigate(mail.link!);
    const audit = await auditOf(async () => {
      const rejected = await phone.navigate(`${running.sesame.url}/interaction/${uid}/link`, { form: { ...formFields(confirm.html, '/link'), number: wrong } });
      expect(rejected.status).toBe(400);
    });
    expect(audit).toEqual([{ ...fromTheBrowser, event: 'sign_in.link_number_rejected', clientId: TEST_CLIENT.client_id, emailHash: emailHash(email) }]);
    expectNoneOf(audit, [email, mail.code, mail.link, new URL(mail.link!).searchParams.get('t')!]);
  });

  it('single sign-on to another app: one line for the app, none for a sign-in that did not happen', async () => {
    const { tokens, browser } = await signInWithCode(running, 'sso@example.com');
    // The test app again, by the browser's session alone; it was consented to at the sign-in.
    const pending = await running.rp.startAuthorization();
    const audit = await auditOf(async () => running.rp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending));
    expect(audit).toEqual([{ ...fromTheBrowser, event: 'sign_in.single_sign_on', accountId: tokens.claims()!.sub, clientId: TEST_CLIENT.client_id }]);
  });

  it('a device refused at /device: "Don\'t allow", and "Cancel" during the sign-in "Allow" started, each write device.denied', async () => {
    const device = await startRelyingParty(running.sesame.url, DEVICE_CLIENT);
    const enterCode = async (browser: HttpBrowser) => {
      const { user_code: userCode } = await client.initiateDeviceAuthorization(device.config, { scope: 'openid email' });
      const form = await browser.navigate(`${running.sesame.url}/device`);
      return browser.navigate(`${running.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: userCode } });
    };
    const decide = (browser: HttpBrowser, confirmation: Page, decision: 'confirm' | 'abort') =>
      browser.navigate(`${running.sesame.url}${DEVICE_DECISION_ACTION}`, { form: { ...formFields(confirmation.html, DEVICE_DECISION_ACTION), [decision]: 'yes' } });

    // A browser not signed in presses "Don't allow".
    const stranger = new HttpBrowser();
    const denied = await auditOf(async () => decide(stranger, await enterCode(stranger), 'abort'));
    expect(denied).toEqual([{ ...fromTheBrowser, event: 'device.denied', clientId: DEVICE_CLIENT.client_id }]);

    // "Allow", then "Cancel" on the email form of the sign-in it started.
    const emailForm = await decide(stranger, await enterCode(stranger), 'confirm');
    const uid = emailForm.url.split('/').pop()!;
    const cancelled = await auditOf(() => stranger.navigate(`${running.sesame.url}/interaction/${uid}/abort`, { form: { csrf: formFields(emailForm.html, '/abort').csrf! } }));
    expect(cancelled).toEqual([{ ...fromTheBrowser, event: 'device.denied', clientId: DEVICE_CLIENT.client_id }]);

    // A signed-in browser: the line names the account that refused.
    const { tokens, browser } = await signInWithCode(running, 'tv-refuser@example.com');
    const confirmation = await enterCode(browser);
    expect(await auditOf(() => decide(browser, confirmation, 'abort'))).toEqual([{ ...fromTheBrowser, event: 'device.denied', clientId: DEVICE_CLIENT.client_id, accountId: tokens.claims()!.sub }]);
  });

  it('a mail asked for an address without an account reads as one asked for an address with one', async () => {
    const known = await auditOf(() => requestSignInMail(running, 'by-code@example.com'));
    const unknown = await auditOf(() => requestSignInMail(running, 'nobody-here@example.com'));
    const shape = (line: Line) => Object.keys(line).sort();
    expect(unknown.map(shape)).toEqual(known.map(shape));
    expect(unknown[0]).toMatchObject({ event: 'sign_in.mail_requested', emailHash: emailHash('nobody-here@example.com') });
    expect(unknown[0]!.emailHash).not.toBe(known[0]!.emailHash);
  });

  it('with an authenticator: a wrong code, the right one; then a recovery code', async () => {
    const email = 'two-steps@example.com';
    const { account, secret, recoveryCodes } = await accountWithTotp(running.sesame, email);
    const secrets = [email, secret, ...recoveryCodes];

    const signIn = async (answer: (prompt: Page, browser: HttpBrowser) => Promise<Page & { leftTo?: string }>) => {
      const { pending, uid, browser, checkPage, mail } = await requestSignInMail(running, email);
      secrets.push(mail.code!, mail.link!);
      const prompt = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
      await running.rp.handleCallback(await finishAtApp(browser, await answer(prompt, browser)), pending);
    };
    const wrong = wrongTotpCode(secret);
    const right = totpCode(secret, 1);
    secrets.push(wrong, right);
    const withTotp = await auditOf(() => signIn(async (prompt, browser) => submitTotp(browser, await submitTotp(browser, prompt, { code: wrong }), { code: right })));
    expect(eventsOf(withTotp)).toEqual(['sign_in.mail_requested', 'second_factor.rejected', 'sign_in.completed']);
    expect(withTotp[1]).toEqual({ ...fromTheBrowser, event: 'second_factor.rejected', accountId: account.id, clientId: TEST_CLIENT.client_id, factor: 'totp', reason: 'wrong' });
    expect(withTotp[2]).toMatchObject({ event: 'sign_in.completed', accountId: account.id, amr: ['email', 'otp', 'mfa'], acr: 'urn:sesame:acr:mfa' });

    const withRecoveryCode = await auditOf(() => signIn((prompt, browser) => submitTotp(browser, prompt, { recovery_code: recoveryCodes[0]! })));
    expect(eventsOf(withRecoveryCode)).toEqual(['sign_in.mail_requested', 'recovery_code.used', 'sign_in.completed']);
    expect(withRecoveryCode[1]).toEqual({ ...fromTheBrowser, event: 'recovery_code.used', accountId: account.id, clientId: TEST_CLIENT.client_id });
    expect(withRecoveryCode[2]).toMatchObject({ amr: ['email', 'recovery_code', 'mfa'], acr: 'urn:sesame:acr:mfa' });
    expectNoneOf([...withTotp, ...withRecoveryCode], secrets);
  });

  it('wrong codes until the address locks: each refusal, and the lockout once, when it begins', async () => {
    const email = 'guessed@example.com';
    const { uid, browser, checkPage, mail } = await requestSignInMail(running, email);
    const { csrf } = formFields(checkPage.html, '/code');
    const wrong = mail.code === '000000' ? '111111' : '000000';
    const audit = await auditOf(async () => {
      for (let i = 0; i < LOCK_AFTER + 1; i++) await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { csrf: csrf!, code: wrong } });
    });
    const rejected = { ...fromTheBrowser, event: 'sign_in.code_rejected', clientId: TEST_CLIENT.client_id, emailHash: emailHash(email), reason: 'wrong' };
    expect(audit).toEqual([rejected, rejected, { ...fromTheBrowser, event: 'lockout.begun', streak: 'sign-in', emailHash: emailHash(email) }, rejected, rejected]);
    // The lockout began in the request of the third wrong code.
    expect(audit[2]!.requestId).toBe(audit[3]!.requestId);
    expectNoneOf(audit, [email, mail.code, wrong, mail.link]);
  });

  it('the account page: every change to the account, in the order made', async () => {
    const email = 'page-owner@example.com';
    const url = running.sesame.url;
    const browser = new HttpBrowser();
    const secrets: (string | undefined)[] = [email];
    const formOn = (page: Page, action: string) => formFields(page.html, action);

    const signIn = await auditOf(() => signInWithCodeAt(running, `${url}/account`, email, browser));
    expect(eventsOf(signIn)).toEqual(['sign_in.mail_requested', 'account.created', 'sign_in.completed']);
    const accountId = signIn[1]!.accountId;
    expect(signIn[2]).toMatchObject({ clientId: ACCOUNT_PAGE, accountId, amr: ['email'] });
    const owner = { ...fromTheBrowser, accountId };

    let codesPage!: Page;
    let secret = '';
    expect(await auditOf(async () => {
      const enrol = await browser.navigate(`${url}/account/totp/enroll`);
      secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(enrol.html)![1]!.replace(/ /g, '');
      codesPage = await browser.navigate(`${url}/account/totp/enroll`, { form: { ...formOn(enrol, '/account/totp/enroll'), code: totpCode(secret) } });
    })).toEqual([{ ...owner, event: 'second_factor.added' }]);
    secrets.push(secret, ...[...codesPage.html.matchAll(/<code>([0-9a-z]{5}-[0-9a-z]{5})<\/code>/g)].map((m) => m[1]));

    let renewed!: Page;
    const renewal = await auditOf(async () => {
      const confirm = await submitTotp(browser, await browser.navigate(`${url}/account/recovery-codes`), { code: totpCode(secret, 1) });
      renewed = await browser.navigate(confirm.url, { form: formOn(confirm, '/account/recovery-codes') });
    });
    secrets.push(...[...renewed.html.matchAll(/<code>([0-9a-z]{5}-[0-9a-z]{5})<\/code>/g)].map((m) => m[1]));
    // The step-up the page asked for is a sign-in of its own.
    expect(eventsOf(renewal)).toEqual(['sign_in.completed', 'recovery_codes.renewed']);
    expect(renewal[0]).toMatchObject({ clientId: ACCOUNT_PAGE, amr: ['email', 'otp', 'mfa'] });
    expect(renewal[1]).toEqual({ ...owner, event: 'recovery_codes.renewed' });

    const accountPage = () => browser.navigate(`${url}/account`);
    const csrf = async () => formOn(await accountPage(), '/account/sign-out').csrf!;
    expect(await auditOf(async () => {
      const removal = await browser.navigate(`${url}/account/totp/remove`);
      await browser.navigate(`${url}/account/totp/remove`, { form: formOn(removal, '/account/totp/remove') });
    })).toEqual([{ ...owner, event: 'second_factor.removed' }]);
    expect(await auditOf(async () => browser.request(`${url}/account/export`, { form: { csrf: await csrf() } }))).toEqual([{ ...owner, event: 'account.exported' }]);
    expect(await auditOf(async () => browser.navigate(`${url}/account/devices/forget`, { form: { csrf: await csrf(), device: 'all' } }))).toEqual([{ ...owner, event: 'remembered_browser.forgotten', which: 'all' }]);

    // Another browser signed in (to the app), then signed out from this page.
    const other = await auditOf(() => signInWithCode({ ...running, browser: new HttpBrowser() }, email));
    expect(eventsOf(other)).toEqual(['sign_in.mail_requested', 'sign_in.completed']);
    expect(await auditOf(async () => browser.navigate(`${url}/account/browsers/sign-out`, { form: { csrf: await csrf(), browser: 'others' } }))).toEqual([
      { ...owner, event: 'browsers.signed_out', which: 'others', sessionsEnded: 1 },
    ]);

    // This browser signs in to the app by single sign-on, then takes the app's access away.
    const pending = await running.rp.startAuthorization();
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending);
    secrets.push(tokens.access_token, tokens.id_token);
    expect(await auditOf(async () => browser.navigate(`${url}/account/apps/remove`, { form: { csrf: await csrf(), app: TEST_CLIENT.client_id } }))).toEqual([
      { ...owner, event: 'app_access.removed', clientId: TEST_CLIENT.client_id, grantsRevoked: 1 },
    ]);

    const newEmail = 'page-owner-moved@example.com';
    secrets.push(newEmail);
    const moved = await auditOf(async () => {
      const { page } = await requestEmailChange(url, browser, newEmail);
      const code = (await emailChangeCodeTo(running.smtp, newEmail)).code!;
      secrets.push(code);
      await enterEmailChangeCode(url, browser, page, code);
    });
    expect(moved).toEqual([{ ...owner, event: 'email_change.requested', emailHash: emailHash(newEmail) }, { ...owner, event: 'email.changed' }]);

    expect(await auditOf(async () => {
      const confirm = await browser.navigate(`${url}/account/delete`);
      await browser.navigate(`${url}/account/delete`, { form: { ...formOn(confirm, '/account/delete'), email: newEmail } });
    })).toEqual([{ ...owner, event: 'account.deleted' }]);
    expectNoneOf(lines.filter((line) => line.accountId === accountId), secrets);
  });

  it('a change of address asked for, then wrong codes until the new address locks: each line, the new address as a hash only', async () => {
    const url = running.sesame.url;
    const browser = new HttpBrowser();
    const signIn = await auditOf(() => signInWithCodeAt(running, `${url}/account`, 'mover@example.com', browser));
    const owner = { ...fromTheBrowser, accountId: signIn[1]!.accountId };
    const newEmail = 'mover-new@example.com';
    let page!: Page;
    let code = '';
    const requested = await auditOf(async () => {
      page = (await requestEmailChange(url, browser, newEmail)).page;
      code = (await emailChangeCodeTo(running.smtp, newEmail)).code!;
    });
    expect(requested).toEqual([{ ...owner, event: 'email_change.requested', emailHash: emailHash(newEmail) }]);

    const wrong = code === '000000' ? '111111' : '000000';
    const guesses = await auditOf(async () => {
      for (let i = 0; i < LOCK_AFTER + 1; i++) page = await enterEmailChangeCode(url, browser, page, wrong);
    });
    const rejected = (reason: string) => ({ ...owner, event: 'email_change.code_rejected', emailHash: emailHash(newEmail), reason });
    // The third wrong code locks the new address; the fourth is not compared at all.
    expect(guesses).toEqual([
      rejected('wrong'),
      rejected('wrong'),
      { ...fromTheBrowser, event: 'lockout.begun', streak: 'sign-in', emailHash: emailHash(newEmail) },
      rejected('wrong'),
      rejected('locked'),
    ]);
    expectNoneOf([...requested, ...guesses], ['mover@example.com', newEmail, code, wrong]);
  });

  it('signing out of Sesame, and of one app only', async () => {
    const logOut = async (everywhere: boolean) => {
      const { tokens, browser } = await signInWithCode(running, 'leaving@example.com');
      const page = await browser.navigate(client.buildEndSessionUrl(running.rp.config, { id_token_hint: tokens.id_token! }).href);
      const fields = formFields(page.html, '/session/end/confirm');
      return { sub: tokens.claims()!.sub, audit: await auditOf(() => browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: everywhere ? { ...fields, logout: 'yes' } : fields })) };
    };
    const everywhere = await logOut(true);
    expect(everywhere.audit).toEqual([{ ...fromTheBrowser, event: 'session.signed_out', accountId: everywhere.sub, clientId: TEST_CLIENT.client_id, allApps: true }]);
    const oneApp = await logOut(false);
    expect(oneApp.audit).toEqual([{ ...fromTheBrowser, event: 'session.signed_out', accountId: oneApp.sub, clientId: TEST_CLIENT.client_id, allApps: false }]);
  });

  // At the token endpoint the user agent is the app's HTTP library: no browser is named.
  const { browser: _none, ...fromTheApp } = fromTheBrowser;

  it('a refresh token used: a line for each use; used twice: its grant is revoked, and the line names the app and the account', async () => {
    const { tokens } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'refreshing@example.com');
    let refreshed!: client.TokenEndpointResponse;
    const used = await auditOf(async () => (refreshed = await client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)));
    expect(used).toEqual([{ ...fromTheApp, event: 'token.refreshed', clientId: TEST_CLIENT.client_id, accountId: tokens.claims()!.sub }]);
    expectNoneOf(used, [tokens.refresh_token, refreshed.refresh_token, refreshed.access_token]);
    const audit = await auditOf(() => client.refreshTokenGrant(running.rp.config, tokens.refresh_token!).catch(() => undefined));
    expect(audit).toEqual([{ ...fromTheApp, event: 'token.reuse_detected', clientId: TEST_CLIENT.client_id, accountId: tokens.claims()!.sub, grantType: 'refresh_token' }]);
    expectNoneOf(audit, [tokens.refresh_token, refreshed.refresh_token, refreshed.access_token]);
  });

  it('a refresh token used twice at once: one line, naming the app and the account', async () => {
    // Two uses that both read the token before either consumed it: the loser of the race revokes
    // the grant in the store adapter, where the library's grant.revoked never fires. (Had one read
    // it consumed, the library's revocation writes the line: one line either way.)
    const { tokens } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'racing@example.com');
    let refused = 0;
    const audit = await auditOf(() => Promise.all([1, 2].map(() => client.refreshTokenGrant(running.rp.config, tokens.refresh_token!).catch(() => void refused++))));
    expect(refused).toBe(1);
    expect(audit.filter((line) => line.event === 'token.reuse_detected')).toEqual([{ ...fromTheApp, event: 'token.reuse_detected', clientId: TEST_CLIENT.client_id, accountId: tokens.claims()!.sub, grantType: 'refresh_token' }]);
  });

  it('an authorization code used twice: the same, with the account the used code names', async () => {
    const { pending, uid, browser, checkPage, mail } = await requestSignInMail(running, 'exchanging@example.com');
    const callback = await finishAtApp(browser, await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } }));
    const tokens = await running.rp.handleCallback(callback, pending);
    const audit = await auditOf(() => running.rp.handleCallback(callback, pending).catch(() => undefined));
    expect(audit).toEqual([{ ...fromTheApp, event: 'token.reuse_detected', clientId: TEST_CLIENT.client_id, accountId: tokens.claims()!.sub, grantType: 'authorization_code' }]);
    expectNoneOf(audit, [new URL(callback).searchParams.get('code')!]);
  });

  it('a device code used twice: the same, with the account the device was given', async () => {
    const { tokens: signedIn, browser } = await signInWithCode(running, 'tv-twice@example.com');
    const device = await startRelyingParty(running.sesame.url, DEVICE_CLIENT);
    const started = await client.initiateDeviceAuthorization(device.config, { scope: 'openid email' });
    const form = await browser.navigate(`${running.sesame.url}/device`);
    const confirmation = await browser.navigate(`${running.sesame.url}/device`, { form: { ...formFields(form.html, '/device'), user_code: started.user_code } });
    await browser.navigate(`${running.sesame.url}${DEVICE_DECISION_ACTION}`, { form: { ...formFields(confirmation.html, DEVICE_DECISION_ACTION), confirm: 'yes' } });
    await client.pollDeviceAuthorizationGrant(device.config, started);
    const audit = await auditOf(() => fetch(`${running.sesame.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code, client_id: DEVICE_CLIENT.client_id }),
    }));
    expect(audit).toEqual([{ ...fromTheApp, event: 'token.reuse_detected', clientId: DEVICE_CLIENT.client_id, accountId: signedIn.claims()!.sub, grantType: 'urn:ietf:params:oauth:grant-type:device_code' }]);
    expectNoneOf(audit, [started.device_code, started.user_code]);
  });

  it('never holds an address that was typed', () => {
    expect(lines.filter((line) => line.audit === true).length).toBeGreaterThan(30);
    expect(JSON.stringify(lines)).not.toContain('@example.com');
  });
});

/** Another Sesame on the same Redis and mail sink, whose log lines land in the returned array. */
async function startOwnSesame(config: Parameters<typeof startSesame>[0]['config']) {
  const own: Line[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const text of String(chunk).split('\n').filter(Boolean)) own.push(JSON.parse(text) as Line);
        done();
      },
    }),
  });
  const sesame = await startSesame({ redisUrl: running.redis.url, smtpUrl: running.smtp.url, logger, config });
  return { sesame, own, rp: await startRelyingParty(sesame.url) };
}

describe('AUDIT_LOG=off', () => {
  it('writes no audit line, and leaves the others as they are', async () => {
    const { sesame, own, rp } = await startOwnSesame({ auditLog: 'off' });
    try {
      await signInWithCode({ rp, smtp: running.smtp }, 'unaudited@example.com');
      expect(own.filter((line) => line.msg === 'request').length).toBeGreaterThan(5);
      expect(own.filter((line) => 'audit' in line)).toEqual([]);
    } finally {
      await sesame.close();
    }
  });
});

describe('behind a proxy (TRUST_PROXY=true)', () => {
  it('names the client the proxy saw: the last X-Forwarded-For entry, a whole IPv6 address', async () => {
    const { sesame, own, rp } = await startOwnSesame({ trustProxy: true });
    try {
      for (const [forwardedFor, ip] of [['198.51.100.7', '198.51.100.7'], ['203.0.113.9, 2001:db8::17', '2001:db8::17']] as const) {
        const from = own.length;
        await signInWithCode({ rp, smtp: running.smtp, browser: new HttpBrowser(undefined, { 'x-forwarded-for': forwardedFor }) }, 'proxied@example.com');
        const audit = own.slice(from).filter((line) => line.audit === true);
        expect(audit.length).toBeGreaterThan(1);
        expect(audit.map((line) => line.ip)).toEqual(audit.map(() => ip));
      }
    } finally {
      await sesame.close();
    }
  });
});

describe('the README', () => {
  it('has a row of the audit-log table for every event Sesame can write', () => {
    const events = [...readFileSync('src/observability/audit-log.ts', 'utf8').matchAll(/\{ event: '([a-z_.]+)'/g)].map((m) => m[1]!);
    const rows = readFileSync('README.md', 'utf8').split('\n').filter((line) => line.startsWith('| `'));
    expect(events.length).toBeGreaterThan(30);
    expect(events.filter((event) => !rows.some((row) => row.split(' | ')[0]!.includes(`\`${event}\``)))).toEqual([]);
  });
});
