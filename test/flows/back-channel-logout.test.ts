import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildEndSessionUrl } from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { createLogger } from '../../src/logger.ts';
import { finishAtApp, signInWithCode } from '../helpers/sign-in.ts';
import { formFields, type HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { FIRST_PARTY_CLIENT, MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { startLogoutReceiver } from '../helpers/logout-receiver.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The apps' back-channel endpoints, on one loopback server (test/helpers/logout-receiver.ts).
const receiver = await startLogoutReceiver();
const { notices, answers, failFirst } = receiver;

const NOTIFIED_APP: ClientRegistration = {
  ...TEST_CLIENT,
  backchannel_logout_uri: `${receiver.url}/notified-app/logout`,
  backchannel_logout_session_required: true,
};
const OTHER_APP: ClientRegistration = {
  ...SERVER_APP_CLIENT,
  backchannel_logout_uri: `${receiver.url}/other-app/logout`,
};

const logLines: Record<string, unknown>[] = [];
const destination = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    done();
  },
});
const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
const running = useSesame({
  client: NOTIFIED_APP,
  logger: createLogger({ level: 'info', destination }),
  config: { clients: [NOTIFIED_APP, OTHER_APP, FIRST_PARTY_CLIENT, MACHINE_CLIENT], metrics: { token: METRICS_TOKEN } },
});

async function signInToBothApps(email: string) {
  const { tokens, browser } = await signInWithCode(running, email);
  // The same browser, single sign-on: the second app gets a session without a new email.
  const otherApp = await startRelyingParty(running.sesame.url, OTHER_APP);
  const pending = await otherApp.startAuthorization();
  const otherTokens = await otherApp.handleCallback(await finishAtApp(browser, await browser.navigate(pending.url)), pending);
  return { browser, idToken: tokens.claims()!, rawIdToken: tokens.id_token!, otherIdToken: otherTokens.claims()! };
}

async function logOut(browser: HttpBrowser, idTokenHint: string, { everywhere }: { everywhere: boolean }) {
  const page = await browser.navigate(buildEndSessionUrl(running.rp.config, { id_token_hint: idTokenHint }).href);
  const fields = formFields(page.html, '/session/end/confirm');
  return browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: everywhere ? { ...fields, logout: 'yes' } : fields });
}

const jwks = () => createRemoteJWKSet(new URL(`${running.sesame.url}/jwks`));
const noticesFor = (app: string) => receiver.noticesFor(`/${app}/logout`);

describe('back-channel logout (OpenID Connect Back-Channel Logout 1.0)', () => {
  it('is advertised in discovery', async () => {
    const discovery = (await (await fetch(`${running.sesame.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.backchannel_logout_supported).toBe(true);
    expect(discovery.backchannel_logout_session_supported).toBe(true);
  });

  it('signing out of Sesame sends each app of the session a signed logout token naming the person (and the session, where the app asked for it)', async () => {
    notices.length = 0;
    const { browser, idToken, rawIdToken, otherIdToken } = await signInToBothApps('leaving-everywhere@example.com');
    // An app that asked for the session id finds it in its ID token, to match the notice against.
    expect(typeof idToken.sid).toBe('string');
    expect(otherIdToken.sid).toBeUndefined();

    const logBefore = logLines.length;
    const done = await logOut(browser, rawIdToken, { everywhere: true });
    expect(done.status).toBe(200);
    expect(done.html).toContain('You signed out of Sesame on this browser');
    await running.sesame.mailIdle();

    const [notified] = noticesFor('notified-app');
    const [other] = noticesFor('other-app');
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('other-app')).toHaveLength(1);
    expect(notified!.contentType).toBe('application/x-www-form-urlencoded');

    // What an app checks (spec §2.6): signature from the JWKS, issuer, audience, the event, no nonce.
    const { payload, protectedHeader } = await jwtVerify(notified!.logoutToken!, jwks(), { issuer: running.sesame.url, audience: NOTIFIED_APP.client_id, typ: 'logout+jwt' });
    expect(protectedHeader.alg).toBe(decodeProtectedHeader(rawIdToken).alg);
    expect(payload.sub).toBe(idToken.sub);
    expect(payload.sid).toBe(idToken.sid);
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload.nonce).toBeUndefined();
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.iat).toBe('number');

    const { payload: otherPayload } = await jwtVerify(other!.logoutToken!, jwks(), { issuer: running.sesame.url, audience: OTHER_APP.client_id, typ: 'logout+jwt' });
    expect(otherPayload.sub).toBe(otherIdToken.sub);
    // That app did not ask for the session id, and its ID token carried none.
    expect(otherPayload.sid).toBeUndefined();
    expect(otherPayload.jti).not.toBe(payload.jti);

    // The log names each revoked grant, and no app as its owner: the request named only one of the two.
    const revoked = logLines.filter((line) => line.msg === 'grant revoked' && line.route === 'end_session_confirm' && logLines.indexOf(line) >= logBefore);
    expect(revoked).toHaveLength(2);
    expect(new Set(revoked.map((line) => line.grantId)).size).toBe(2);
    expect(revoked.every((line) => typeof line.grantId === 'string' && line.clientId === undefined)).toBe(true);
  });

  it('"Only sign out of <app>" tells that app alone', async () => {
    notices.length = 0;
    const { browser, rawIdToken } = await signInToBothApps('leaving-one-app@example.com');
    const done = await logOut(browser, rawIdToken, { everywhere: false });
    expect(done.html).toContain('You are still signed in to Sesame on this browser');
    await running.sesame.mailIdle();
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('other-app')).toHaveLength(0);
  });

  it('the sign-out page does not wait for the apps: their tokens are queued, and sent once it has answered', async () => {
    notices.length = 0;
    const { browser, rawIdToken } = await signInToBothApps('not-waiting@example.com');
    const release = receiver.hold();
    try {
      // Neither app answers until the page is back.
      const done = await logOut(browser, rawIdToken, { everywhere: true });
      expect(done.html).toContain('You signed out of Sesame on this browser');
    } finally {
      release();
    }
    await running.sesame.mailIdle();
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('other-app')).toHaveLength(1);
  });

  it('an app that is down when someone signs out gets the same token again until it answers; the operator sees the retries', async () => {
    notices.length = 0;
    const logBefore = logLines.length;
    failFirst.set('/notified-app/logout', { times: 2, status: 503 });
    try {
      const { browser, rawIdToken } = await signInToBothApps('app-down-for-a-while@example.com');
      const done = await logOut(browser, rawIdToken, { everywhere: true });
      expect(done.html).toContain('You signed out of Sesame on this browser');
      // The session is gone at once: the next sign-in asks for an email.
      const pending = await running.rp.startAuthorization();
      expect((await browser.navigate(pending.url)).html).toContain('name="email"');
      await running.sesame.mailIdle();
    } finally {
      failFirst.delete('/notified-app/logout');
    }
    // Two refusals, then the third attempt: one token, sent three times (an app that got it twice sees the same jti).
    const tokens = noticesFor('notified-app').map((notice) => notice.logoutToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
    await jwtVerify(tokens[0]!, jwks(), { issuer: running.sesame.url, audience: NOTIFIED_APP.client_id, typ: 'logout+jwt' });
    expect(noticesFor('other-app')).toHaveLength(1);
    const lines = logLines.slice(logBefore).filter((line) => String(line.msg).startsWith('back-channel logout'));
    expect(lines.filter((line) => line.clientId === NOTIFIED_APP.client_id).map((line) => [line.msg, line.attempt])).toEqual([
      ['back-channel logout queued', undefined],
      ['back-channel logout failed, will retry', 1],
      ['back-channel logout failed, will retry', 2],
      ['back-channel logout delivered', undefined],
    ]);
    expect(lines.find((line) => line.msg === 'back-channel logout failed, will retry')).toMatchObject({ reason: expect.stringContaining('503') });
  });

  it('an app that refuses the token is not asked again, and does not stop the sign-out; the operator hears which app missed it', async () => {
    notices.length = 0;
    const logBefore = logLines.length;
    answers.set('/notified-app/logout', 400);
    try {
      const { browser, rawIdToken } = await signInToBothApps('app-refuses@example.com');
      const done = await logOut(browser, rawIdToken, { everywhere: true });
      expect(done.status).toBe(200);
      expect(done.html).toContain('You signed out of Sesame on this browser');
      await running.sesame.mailIdle();
    } finally {
      answers.delete('/notified-app/logout');
    }
    // A 400 says the app could not validate it: the same token again would be refused again.
    expect(noticesFor('notified-app')).toHaveLength(1);
    expect(noticesFor('other-app')).toHaveLength(1);
    const failure = logLines.slice(logBefore).find((line) => line.msg === 'back-channel logout failed: the app may still show this person as signed in');
    expect(failure).toMatchObject({ clientId: NOTIFIED_APP.client_id, attempt: 1, reason: expect.stringContaining('400') });
    expect(logLines.slice(logBefore).some((line) => line.msg === 'back-channel logout delivered' && line.clientId === OTHER_APP.client_id)).toBe(true);
    const metrics = await (await fetch(`${running.sesame.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(metrics).toMatch(/sesame_backchannel_logouts_total\{client_id="test-app",result="failed"\} [1-9]/);
    expect(metrics).toMatch(/sesame_backchannel_logouts_total\{client_id="test-app",result="queued"\} [1-9]/);
    expect(metrics).toMatch(/sesame_backchannel_logouts_total\{client_id="server-app",result="delivered"\} [1-9]/);
    // Logout tokens are not mail: the mail counters did not move for them.
    expect(metrics).not.toMatch(/sesame_mail_send_failures_total [1-9]/);
  });
});
