import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { createLogger } from '../../src/logger.ts';
import { accountSessionsIndex } from '../../src/oidc/account-sessions-index.ts';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { runCli } from '../helpers/run-cli.ts';
import { accountWithTotp } from '../helpers/second-factor.ts';
import { finishAtApp, signInWithCode } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT, TEST_ENCRYPTION_KEYS } from '../helpers/test-config.ts';
import { startLogoutReceiver } from '../helpers/logout-receiver.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// Sign-outs of a whole account (a change of address, deletion, `user sign-out`, `user reset-mfa`)
// tell the apps of the account's browser sessions, as a sign-out in the browser does
// (test/flows/back-channel-logout.test.ts).

// The apps' back-channel endpoints, on one loopback server (test/helpers/logout-receiver.ts).
const receiver = await startLogoutReceiver();
const { notices, answers } = receiver;

// Asks for the session id in its logout tokens.
const NOTIFIED_APP: ClientRegistration = { ...TEST_CLIENT, backchannel_logout_uri: `${receiver.url}/notified-app/logout`, backchannel_logout_session_required: true };
// Its endpoint refuses every token (400): given up at once, not retried.
const FAILING_APP: ClientRegistration = { ...SERVER_APP_CLIENT, backchannel_logout_uri: `${receiver.url}/failing-app/logout`, backchannel_logout_session_required: true };
answers.set('/failing-app/logout', 400);
// Registered no back-channel address: nothing to call.
const QUIET_APP: ClientRegistration = {
  ...SERVER_APP_CLIENT,
  client_id: 'quiet-app',
  client_secret: 'quiet-app-secret-0123456789abcdef0123456789a',
  client_name: 'Quiet App',
  redirect_uris: ['http://127.0.0.1:9/quiet-callback'],
};
const CLIENTS = [NOTIFIED_APP, FAILING_APP, QUIET_APP];

const logLines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});

// The CLI's clients file: the same registrations as the servers'.
const dir = mkdtempSync(join(tmpdir(), 'sesame-account-wide-logout-'));
writeFileSync(join(dir, 'clients.json'), JSON.stringify(CLIENTS));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running = useSesame({ client: NOTIFIED_APP, logger: createLogger({ level: 'info', destination }), config: { clients: CLIENTS } });

const noticesFor = (app: string) => receiver.noticesFor(`/${app}/logout`);

/** Signs in to the three apps in one browser (single sign-on after the first); returns each app's ID token claims. */
async function signInToEveryApp(email: string, browser = new HttpBrowser()) {
  const { tokens } = await signInWithCode({ ...running, browser }, email);
  const claims: Record<string, Record<string, unknown>> = { 'test-app': tokens.claims()! };
  for (const app of [FAILING_APP, QUIET_APP]) {
    const rp = await startRelyingParty(running.sesame.url, app);
    const pending = await rp.startAuthorization();
    claims[app.client_id] = (await rp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending)).claims()!;
  }
  return { browser, claims, sub: tokens.claims()!.sub };
}

/** The oidc-provider session id in the browser's `_session` cookie. */
function sessionIdOf(browser: HttpBrowser): string {
  const id = /(?:^|; )_session=([^;]+)/.exec(browser.cookieHeader(new URL(`${running.sesame.url}/`)))?.[1];
  if (!id) throw new Error('the browser holds no Sesame session');
  return id;
}

/**
 * What an app checks of a logout token (Back-Channel Logout 1.0 §2.4, §2.6): signature, issuer,
 * audience, type, the event, no nonce; and the person and the session it is about.
 */
async function expectLogoutToken(token: string | null | undefined, { audience, sub, sid }: { audience: string; sub: string; sid: unknown }) {
  const { payload } = await jwtVerify(token!, createRemoteJWKSet(new URL(`${running.sesame.url}/jwks`)), { issuer: running.sesame.url, audience, typ: 'logout+jwt' });
  expect(payload.sub).toBe(sub);
  expect(typeof sid).toBe('string');
  expect(payload.sid).toBe(sid);
  expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
  expect(payload.nonce).toBeUndefined();
}

/** Each app with an endpoint got one token for this browser's session; the quiet app was never called. */
async function expectAppsTold({ claims, sub }: { claims: Record<string, Record<string, unknown>>; sub: string }, logFrom: number) {
  expect(noticesFor('notified-app')).toHaveLength(1);
  expect(noticesFor('failing-app')).toHaveLength(1);
  expect(notices).toHaveLength(2);
  await expectLogoutToken(noticesFor('notified-app')[0]!.logoutToken, { audience: NOTIFIED_APP.client_id, sub, sid: claims['test-app']!.sid });
  await expectLogoutToken(noticesFor('failing-app')[0]!.logoutToken, { audience: FAILING_APP.client_id, sub, sid: claims['server-app']!.sid });
  // Each app's own session id: the library gives every app of a session a sid of its own.
  expect(claims['test-app']!.sid).not.toBe(claims['server-app']!.sid);
  // Queued, then sent by the mail worker, logged and counted as for a sign-out in the browser; an
  // app without an address is not (had it been called, the missing address would have failed and
  // been logged).
  expect(backChannelLines(logFrom)).toEqual([
    ['back-channel logout delivered', 'test-app'],
    ['back-channel logout failed: the app may still show this person as signed in', 'server-app'],
    ['back-channel logout queued', 'server-app'],
    ['back-channel logout queued', 'test-app'],
  ]);
}

/** The servers' log lines about logout tokens since `logFrom`, as [message, app], sorted. */
const backChannelLines = (logFrom: number) =>
  logLines
    .slice(logFrom)
    .filter((line) => String(line.msg).startsWith('back-channel logout'))
    .map((line) => [line.msg, line.clientId])
    .sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));

/** The account's index of signed-in sessions, as a sign-out everywhere reads it. */
const sessionsOfAccount = (accountId: string) => accountSessionsIndex(running.sesame.store, { sessionSeconds: running.sesame.config.ttl.sessionSeconds }).read(accountId);

/** The browser's session record is gone, and so is the account's index of sessions. */
async function expectSessionEnded(sessionId: string, sub: string) {
  expect(await running.sesame.store.get(oidcRecordKey('Session', sessionId))).toBeUndefined();
  expect(await sessionsOfAccount(sub)).toEqual([]);
}

/** The CLI's report of the apps it told, in a stable order. */
const byClient = (outcomes: { clientId: string }[]) => [...outcomes].sort((a, b) => a.clientId.localeCompare(b.clientId));
const TOLD_ONCE = [
  { clientId: 'server-app', result: 'queued' },
  { clientId: 'test-app', result: 'queued' },
];

function reset() {
  notices.length = 0;
  return logLines.length;
}

describe('account-wide sign-outs tell the apps (OpenID Connect Back-Channel Logout 1.0)', () => {
  it('a change of address on /account: each app of the browser session gets a logout token, without the page waiting for the apps', async () => {
    const signedIn = await signInToEveryApp('moving-on@example.com');
    const { browser } = signedIn;
    const sessionId = sessionIdOf(browser);
    expect(await sessionsOfAccount(signedIn.sub)).toEqual([sessionId]);
    // Single sign-on to the account page, then the change.
    expect((await browser.navigate(`${running.sesame.url}/account`)).url).toBe(`${running.sesame.url}/account`);
    const { page: confirm } = await requestEmailChange(running.sesame.url, browser, 'moved-on@example.org');
    const mail = await emailChangeCodeTo(running.smtp, 'moved-on@example.org');
    const logFrom = reset();
    // The apps' endpoints do not answer until the page is back: it must not wait for them.
    const release = receiver.hold();
    try {
      const done = await enterEmailChangeCode(running.sesame.url, browser, confirm, mail.code!);
      expect(done.url).toBe(`${running.sesame.url}/account?done=email-changed`);
      expect(done.html).toContain('Your email address was changed');
    } finally {
      release();
    }
    await running.sesame.mailIdle();
    await expectAppsTold(signedIn, logFrom);
    await expectSessionEnded(sessionId, signedIn.sub);
  });

  it('deleting the account on /account: the apps are told, an app that fails does not stop the deletion', async () => {
    const signedIn = await signInToEveryApp('deleting@example.com');
    const { browser } = signedIn;
    const sessionId = sessionIdOf(browser);
    const confirm = await browser.navigate(`${running.sesame.url}/account/delete`);
    const logFrom = reset();
    const deleted = await browser.navigate(`${running.sesame.url}/account/delete`, { form: { ...formFields(confirm.html, '/account/delete'), email: 'deleting@example.com' } });
    expect(deleted.url).toBe(`${running.sesame.url}/account/deleted`);
    expect(await running.sesame.accounts.findById(signedIn.sub)).toBeUndefined();
    await running.sesame.mailIdle();
    await expectAppsTold(signedIn, logFrom);
    await expectSessionEnded(sessionId, signedIn.sub);
    const metrics = await running.sesame.metrics.render();
    expect(metrics.body).toMatch(/sesame_backchannel_logouts_total\{client_id="server-app",result="failed"\} [1-9]/);
    expect(metrics.body).not.toContain('client_id="quiet-app"');
  });

  it('the operator\'s log and metrics take a notice queued outside any request (no ctx)', () => {
    const logFrom = logLines.length;
    running.sesame.provider.emit('backchannel.success', undefined, { clientId: 'test-app' }, 'sub', 'sid');
    running.sesame.provider.emit('backchannel.error', undefined, new Error('Connection is closed.'), { clientId: 'server-app' }, 'sub', 'sid');
    const [operational, audit] = [logLines.slice(logFrom).filter((line) => line.audit !== true), logLines.slice(logFrom).filter((line) => line.audit === true)];
    expect(operational.map((line) => [line.msg, line.clientId, line.requestId])).toEqual([
      ['back-channel logout queued', 'test-app', undefined],
      ['back-channel logout could not be queued: the app may still show this person as signed in', 'server-app', undefined],
    ]);
    // No request to name: the line says what failed, and nothing about where from.
    expect(audit).toEqual([{ level: 30, time: expect.any(Number), service: 'sesame', audit: true, event: 'backchannel_logout.failed', clientId: 'server-app', stage: 'queue', reason: 'Connection is closed.' }]);
  });

  /** The CLI as an operator runs it, in a process of its own, with the servers' settings. */
  function cli(args: string[]) {
    const { config } = running.sesame;
    return runCli(args, {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        REDIS_URL: running.redis.url,
        REDIS_KEY_PREFIX: config.redis.keyPrefix,
        COOKIE_KEYS: randomBytes(32).toString('base64url'),
        HMAC_KEY: config.hmacKey,
        ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
        CLIENTS_FILE: join(dir, 'clients.json'),
        ISSUER: running.sesame.url,
      },
    });
  }

  it('`user sign-out`: every browser session of the account ends and each of its apps is told, with that session\'s sid', async () => {
    const email = 'two-browsers@example.com';
    const first = await signInToEveryApp(email);
    // A second browser, signed in to one app only.
    const second = await signInWithCode({ ...running, browser: new HttpBrowser() }, email);
    const sessionIds = [sessionIdOf(first.browser), sessionIdOf(second.browser)];
    expect((await sessionsOfAccount(first.sub)).sort()).toEqual([...sessionIds].sort());
    const logFrom = reset();

    const result = await cli(['user', 'sign-out', email]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(result.audit).toEqual([{ level: 30, time: expect.any(Number), service: 'sesame', audit: true, event: 'account.signed_out_everywhere', accountId: first.sub, via: 'cli', command: 'user sign-out', operator: expect.any(String) }]);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ signedOut: { id: first.sub }, sessionsEnded: 2 });
    // The CLI queues a token per app per session, and says so; the servers' mail worker sends them.
    expect(byClient(output.backChannelLogouts)).toEqual([
      { clientId: 'server-app', result: 'queued' },
      { clientId: 'test-app', result: 'queued' },
      { clientId: 'test-app', result: 'queued' },
    ]);
    await running.sesame.mailIdle();

    expect(noticesFor('notified-app')).toHaveLength(2);
    expect(noticesFor('failing-app')).toHaveLength(1);
    expect(notices).toHaveLength(3);
    const sids = await Promise.all(
      noticesFor('notified-app').map(async ({ logoutToken }) => (await jwtVerify(logoutToken!, createRemoteJWKSet(new URL(`${running.sesame.url}/jwks`)), { issuer: running.sesame.url, audience: NOTIFIED_APP.client_id })).payload.sid),
    );
    expect(sids.sort()).toEqual([first.claims['test-app']!.sid, second.tokens.claims()!.sid].sort());
    await expectLogoutToken(noticesFor('failing-app')[0]!.logoutToken, { audience: FAILING_APP.client_id, sub: first.sub, sid: first.claims['server-app']!.sid });
    // What became of them is in the servers' log (and metrics), where the operator looks, though the CLI queued them.
    expect(backChannelLines(logFrom)).toEqual([
      ['back-channel logout delivered', 'test-app'],
      ['back-channel logout delivered', 'test-app'],
      ['back-channel logout failed: the app may still show this person as signed in', 'server-app'],
    ]);
    // The audit trail names the app that may still show this person as signed in: the mail
    // worker's line, outside any request.
    expect(logLines.slice(logFrom).filter((line) => line.audit === true)).toEqual([
      { level: 30, time: expect.any(Number), service: 'sesame', audit: true, event: 'backchannel_logout.failed', clientId: FAILING_APP.client_id, stage: 'delivery', reason: expect.stringContaining('got: 400 Bad Request'), via: 'mail-worker' },
    ]);
    for (const id of sessionIds) await expectSessionEnded(id, first.sub);

    // Signed out nowhere now: a second sign-out ends nothing and tells no app.
    const again = JSON.parse((await cli(['user', 'sign-out', email])).stdout);
    expect(again).toMatchObject({ sessionsEnded: 0, backChannelLogouts: [] });
  });

  it('`user reset-mfa`: the apps of the account\'s sessions are told', async () => {
    const email = 'lost-phone-apps@example.com';
    await accountWithTotp(running.sesame, email);
    // An account with an authenticator: the sign-in asks for it, so the session is made here
    // without one (a browser that signed in before the authenticator was set up).
    await running.sesame.accounts.clearTotp((await running.sesame.accounts.findByEmail(email))!.id);
    const signedIn = await signInToEveryApp(email);
    const sessionId = sessionIdOf(signedIn.browser);
    await accountWithTotp(running.sesame, email);
    reset();

    const result = await cli(['user', 'reset-mfa', email]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ removedAuthenticator: true, sessionsEnded: 1 });
    expect(byClient(output.backChannelLogouts)).toEqual(TOLD_ONCE);
    await running.sesame.mailIdle();
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('failing-app')).toHaveLength(1);
    expect(notices).toHaveLength(2);
    await expectLogoutToken(noticesFor('notified-app')[0]!.logoutToken, { audience: NOTIFIED_APP.client_id, sub: signedIn.sub, sid: signedIn.claims['test-app']!.sid });
    await expectLogoutToken(noticesFor('failing-app')[0]!.logoutToken, { audience: FAILING_APP.client_id, sub: signedIn.sub, sid: signedIn.claims['server-app']!.sid });
    await expectSessionEnded(sessionId, signedIn.sub);
  });

  it('`user remove`: the apps of the account\'s sessions are told', async () => {
    const signedIn = await signInToEveryApp('removed-by-admin@example.com');
    const sessionId = sessionIdOf(signedIn.browser);
    reset();
    const result = await cli(['user', 'remove', 'removed-by-admin@example.com']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ removed: { id: signedIn.sub }, sessionsEnded: 1 });
    expect(byClient(output.backChannelLogouts)).toEqual(TOLD_ONCE);
    await running.sesame.mailIdle();
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('failing-app')).toHaveLength(1);
    await expectLogoutToken(noticesFor('notified-app')[0]!.logoutToken, { audience: NOTIFIED_APP.client_id, sub: signedIn.sub, sid: signedIn.claims['test-app']!.sid });
    await expectSessionEnded(sessionId, signedIn.sub);
  });
});
