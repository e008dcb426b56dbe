import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createLockout } from '../../src/auth/lockout.ts';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { totpEnrollmentKey } from '../../src/store/keys.ts';
import { decodeEntities, formFields, HttpBrowser, type Page } from '../helpers/http-browser.ts';
import { startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { accountWithTotp, secondFactorOf, submitTotp, totpCode, wrongTotpCode } from '../helpers/second-factor.ts';
import { finishAtApp, requestSignInMail, signInWithCode, type SignInContext } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { FIRST_PARTY_CLIENT, TEST_CLIENT, testConfig } from '../helpers/test-config.ts';

const MFA = 'urn:sesame:acr:mfa';
const EMAIL_ACR = 'urn:sesame:acr:email';

// `mfa` defaults to optional: TEST_CLIENT asks people who have an authenticator.
const STRICT_CLIENT: ClientRegistration = { ...TEST_CLIENT, client_id: 'strict-app', client_name: 'Strict App', redirect_uris: ['http://127.0.0.1:9/strict'], mfa: 'required', remember_device: false };
const RELAXED_CLIENT: ClientRegistration = { ...TEST_CLIENT, client_id: 'relaxed-app', client_name: 'Relaxed App', redirect_uris: ['http://127.0.0.1:9/relaxed'], mfa: 'off' };

let redis: StartedRedis;
let smtp: SmtpSink;
let sesame: RunningSesame;
let twin: RunningSesame;
let rp: RelyingParty;
let strictRp: RelyingParty;
let relaxedRp: RelyingParty;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  const keyPrefix = uniquePrefix('totp');
  sesame = await startSesame({
    redisUrl: redis.url,
    smtpUrl: smtp.url,
    keyPrefix,
    config: {
      clients: [TEST_CLIENT, FIRST_PARTY_CLIENT, STRICT_CLIENT, RELAXED_CLIENT],
      secondFactor: { rememberDeviceDays: 30, enrollmentSeconds: 900, maxAttemptsPerSignIn: 3, accountAttempts: { limit: 12, windowSeconds: 900 }, maxConsecutiveFailures: 6, lockoutSeconds: 3600 },
      // Every sign-in here comes from 127.0.0.1: more mails and codes than one client's budget.
      rateLimits: { ...testConfig({ issuer: 'http://unused' }).rateLimits, signInMailPerIp: { limit: 60, windowSeconds: 900 }, codeEntriesPerIp: { limit: 120, windowSeconds: 900 } },
    },
  });
  // A second instance on the same Redis and secrets: scale-out, as behind a load balancer.
  const { cookieKeys, hmacKey, encryptionKeys, clients, secondFactor, rateLimits } = sesame.config;
  twin = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, keyPrefix, config: { cookieKeys: [...cookieKeys], hmacKey, encryptionKeys, clients: clients.map((c) => ({ ...c })), secondFactor: { ...secondFactor }, rateLimits: { ...rateLimits } } });
  rp = await startRelyingParty(sesame.url);
  strictRp = await startRelyingParty(sesame.url, STRICT_CLIENT);
  relaxedRp = await startRelyingParty(sesame.url, RELAXED_CLIENT);
});

afterAll(async () => {
  await twin?.close();
  await sesame?.close();
  await smtp?.stop();
  await redis?.stop();
});

/** Email code typed in; returns the page the sign-in went to next (the authenticator prompt, or the app). */
async function proveEmail(context: SignInContext, email: string) {
  const { pending, uid, browser, mail, checkPage, origin } = await requestSignInMail(context, email);
  const page = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(checkPage.html, '/code'), code: mail.code! } });
  return { pending, uid, browser, page };
}

const isTotpPrompt = (page: Page) => /\/interaction\/[^/]+\/totp$/.test(page.url) && page.html.includes('name="code"');

describe('discovery', () => {
  it('advertises both acr values and the acr, amr and auth_time claims', async () => {
    const discovery = (await (await fetch(`${sesame.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
    expect(discovery.acr_values_supported).toEqual([EMAIL_ACR, MFA]);
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr', 'auth_time']));
  });
});

describe('sign-in with an authenticator', () => {
  it('asks for the code after the email, and only then lets the app in: acr, amr and auth_time tell the truth', async () => {
    const { secret, account } = await accountWithTotp(sesame, 'totp-user@example.com');
    const started = Math.floor(Date.now() / 1000);
    const { pending, browser, page } = await proveEmail({ rp, smtp }, 'totp-user@example.com');
    expect(page.leftTo).toBeUndefined();
    expect(isTotpPrompt(page)).toBe(true);
    expect(page.html).toContain('totp-user@example.com');

    // The email alone made no session: another app in this browser still asks who you are.
    const meanwhile = await browser.navigate((await rp.startAuthorization()).url);
    expect(meanwhile.html).toContain('name="email"');

    const done = await submitTotp(browser, page, { code: totpCode(secret) });
    const tokens = await rp.handleCallback(await finishAtApp(browser, done), pending);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(account.id);
    expect(claims.acr).toBe(MFA);
    expect(claims.amr).toEqual(['email', 'otp', 'mfa']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(started);
  });

  it('answers a wrong code or a malformed one with the form again; the right one still works', async () => {
    const { secret } = await accountWithTotp(sesame, 'typo@example.com');
    const { pending, browser, page } = await proveEmail({ rp, smtp }, 'typo@example.com');
    const malformed = await submitTotp(browser, page, { code: '12345' });
    expect([malformed.status, malformed.url]).toEqual([200, `${page.url}?error=shape`]);
    expect(malformed.html).toContain('Enter the 6-digit code');
    const wrong = await submitTotp(browser, page, { code: wrongTotpCode(secret) });
    expect([wrong.status, wrong.url]).toEqual([200, `${page.url}?error=wrong&left=2`]);
    expect(wrong.html).toContain('That code is not right. 2 tries left.');
    const spaced = totpCode(secret);
    const done = await submitTotp(browser, page, { code: `${spaced.slice(0, 3)} ${spaced.slice(3)}` });
    expect((await rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!.acr).toBe(MFA);
  });

  it('accepts a recovery code instead, once', async () => {
    const { recoveryCodes } = await accountWithTotp(sesame, 'lost-phone@example.com');
    const first = await proveEmail({ rp, smtp }, 'lost-phone@example.com');
    const done = await submitTotp(first.browser, first.page, { recovery_code: recoveryCodes[3]!.toUpperCase() });
    const claims = (await rp.handleCallback(await finishAtApp(first.browser, done), first.pending)).claims()!;
    expect(claims.acr).toBe(MFA);
    expect(claims.amr).toEqual(['email', 'recovery_code', 'mfa']);
    // The holder hears of it by mail: a code fewer, and a sign-in without the authenticator.
    const notice = await smtp.waitForMail('lost-phone@example.com', { match: (mail) => mail.subject === 'Sesame: A recovery code was used to sign in to your account' });
    expect(notice.text).toContain('That code no longer works.');

    const second = await proveEmail({ rp, smtp }, 'lost-phone@example.com');
    const reused = await submitTotp(second.browser, second.page, { recovery_code: recoveryCodes[3]! });
    expect(reused.url).toMatch(/\/totp\?error=wrong&field=recovery-code&left=\d$/);
    expect(reused.html).toContain('That recovery code is not right, or it was already used.');
    // Focus goes to the field whose error the page shows, so a screen reader reads it out.
    expect(/<input[^>]*id="recovery-code"[^>]*>/.exec(reused.html)![0]).toContain('autofocus');
    expect(/<input[^>]*id="code"[^>]*>/.exec(reused.html)![0]).not.toContain('autofocus');
    const malformed = await submitTotp(second.browser, second.page, { recovery_code: 'not-a-code' });
    expect(malformed.url).toBe(`${second.page.url}?error=shape&field=recovery-code`);
    expect(malformed.html).toContain('Enter one of your recovery codes');
  });

  it('never accepts a code twice, also on another instance sharing the Redis', async () => {
    const { secret } = await accountWithTotp(sesame, 'replay@example.com');
    const code = totpCode(secret);
    const first = await proveEmail({ rp, smtp }, 'replay@example.com');
    await rp.handleCallback(await finishAtApp(first.browser, await submitTotp(first.browser, first.page, { code })), first.pending);

    // Same instance, another sign-in.
    const again = await proveEmail({ rp, smtp }, 'replay@example.com');
    const replayed = await submitTotp(again.browser, again.page, { code });
    expect(replayed.url).toBe(`${again.page.url}?error=used`);
    expect(replayed.html).toContain('That code was already used');

    // The other instance: its own sign-in, the same code.
    const twinRp = await startRelyingParty(twin.url);
    const elsewhere = await proveEmail({ rp: twinRp, smtp }, 'replay@example.com');
    expect(isTotpPrompt(elsewhere.page)).toBe(true);
    const replayedElsewhere = await submitTotp(elsewhere.browser, elsewhere.page, { code });
    expect(replayedElsewhere.url).toBe(`${elsewhere.page.url}?error=used`);
    expect(replayedElsewhere.html).toContain('That code was already used');
  });

  it('a fresh code sent to both instances at once signs in exactly once', async () => {
    const { secret } = await accountWithTotp(sesame, 'race-totp@example.com');
    const twinRp = await startRelyingParty(twin.url);
    const [here, there] = await Promise.all([proveEmail({ rp, smtp }, 'race-totp@example.com'), proveEmail({ rp: twinRp, smtp }, 'race-totp@example.com')]);
    const code = totpCode(secret, 1);
    const responses = await Promise.all(
      [here, there].map(({ browser, page }) => browser.request(page.url, { form: { csrf: formFields(page.html, '/totp').csrf!, code } })),
    );
    // Both are redirects: one on to the app, the other back to its prompt, which says the code was used.
    const locations = responses.map((r) => r.headers.get('location')!);
    expect(locations.filter((location) => location.endsWith('/totp?error=used'))).toHaveLength(1);
    expect(locations.filter((location) => location.includes('/auth/'))).toHaveLength(1);
  });

  it('limits wrong codes per sign-in, then locks the second factor after consecutive failures until unlocked', async () => {
    const { secret } = await accountWithTotp(sesame, 'guesser@example.com');
    const wrong = wrongTotpCode(secret);
    const first = await proveEmail({ rp, smtp }, 'guesser@example.com');
    for (const left of ['2 tries left', '1 try left', 'That was the last try for now: go back to Test App and start again in a while.']) {
      expect((await submitTotp(first.browser, first.page, { code: wrong })).html).toContain(left);
    }
    const spent = await submitTotp(first.browser, first.page, { code: totpCode(secret) });
    expect(spent.url).toBe(`${first.page.url}?error=spent`);
    expect(spent.html).toContain('Too many wrong codes for this sign-in');

    // Three more wrong codes in a new sign-in make six in a row: the lockout's ceiling here.
    const second = await proveEmail({ rp, smtp }, 'guesser@example.com');
    await submitTotp(second.browser, second.page, { code: wrong });
    await submitTotp(second.browser, second.page, { recovery_code: 'zzzzz-zzzzz' });
    const locked = await submitTotp(second.browser, second.page, { code: wrong });
    expect(locked.url).toBe(`${second.page.url}?error=locked`);
    expect(locked.html).toContain('locked');
    const third = await proveEmail({ rp, smtp }, 'guesser@example.com');
    const stillLocked = await submitTotp(third.browser, third.page, { code: totpCode(secret) });
    expect(stillLocked.url).toBe(`${third.page.url}?error=locked`);

    // The operator's unlock (subject: the email address) clears it; the right code works again.
    await createLockout({ store: sesame.store, hmacKey: sesame.config.hmacKey }).unlock('guesser@example.com');
    const fourth = await proveEmail({ rp, smtp }, 'guesser@example.com');
    const done = await submitTotp(fourth.browser, fourth.page, { code: totpCode(secret) });
    expect(await finishAtApp(fourth.browser, done)).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });
});

describe('client policy', () => {
  it('a HEAD of the sign-in\'s set-up page makes no secret; its GET does', async () => {
    const { browser, page } = await proveEmail({ rp: strictRp, smtp }, 'head-first@example.com');
    expect(page.url).toMatch(/\/totp\/enroll$/);
    const { id } = (await sesame.accounts.findByEmail('head-first@example.com'))!;
    // As before the page was first opened: no secret waits.
    await sesame.store.delete(totpEnrollmentKey(id));
    const head = await browser.request(page.url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await sesame.store.get(totpEnrollmentKey(id))).toBeUndefined();
    const shown = await browser.navigate(page.url);
    expect(shown.html).toContain('Set up an authenticator app');
    expect(await sesame.store.get(totpEnrollmentKey(id))).toBeDefined();
  });

  it('mfa "required": a person without an authenticator sets one up during sign-in, sees recovery codes once, then continues', async () => {
    const { pending, browser, page } = await proveEmail({ rp: strictRp, smtp }, 'newcomer@example.com');
    expect(page.url).toMatch(/\/totp\/enroll$/);
    expect(page.html).toContain('Set up an authenticator app');
    expect(page.html).toMatch(/<svg[^>]*>/);
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.html)![1]!.replace(/ /g, '');
    const uri = decodeURIComponent(/id="totp-uri"[^>]*|href="(otpauth:[^"]+)"/.exec(page.html)![1]!.replace(/&amp;/g, '&'));
    expect(uri).toBe(`otpauth://totp/Sesame:newcomer@example.com?secret=${secret}&issuer=Sesame&algorithm=SHA1&digits=6&period=30`);

    const { csrf } = formFields(page.html, '/totp/enroll');
    const wrong = await browser.navigate(page.url, { form: { csrf: csrf!, code: wrongTotpCode(secret) } });
    expect([wrong.status, wrong.url]).toEqual([200, `${page.url}?error=wrong`]);
    expect(/<input[^>]*id="code"[^>]*>/.exec(wrong.html)![0]).toContain('autofocus');
    expect(wrong.html).toContain('That code does not match');
    expect(/id="totp-secret">([A-Z2-7 ]+)</.exec(wrong.html)![1]!.replace(/ /g, '')).toBe(secret);

    const codesPage = await browser.navigate(page.url, { form: { csrf: csrf!, code: totpCode(secret) } });
    expect([codesPage.status, codesPage.url]).toEqual([200, page.url.replace(/\/totp\/enroll$/, '/recovery-codes')]);
    const codes = [...codesPage.html.matchAll(/<li><code>([0-9a-z]{5}-[0-9a-z]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    await smtp.waitForMail('newcomer@example.com', { match: (mail) => mail.subject === 'Sesame: An authenticator app was set up for your account' });
    // Shown once: the same page again says so, and offers the way on to the app.
    const reloaded = await browser.navigate(codesPage.url);
    expect(reloaded.html).toContain('Your recovery codes are not shown again');
    for (const code of codes) expect(reloaded.html).not.toContain(code);
    const continueUrl = decodeEntities(/<a class="button primary" href="([^"]+)"/.exec(reloaded.html)![1]!);
    // Reloading a step, going back to it, or sending the enrolment again, instead of pressing
    // Continue: the sign-in is done, so each one goes on to the app rather than showing a step again.
    for (const step of ['', '/totp/enroll', '/totp']) {
      const response = await browser.request(`${sesame.url}/interaction/${page.url.split('/').at(-3)}${step}`);
      expect([step, response.status, response.headers.get('location')]).toEqual([step, 303, new URL(continueUrl, sesame.url).href]);
    }
    const resent = await browser.navigate(page.url, { form: { csrf: csrf!, code: totpCode(secret) } });
    expect(resent.html).not.toContain('name="email"');
    const done = resent.leftTo ? resent : await browser.navigate(new URL(continueUrl, sesame.url).href);
    const claims = (await strictRp.handleCallback(await finishAtApp(browser, done), pending)).claims()!;
    expect(claims).toMatchObject({ acr: MFA, amr: ['email', 'otp', 'mfa'], email: 'newcomer@example.com' });
    expect((await sesame.accounts.findByEmail('newcomer@example.com'))!.totp).toBeDefined();
  });

  it('mfa "off": email alone signs in, and that session is stepped up before an app that asks for more', async () => {
    const { secret, account } = await accountWithTotp(sesame, 'off@example.com');
    const { tokens, browser } = await signInWithCode({ rp: relaxedRp, smtp }, 'off@example.com');
    expect(tokens.claims()).toMatchObject({ acr: EMAIL_ACR, amr: ['email'] });

    // An optional app in the same browser: the single-factor session is not passed through.
    const pending = await rp.startAuthorization();
    const prompt = await browser.navigate(pending.url);
    expect(isTotpPrompt(prompt)).toBe(true);
    expect(prompt.html).not.toContain('name="email"');
    const done = await submitTotp(browser, prompt, { code: totpCode(secret) });
    const claims = (await rp.handleCallback(await finishAtApp(browser, done), pending)).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: MFA, amr: ['email', 'otp', 'mfa'] });
  });
});

describe('step-up of an existing session', () => {
  it('acr_values asks a single-factor session for the authenticator only, keeping the account', async () => {
    const { secret, account } = await accountWithTotp(sesame, 'step-up@example.com');
    const { browser, tokens: before } = await signInWithCode({ rp: relaxedRp, smtp }, 'step-up@example.com');
    const firstAuthTime = before.claims()!.auth_time!;

    const pending = await relaxedRp.startAuthorization({ acr_values: MFA });
    const prompt = await browser.navigate(pending.url);
    expect(isTotpPrompt(prompt)).toBe(true);
    expect(prompt.html).toContain('asks you to confirm it’s you');
    const done = await submitTotp(browser, prompt, { code: totpCode(secret) });
    const claims = (await relaxedRp.handleCallback(await finishAtApp(browser, done), pending)).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: MFA, amr: ['email', 'otp', 'mfa'] });
    expect(claims.auth_time).toBeGreaterThanOrEqual(firstAuthTime);

    // Now multi-factor: the same request passes straight through.
    const next = await relaxedRp.startAuthorization({ acr_values: MFA });
    const through = await browser.navigate(next.url);
    expect((await relaxedRp.handleCallback(await finishAtApp(browser, through), next)).claims()!.acr).toBe(MFA);
  });

  it('a step-up\'s amr names the second factor it used, not one of an earlier step', async () => {
    const { secret, recoveryCodes } = await accountWithTotp(sesame, 'step-up-again@example.com');
    const signIn = await proveEmail({ rp, smtp }, 'step-up-again@example.com');
    const withRecoveryCode = await submitTotp(signIn.browser, signIn.page, { recovery_code: recoveryCodes[0]! });
    expect((await rp.handleCallback(await finishAtApp(signIn.browser, withRecoveryCode), signIn.pending)).claims()).toMatchObject({ amr: ['email', 'recovery_code', 'mfa'] });

    // prompt=mfa checks the second factor again: this time with the authenticator. The email
    // proven at the session's sign-in is still one of the factors; the recovery code is not.
    const pending = await rp.startAuthorization({ prompt: 'mfa' });
    const prompt = await signIn.browser.navigate(pending.url);
    expect(isTotpPrompt(prompt)).toBe(true);
    const done = await submitTotp(signIn.browser, prompt, { code: totpCode(secret) });
    expect((await rp.handleCallback(await finishAtApp(signIn.browser, done), pending)).claims()).toMatchObject({ acr: MFA, amr: ['email', 'otp', 'mfa'] });
  });

  it('acr_values for a person without an authenticator leads to setting one up', async () => {
    const { browser } = await signInWithCode({ rp, smtp }, 'no-totp-yet@example.com');
    const page = await browser.navigate((await rp.startAuthorization({ acr_values: MFA })).url);
    expect(page.url).toMatch(/\/totp\/enroll$/);
  });

  it('prompt=login and max_age still force a full sign-in with the email', async () => {
    const { secret } = await accountWithTotp(sesame, 'again@example.com');
    const first = await proveEmail({ rp, smtp }, 'again@example.com');
    await rp.handleCallback(await finishAtApp(first.browser, await submitTotp(first.browser, first.page, { code: totpCode(secret) })), first.pending);
    for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const page = await first.browser.navigate((await rp.startAuthorization(params)).url);
      expect(page.html).toContain('name="email"');
    }
  });

  it('an essential acr claim gets a full sign-in with both factors', async () => {
    const { secret } = await accountWithTotp(sesame, 'essential@example.com');
    const { browser } = await signInWithCode({ rp: relaxedRp, smtp }, 'essential@example.com');
    const claims = JSON.stringify({ id_token: { acr: { essential: true, value: MFA } } });
    const again = await proveEmail({ rp: relaxedRp, smtp, browser, authorizationParams: { claims } }, 'essential@example.com');
    expect(isTotpPrompt(again.page)).toBe(true);
    const done = await submitTotp(browser, again.page, { code: totpCode(secret) });
    expect((await relaxedRp.handleCallback(await finishAtApp(browser, done), again.pending)).claims()!.acr).toBe(MFA);
  });

  // OpenID Connect Core §5.5.1.1: an essential acr that the sign-in did not give is a failed
  // authentication, told to the app; not another sign-in, which would end the same way, round and round.
  it('an essential acr the sign-in cannot give ends at the app with unmet_authentication_requirements, not in a new sign-in', async () => {
    const { recoveryCodes } = await accountWithTotp(sesame, 'essential-unmet@example.com');
    const asked = [
      // One Sesame does not have.
      { id_token: { acr: { essential: true, value: 'urn:example:acr:hardware-key' } } },
      { id_token: { acr: { essential: true, values: ['urn:example:acr:hardware-key'] } } },
      // Email alone, from someone whose sign-in asks for the authenticator (Test App: mfa optional).
      { id_token: { acr: { essential: true, value: EMAIL_ACR } } },
    ];
    for (const [i, claims] of asked.entries()) {
      const { pending, browser, page } = await proveEmail({ rp, smtp, authorizationParams: { claims: JSON.stringify(claims) } }, 'essential-unmet@example.com');
      expect(isTotpPrompt(page)).toBe(true);
      // A recovery code each time: authenticator codes would have to wait for a later time step.
      const answered = await submitTotp(browser, page, { recovery_code: recoveryCodes[i]! });
      const callback = answered.leftTo === undefined ? undefined : new URL(answered.leftTo);
      expect([JSON.stringify(claims), callback?.searchParams.get('error')]).toEqual([JSON.stringify(claims), 'unmet_authentication_requirements']);
      expect(callback!.searchParams.get('state')).toBe(pending.state);
    }
  });

  it('prompt=none gets interaction_required instead of a prompt', async () => {
    const { browser } = await signInWithCode({ rp: relaxedRp, smtp }, 'silent@example.com');
    await accountWithTotp(sesame, 'silent@example.com');
    const page = await browser.navigate((await rp.startAuthorization({ prompt: 'none' })).url);
    expect(page.leftTo).toMatch(/error=interaction_required/);
  });
});

describe('remember this browser', () => {
  it('skips the prompt at the next sign-in, never for step-up, and stops once forgotten', async () => {
    const { secret, account } = await accountWithTotp(sesame, 'remember@example.com');
    const first = await proveEmail({ rp, smtp }, 'remember@example.com');
    expect(first.page.html).toContain('Don’t ask again on this browser for 30 days');
    const done = await submitTotp(first.browser, first.page, { code: totpCode(secret), remember: 'yes' });
    await rp.handleCallback(await finishAtApp(first.browser, done), first.pending);
    expect(first.browser.cookieNames()).toContain('sesame_device');

    // A new sign-in in this browser: email, and straight on to the app; the ID token says so.
    const browser = first.browser;
    const second = await proveEmail({ rp, smtp, browser, authorizationParams: { prompt: 'login' } }, 'remember@example.com');
    const secondClaims = (await rp.handleCallback(await finishAtApp(browser, second.page), second.pending)).claims()!;
    expect(secondClaims).toMatchObject({ acr: EMAIL_ACR, amr: ['email'] });

    // An explicit step-up is never skipped, and does not offer to skip the next one.
    const stepUp = await browser.navigate((await rp.startAuthorization({ acr_values: MFA })).url);
    expect(isTotpPrompt(stepUp)).toBe(true);
    expect(stepUp.html).not.toContain('Don’t ask again');

    // An app that does not allow remembering asks anyway (stepping the session up), and does not offer it.
    const strict = await browser.navigate((await strictRp.startAuthorization()).url);
    expect(isTotpPrompt(strict)).toBe(true);
    expect(strict.html).not.toContain('Don’t ask again');

    // Forgotten (as on /account): the next sign-in asks again.
    const [device] = await secondFactorOf(sesame).devices.list(account.id);
    expect(device!.label).toBe('Chrome on Linux');
    await secondFactorOf(sesame).devices.forget(account.id, device!.handle);
    const third = await proveEmail({ rp, smtp, browser, authorizationParams: { prompt: 'login' } }, 'remember@example.com');
    expect(isTotpPrompt(third.page)).toBe(true);
  });

  it('the cookie of one account does not skip the prompt for another', async () => {
    const one = await accountWithTotp(sesame, 'device-one@example.com');
    const other = await accountWithTotp(sesame, 'device-two@example.com');
    const first = await proveEmail({ rp, smtp }, 'device-one@example.com');
    await finishAtApp(first.browser, await submitTotp(first.browser, first.page, { code: totpCode(one.secret), remember: 'yes' }));
    const second = await proveEmail({ rp, smtp, browser: first.browser, authorizationParams: { prompt: 'login' } }, 'device-two@example.com');
    expect(isTotpPrompt(second.page)).toBe(true);
    expect(other.account.id).not.toBe(one.account.id);
  });

  it('a device cookie planted from another browser is never remembered for the visitor\'s account', async () => {
    // The planter remembers its own browser for its own account: it now holds a signed device id.
    const planter = await accountWithTotp(sesame, 'planter@example.com');
    const own = await proveEmail({ rp, smtp }, 'planter@example.com');
    await finishAtApp(own.browser, await submitTotp(own.browser, own.page, { code: totpCode(planter.secret), remember: 'yes' }));
    // It sets that cookie in the visitor's browser (a site on a sibling subdomain can, with Domain=).
    const visitorBrowser = new HttpBrowser();
    for (const name of ['sesame_device', 'sesame_device.sig']) visitorBrowser.plantCookie(name, own.browser.cookieValue(name)!);
    // The visitor signs in with their authenticator and asks this browser to be remembered.
    const visitor = await accountWithTotp(sesame, 'planted@example.com');
    const signIn = await proveEmail({ rp, smtp, browser: visitorBrowser }, 'planted@example.com');
    await finishAtApp(visitorBrowser, await submitTotp(visitorBrowser, signIn.page, { code: totpCode(visitor.secret), remember: 'yes' }));
    // The planter's browser is not remembered for the visitor: with the visitor's email alone it meets the authenticator.
    const intruder = await proveEmail({ rp, smtp, browser: own.browser, authorizationParams: { prompt: 'login' } }, 'planted@example.com');
    expect(isTotpPrompt(intruder.page)).toBe(true);
    // The visitor's browser is remembered for the visitor, and still holds the planted id, which
    // stays the planter's alone (each browser's ids are read as the next sign-in reads them).
    const { devices } = secondFactorOf(sesame);
    const idsOf = (browser: HttpBrowser) => browser.cookieValue('sesame_device')!.split('.');
    const enrolmentOf = async (accountId: string) => (await sesame.accounts.findById(accountId))!.totp!.enrolledAt;
    expect(await devices.isRemembered(visitor.account.id, idsOf(visitorBrowser), await enrolmentOf(visitor.account.id))).toBe(true);
    expect(idsOf(visitorBrowser)).toContain(idsOf(own.browser)[0]);
    expect(await devices.isRemembered(planter.account.id, idsOf(own.browser), await enrolmentOf(planter.account.id))).toBe(true);
  });
});

describe('bad input on the authenticator pages', () => {
  it('refuses a form without CSRF token or from another origin', async () => {
    await accountWithTotp(sesame, 'csrf@example.com');
    const { browser, page } = await proveEmail({ rp, smtp }, 'csrf@example.com');
    expect((await browser.request(page.url, { form: { code: '123456' } })).status).toBe(403);
    expect((await browser.request(page.url, { form: { csrf: 'forged', code: '123456' } })).status).toBe(403);
    const crossSite = await browser.request(page.url, { form: { csrf: formFields(page.html, '/totp').csrf!, code: '123456' }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
  });

  it('refuses a stale or foreign interaction; a prompt whose email was not proven sends back to the email step', async () => {
    const { secret } = await accountWithTotp(sesame, 'stale@example.com');
    const { browser, page, uid } = await proveEmail({ rp, smtp }, 'stale@example.com');
    // Another browser (no interaction cookie).
    const foreign = await new HttpBrowser().navigate(page.url, { form: { csrf: formFields(page.html, '/totp').csrf!, code: totpCode(secret) } });
    expect(foreign.status).toBe(400);
    expect(foreign.html).toContain('This sign-in has ended');
    // An interaction where no email was proven yet: its email step, and a code posted there is not looked at.
    const fresh = new HttpBrowser();
    const emailForm = await fresh.navigate((await rp.startAuthorization()).url);
    const early = await fresh.navigate(`${emailForm.url}/totp`);
    expect([early.status, early.url]).toEqual([200, emailForm.url]);
    const earlyEnroll = await fresh.navigate(`${emailForm.url}/totp/enroll`);
    expect([earlyEnroll.status, earlyEnroll.url]).toEqual([200, emailForm.url]);
    const earlyCode = await fresh.request(`${emailForm.url}/totp`, { form: { csrf: formFields(emailForm.html, '/email').csrf!, code: totpCode(secret) } });
    expect([earlyCode.status, earlyCode.headers.get('location')]).toEqual([303, new URL(emailForm.url).pathname]);
    // After completion the interaction is gone.
    await finishAtApp(browser, await submitTotp(browser, page, { code: totpCode(secret) }));
    const after = await browser.navigate(`${sesame.url}/interaction/${uid}/totp`);
    expect(after.status).toBe(400);
    expect(after.html).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('answers wrong shapes on the enrolment form with the form again, a JSON body with 415, no CSRF token with 403', async () => {
    const { page, browser } = await proveEmail({ rp: strictRp, smtp }, 'shapes@example.com');
    const { csrf } = formFields(page.html, '/totp/enroll');
    expect((await browser.request(page.url, { form: { code: '123456' } })).status).toBe(403);
    for (const code of ['', 'abcdef', '1234567', '１２３４５６']) {
      const again = await browser.navigate(page.url, { form: { csrf: csrf!, code } });
      expect(again.url).toBe(`${page.url}?error=code-shape`);
      expect(again.html).toContain('Enter the 6-digit code');
    }
    const json = await browser.request(page.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"code":"123456"}' });
    expect(json.status).toBe(415);
  });
});

// Keys of the second factor (keys.ts, totp.ts, recovery-codes.ts) and of its rate limits.
const SECOND_FACTOR_KEY = /:second-factor|device:\{|devices:\{|totp-last-step:|totp-enrollment:|recovery|rate:\{second-factor/;

describe('Redis round trips of a person without an authenticator', () => {
  it('a sign-in touches no second-factor key, and a reused session reads only the account', async () => {
    const monitorClient = new Redis(redis.url);
    const monitor = await monitorClient.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => commands.push(args.join(' ')));
    try {
      const { browser } = await signInWithCode({ rp, smtp }, 'plain@example.com');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signIn = commands.splice(0);
      expect(signIn.length).toBeGreaterThan(0);
      expect(signIn.filter((c) => SECOND_FACTOR_KEY.test(c))).toEqual([]);

      // The same browser, another app: oidc-provider loads the account once, and the policy check
      // reuses what it loaded.
      const spa = await startRelyingParty(sesame.url, FIRST_PARTY_CLIENT);
      const pending = await spa.startAuthorization();
      const page = await browser.navigate(pending.url);
      expect(page.leftTo).toMatch(/spa-callback\?code=/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const reuse = commands.splice(0);
      // Read once, alone (GET) or with other records of the same step (MGET).
      expect(reuse.filter((c) => /^m?get .*\baccount:\{/i.test(c))).toHaveLength(1);
      expect(reuse.filter((c) => SECOND_FACTOR_KEY.test(c))).toEqual([]);
    } finally {
      monitor.disconnect();
      monitorClient.disconnect();
    }
  });
});
