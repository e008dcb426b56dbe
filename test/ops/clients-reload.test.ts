import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { formFields, HttpBrowser, tableRows } from '../helpers/http-browser.ts';
import { startLogoutReceiver } from '../helpers/logout-receiver.ts';
import { spawnNode } from '../helpers/node-process.ts';
import { freePort, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { prepareSesameDir, startSesameProcess, type SesameProcess } from '../helpers/sesame-process.ts';
import { finishAtApp, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

// The clients file changed on a running Sesame and taken up on SIGHUP, as operators run it: a web
// process and a separate mail worker on one Redis, each signalled, driven by openid-client.

const receiver = await startLogoutReceiver();

/** An app that stays registered as it is throughout. */
const STEADY = TEST_CLIENT;
/** Removed from the file by a reload. */
const DOOMED: ClientRegistration = { ...SERVER_APP_CLIENT, client_id: 'doomed-app', client_name: 'Doomed App', redirect_uris: ['http://127.0.0.1:9/doomed-callback'] };
/** Gets tokens_not_before by a reload. */
const CUT_OFF: ClientRegistration = { ...SERVER_APP_CLIENT, client_id: 'cut-off-app', client_name: 'Cut-off App', redirect_uris: ['http://127.0.0.1:9/cut-off-callback'] };
/** Gets a back-channel logout address by a reload. */
const NOTIFIED: ClientRegistration = { ...SERVER_APP_CLIENT, client_id: 'notified-app', client_name: 'Notified App', redirect_uris: ['http://127.0.0.1:9/notified-callback'] };
/** Introspects any app's tokens. */
const RESOURCE_SERVER: ClientRegistration = { client_id: 'resource-server', client_secret: 'resource-server-secret-0123456789abcdef0123', grant_types: ['client_credentials'], response_types: [], token_endpoint_auth_method: 'client_secret_basic', resource_server: true };
const INITIAL = [STEADY, MACHINE_CLIENT, RESOURCE_SERVER, DOOMED, CUT_OFF, NOTIFIED];

let redis: StartedRedis;
let smtp: SmtpSink;
let dir: string;
let env: Record<string, string>;
let web: SesameProcess;
let worker: SesameProcess;
let url: string;
let workerUrl: string;
/** What the clients file holds now. */
let registered: ClientRegistration[] = INITIAL;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  ({ dir, env } = prepareSesameDir({ mailQueue: { attempts: 5, backoffMs: 200, concurrency: 2, ceiling: 50_000 } }));
  Object.assign(env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('clients-reload'), SMTP_URL: smtp.url });
  writeClientsFile(INITIAL);
  const [webPort, workerPort] = [await freePort(), await freePort()];
  url = `http://127.0.0.1:${webPort}`;
  workerUrl = `http://127.0.0.1:${workerPort}`;
  // The web process sends no mail: the worker sends it all, back-channel logout tokens included.
  [web, worker] = await Promise.all([
    startSesameProcess({ dir, env: { ...env, PORT: String(webPort), ISSUER: url, MAIL_WORKER: 'off' } }),
    startSesameProcess({ dir, env: { ...env, PORT: String(workerPort), ISSUER: url }, role: 'worker' }),
  ]);
}, 60_000);

afterAll(async () => {
  await web?.stop();
  await worker?.stop();
  await smtp?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeClientsFile(clients: unknown) {
  writeFileSync(join(dir, 'config/clients.json'), typeof clients === 'string' ? clients : JSON.stringify(clients));
}

const occurrences = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Sends SIGHUP to each process and waits until each has logged the outcome; returns each one's new log lines. */
async function signal(processes: SesameProcess[] = [web, worker]): Promise<string[]> {
  const outcome = /clients file (reloaded|not reloaded)/;
  const before = processes.map((sesame) => ({ count: occurrences(sesame.output(), outcome), length: sesame.output().length }));
  for (const sesame of processes) sesame.child.kill('SIGHUP');
  await Promise.all(processes.map((sesame, i) => until(() => occurrences(sesame.output(), outcome) > before[i]!.count, 'the reload to be logged')));
  return processes.map((sesame, i) => sesame.output().slice(before[i]!.length));
}

async function reloadWith(clients: ClientRegistration[]): Promise<string[]> {
  writeClientsFile(clients);
  registered = clients;
  const lines = await signal();
  for (const line of lines) expect(line).toContain('clients file reloaded');
  return lines;
}

const logLines = (text: string) => text.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
const userinfoStatus = (token: string) => fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
/** The OAuth error of a refused request: in the body, or (a failed client authentication) in the WWW-Authenticate challenge. */
const oauthError = (error: { error?: string; cause?: unknown }) => error.error ?? (error.cause as { parameters?: { error?: string } }[] | undefined)?.[0]?.parameters?.error ?? String(error);
const refreshes = (config: client.Configuration, token: string) => client.refreshTokenGrant(config, token).then(() => 'works', oauthError);
const clientCredentials = (registration: ClientRegistration) => startRelyingParty(url, registration).then(({ config }) => client.clientCredentialsGrant(config)).then(() => 'works', oauthError);
const replaced = (id: string, registration: ClientRegistration) => registered.map((entry) => (entry.client_id === id ? registration : entry));
const OFFLINE = { scope: 'openid email offline_access', prompt: 'consent' };

describe('reloading the clients file on SIGHUP', () => {
  it('a removed app: its tokens are refused (userinfo, refresh, introspection), and a new sign-in gets invalid_client', async () => {
    const doomed = await startRelyingParty(url, DOOMED);
    const { tokens, browser: signedIn } = await signInWithCode({ rp: doomed, smtp, authorizationParams: OFFLINE }, 'doomed@example.com');
    /** The account page's "Apps with access", in the browser signed in to the app (single sign-on to the account page). */
    const appsWithAccess = async () => {
      const page = await signedIn.navigate(`${url}/account`);
      expect(page.url).toBe(`${url}/account`);
      return page.html.includes('No app can act for you now.') ? [] : tableRows(page.html, 'apps-with-access', 'app').map((row) => row.value);
    };
    expect(await appsWithAccess()).toEqual([DOOMED.client_id]);
    const resourceServer = await startRelyingParty(url, RESOURCE_SERVER);
    expect(await userinfoStatus(tokens.access_token)).toBe(200);
    expect((await client.tokenIntrospection(resourceServer.config, tokens.access_token)).active).toBe(true);
    const pendingBefore = await doomed.startAuthorization();
    const inProgress = await requestSignInMail({ rp: doomed, smtp }, 'doomed-in-progress@example.com');

    const [webLines, workerLines] = await reloadWith(registered.filter((entry) => entry.client_id !== DOOMED.client_id));
    for (const lines of [webLines!, workerLines!]) {
      const reloaded = logLines(lines).find((line) => String(line.msg).startsWith('clients file reloaded'));
      expect(reloaded).toMatchObject({ level: 30, added: [], removed: ['doomed-app'], changed: [], msg: 'clients file reloaded: removed doomed-app' });
      expect(logLines(lines).find((line) => line.audit)).toMatchObject({ event: 'clients.reloaded', removed: ['doomed-app'], via: 'signal', signal: 'SIGHUP' });
    }

    expect(await userinfoStatus(tokens.access_token)).toBe(401);
    expect(await appsWithAccess()).toEqual([]);
    // The app can no longer authenticate at the token endpoint at all.
    expect(await refreshes(doomed.config, tokens.refresh_token!)).toBe('invalid_client');
    expect((await client.tokenIntrospection(resourceServer.config, tokens.access_token)).active).toBe(false);
    // A sign-in it starts, or one started before the reload, is the library's invalid_client page.
    for (const pending of [await doomed.startAuthorization(), pendingBefore]) {
      const page = await new HttpBrowser().navigate(pending.url);
      expect(page.status).toBe(400);
      expect(page.html).toContain('invalid_client');
    }
    // One in progress when it was removed ends on the same page when it resumes at /auth/:uid, never at the app with a code.
    const { browser, uid } = inProgress;
    const codeForm = await browser.navigate(`${url}/interaction/${uid}/check`);
    const finished = await browser.navigate(`${url}/interaction/${uid}/code`, { form: { ...formFields(codeForm.html, '/code'), code: inProgress.mail.code! } });
    expect(finished.leftTo).toBeUndefined();
    expect(finished.status).toBe(400);
    expect(finished.html).toContain('invalid_client');
  });

  it('a rotated secret: the old one stops working at once, the new one works', async () => {
    expect(await clientCredentials(MACHINE_CLIENT)).toBe('works');
    const rotated = { ...MACHINE_CLIENT, client_secret: 'machine-rotated-secret-0123456789abcdef012345' };
    const [webLines] = await reloadWith(replaced(MACHINE_CLIENT.client_id, rotated));
    expect(webLines).toContain('clients file reloaded: changed machine');
    // Never the secrets themselves.
    expect(webLines).not.toContain(rotated.client_secret);
    expect(webLines).not.toContain(MACHINE_CLIENT.client_secret);
    expect(await clientCredentials(MACHINE_CLIENT)).toBe('invalid_client');
    expect(await clientCredentials(rotated)).toBe('works');
  });

  it('an added redirect URI works for a sign-in', async () => {
    const added = 'http://127.0.0.1:9/added-callback';
    const app = await startRelyingParty(url, { ...STEADY, redirect_uris: [added] });
    const before = await new HttpBrowser().navigate((await app.startAuthorization()).url);
    expect(before.status).toBe(400);
    expect(before.html).toContain('redirect_uri');

    await reloadWith(replaced(STEADY.client_id, { ...STEADY, redirect_uris: [...STEADY.redirect_uris!, added] }));
    const { callback, tokens } = await signInWithCode({ rp: app, smtp }, 'added-uri@example.com');
    expect(callback.startsWith(`${added}?`)).toBe(true);
    expect(tokens.claims()!.aud).toBe(STEADY.client_id);
  });

  it('tokens_not_before set to now refuses the tokens the app got before it, without a restart, and takes new ones', async () => {
    const app = await startRelyingParty(url, CUT_OFF);
    const { tokens } = await signInWithCode({ rp: app, smtp, authorizationParams: OFFLINE }, 'cut-off@example.com');
    expect(await userinfoStatus(tokens.access_token)).toBe(200);
    // Tokens carry whole seconds: the cutoff falls in a later second than their issue.
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

    await reloadWith(replaced(CUT_OFF.client_id, { ...CUT_OFF, tokens_not_before: new Date().toISOString() }));
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
    expect(await refreshes(app.config, tokens.refresh_token!)).toBe('invalid_grant');
    expect((await client.tokenIntrospection(app.config, tokens.access_token)).active).toBe(false);

    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
    const fresh = await signInWithCode({ rp: app, smtp, authorizationParams: OFFLINE }, 'cut-off@example.com');
    expect(await userinfoStatus(fresh.tokens.access_token)).toBe(200);
    expect(await refreshes(app.config, fresh.tokens.refresh_token!)).toBe('works');
  });

  it('a sign-in in progress for an unchanged app completes across the reload; signing keys and sessions are untouched', async () => {
    const app = await startRelyingParty(url, STEADY);
    const jwksBefore = await (await fetch(`${url}/jwks`)).json();
    const { pending, uid, browser, mail } = await requestSignInMail({ rp: app, smtp }, 'in-flight@example.com');

    await reloadWith([...registered, { ...SERVER_APP_CLIENT, client_id: 'newcomer', client_name: 'Newcomer' }]);
    const page = await browser.navigate(`${url}/interaction/${uid}/code`, { form: { ...formFields((await browser.navigate(`${url}/interaction/${uid}/check`)).html, '/code'), code: mail.code! } });
    // openid-client checks the ID token's signature against the JWKS it read before the reload.
    const tokens = await app.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('in-flight@example.com');
    expect(await (await fetch(`${url}/jwks`)).json()).toEqual(jwksBefore);

    // The browser's session outlives another reload: the app's next sign-in asks nothing.
    await reloadWith(registered.filter((entry) => entry.client_id !== 'newcomer'));
    const again = await app.startAuthorization();
    const back = await browser.navigate(again.url);
    expect(back.leftTo).toBeDefined();
    expect((await app.handleCallback(back.leftTo!, again)).claims()!.sub).toBe(tokens.claims()!.sub);
  });

  it('a redirect URI removed by a reload gets nothing from a sign-in that began with it: it ends on the error page', async () => {
    const app = await startRelyingParty(url, STEADY);
    const { uid, browser, mail } = await requestSignInMail({ rp: app, smtp }, 'removed-uri@example.com');
    const kept = registered;

    await reloadWith(replaced(STEADY.client_id, { ...STEADY, redirect_uris: ['http://127.0.0.1:9/replacement-callback'] }));
    const page = await browser.navigate(`${url}/interaction/${uid}/code`, { form: { ...formFields((await browser.navigate(`${url}/interaction/${uid}/check`)).html, '/code'), code: mail.code! } });
    expect(page.leftTo).toBeUndefined();
    expect(page.status).toBe(400);
    expect(page.html).toContain('invalid_redirect_uri');

    await reloadWith(kept);
  });

  it('a scope removed from an app by a reload is not granted to a sign-in that asked for it before: the app gets invalid_scope, as at /auth', async () => {
    const app = await startRelyingParty(url, STEADY);
    const { uid, browser, mail } = await requestSignInMail({ rp: app, smtp, authorizationParams: OFFLINE }, 'narrowed-scope@example.com');
    const kept = registered;

    await reloadWith(replaced(STEADY.client_id, { ...STEADY, scope: 'openid email' }));
    const page = await browser.navigate(`${url}/interaction/${uid}/code`, { form: { ...formFields((await browser.navigate(`${url}/interaction/${uid}/check`)).html, '/code'), code: mail.code! } });
    const callback = new URL(page.leftTo!);
    expect(callback.searchParams.get('error')).toBe('invalid_scope');
    expect(callback.searchParams.get('code')).toBeNull();

    await reloadWith(kept);
  });

  it('the mail worker takes up a back-channel logout address added by a reload, and delivers to it', async () => {
    const path = '/notified-app/logout';
    const withAddress = { ...NOTIFIED, backchannel_logout_uri: `${receiver.url}${path}` };
    await reloadWith(replaced(NOTIFIED.client_id, withAddress));
    const app = await startRelyingParty(url, withAddress);
    const { browser, tokens } = await signInWithCode({ rp: app, smtp }, 'notified@example.com');
    const confirm = await browser.navigate(client.buildEndSessionUrl(app.config, { id_token_hint: tokens.id_token! }).href);
    const done = await browser.navigate(`${url}/session/end/confirm`, { form: { ...formFields(confirm.html, '/session/end/confirm'), logout: 'yes' } });
    expect(done.status).toBe(200);
    await until(() => receiver.noticesFor(path).length > 0, 'the logout token at the app');
    expect(await (await fetch(`${workerUrl}/metrics`)).text()).toMatch(/^sesame_backchannel_logouts_total\{client_id="notified-app",result="delivered"\} 1$/m);
  });

  it('a file that fails: both processes keep serving with the registrations in force, log the problem in start-up\'s words, and count the failure', async () => {
    const metric = async (at: string) => /^sesame_clients_reloads_total\{result="failed"\} (\d+)$/m.exec(await (await fetch(`${at}/metrics`)).text())?.[1];
    const failedBefore = [await metric(url), await metric(workerUrl)];
    const [machine] = registered.filter((entry) => entry.client_id === MACHINE_CLIENT.client_id);
    const cases: [string | unknown[], RegExp][] = [
      ['[{"client_id": ', /CLIENTS_FILE: \S+clients\.json is not valid JSON/],
      [[...registered, { ...SERVER_APP_CLIENT, client_id: 'short-secret', client_secret: 'too-short' }], /CLIENTS_FILE\[\d+\]\.client_secret: must be a string of at least 32 characters/],
      // Only the provider refuses this one (its start-up check, oidc/check-clients.ts): the web process says so; the worker, which does not run the provider at start-up either, takes it.
      [[...registered, { ...SERVER_APP_CLIENT, client_id: 'no-keys', token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined }], /CLIENTS_FILE\[\d+\] \(no-keys\): /],
    ];
    let expectedWebFailures = Number(failedBefore[0]);
    let expectedWorkerFailures = Number(failedBefore[1]);
    for (const [file, problem] of cases) {
      writeClientsFile(file);
      const [webLines, workerLines] = await signal();
      const error = logLines(webLines!).find((line) => String(line.msg).startsWith('clients file not reloaded'));
      expect(error).toMatchObject({ level: 50 });
      expect((error!.problems as string[]).some((line) => problem.test(line))).toBe(true);
      expectedWebFailures++;
      if (problem.source.includes('no-keys')) expect(workerLines).toContain('clients file reloaded');
      else {
        expect(workerLines).toMatch(problem);
        expectedWorkerFailures++;
      }
      expect(web.child.exitCode).toBeNull();
      expect(worker.child.exitCode).toBeNull();
      expect(await clientCredentials(machine!)).toBe('works');
    }
    rmSync(join(dir, 'config/clients.json'));
    const [missing] = await signal();
    expectedWebFailures++;
    expectedWorkerFailures++;
    expect(missing).toMatch(/CLIENTS_FILE: file not found or unreadable: \S+clients\.json/);
    expect(await clientCredentials(machine!)).toBe('works');
    expect([await metric(url), await metric(workerUrl)]).toEqual([String(expectedWebFailures), String(expectedWorkerFailures)]);

    // The words are start-up's own: the same file refuses to start a Sesame.
    writeClientsFile(cases[1]![0]);
    const child = spawnNode('src/main.ts', [], { cwd: dir, env: { ...env, PORT: String(await freePort()) } });
    let output = '';
    child.stderr.on('data', (chunk) => (output += chunk));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(output).toMatch(cases[1]![1]);

    // Fixed, the next signal takes it up.
    await reloadWith(registered);
  });
});
