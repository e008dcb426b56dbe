import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as client from 'openid-client';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeys } from '../../src/config/signing-keys.ts';
import { emailHashOf } from '../../src/observability/audit-log.ts';
import { startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { runCli, splitAuditLines } from '../helpers/run-cli.ts';
import { accountWithTotp, secondFactorOf } from '../helpers/second-factor.ts';
import { formFields } from '../helpers/http-browser.ts';
import { requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';
import { TEST_CLIENT, TEST_ENCRYPTION_KEYS, testConfig } from '../helpers/test-config.ts';

let redis: StartedRedis;
let smtp: SmtpSink;
let sesame: RunningSesame;
let dir: string;
let env: Record<string, string>;
const prefix = uniquePrefix('cli');

// Codes lock after 5 consecutive wrong ones here (100 in production), so one dead code locks.
const LOCK_AFTER = 5;

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  dir = mkdtempSync(join(tmpdir(), 'sesame-cli-'));
  writeFileSync(join(dir, 'jwks.json'), JSON.stringify(generateSigningKeys()));
  // The operator's configuration directory, shared by the CLI and the server it manages.
  mkdirSync(join(dir, 'config'));
  const defaults = JSON.parse(readFileSync('config/default.json', 'utf8'));
  writeFileSync(join(dir, 'config/default.json'), JSON.stringify({ ...defaults, signInCode: { ...defaults.signInCode, maxConsecutiveFailures: LOCK_AFTER } }));
  // The servers' apps (testConfig's), as an operator's CLI and servers share one clients file.
  writeFileSync(join(dir, 'config/clients.json'), JSON.stringify([...JSON.parse(readFileSync('config/clients.json', 'utf8')), TEST_CLIENT]));
  env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: prefix,
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    HMAC_KEY: randomBytes(32).toString('base64url'),
    // The servers' own (testConfig's): the CLI opens the shared signing keys with them to sign logout tokens.
    ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
    JWKS_FILE: join(dir, 'jwks.json'),
  };
  // The CLI and this Sesame share one key prefix and HMAC key, as an operator's CLI and server share one Redis and one configuration.
  sesame = await startSesame({
    redisUrl: redis.url,
    smtpUrl: smtp.url,
    keyPrefix: prefix,
    config: { signup: 'closed', hmacKey: env.HMAC_KEY!, signInCode: { ...testConfig({ issuer: 'http://unused' }).signInCode, maxConsecutiveFailures: LOCK_AFTER } },
  });
  // The servers' public address: the CLI's notices and logout tokens carry it.
  env.ISSUER = sesame.config.issuer;
});

afterAll(async () => {
  await sesame?.close();
  await smtp?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The CLI in the operator's directory, on the same Redis; `extraEnv` undefined removes a variable. */
function cli(args: string[], extraEnv: Record<string, string | undefined> = {}) {
  return runCli(args, { cwd: dir, env: Object.fromEntries(Object.entries({ ...env, ...extraEnv }).filter(([, v]) => v !== undefined)) as Record<string, string> });
}

describe('npm run cli -- user ...', () => {
  it('adds an account that can then sign in under SIGNUP=closed', async () => {
    const added = await cli(['user', 'add', '  Grace@Example.COM ']);
    expect(added.code).toBe(0);
    const account = JSON.parse(added.stdout);
    expect(account).toMatchObject({ email: 'grace@example.com', emailVerified: false });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);

    const rp = await startRelyingParty(sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp }, 'grace@example.com');
    expect(tokens.claims()).toMatchObject({ sub: account.id, email: 'grace@example.com', email_verified: true });

    const shown = await cli(['user', 'show', 'grace@example.com']);
    expect(shown.code).toBe(0);
    const output = JSON.parse(shown.stdout);
    expect(output).toMatchObject({ id: account.id, emailVerified: true });
    // Where the account is signed in: the one browser above, with the app it signed in to (named
    // from the CLI's own clients file, or by its id where that file does not list it).
    expect(output.signedIn).toEqual([{ browser: 'Chrome on Linux', signedInAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), amr: ['email'], apps: [expect.any(String)] }]);
    expect(Date.now() - Date.parse(output.signedIn[0].signedInAt)).toBeLessThan(60_000);
    // The apps that can act for it: that app, through the browser, with no refresh token.
    expect(output.apps).toEqual([{ clientId: TEST_CLIENT.client_id, scope: 'openid email', browsers: 1, offline: false, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);

    // Everything kept about it, as the owner's "Download your data" gives it.
    const exported = await cli(['user', 'export', 'grace@example.com']);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({
      issuer: sesame.url,
      account: { id: account.id, email: 'grace@example.com', emailVerifiedAt: expect.any(String), authenticatorApp: null },
      rememberedBrowsers: [],
      signedInBrowsers: [{ browser: 'Chrome on Linux', provenWith: ['email'], thisBrowser: false }],
      appsWithAccess: [{ clientId: TEST_CLIENT.client_id, scope: 'openid email', signedInBrowsers: 1, offlineAccess: false }],
    });
    const unknown = await cli(['user', 'export', 'nobody@example.com']);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('No account for nobody@example.com')]);
  });

  it('lists accounts as a JSON array sorted by email', async () => {
    expect((await cli(['user', 'add', 'alan@example.com'])).code).toBe(0);
    const listed = await cli(['user', 'list']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((a: { email: string }) => a.email)).toEqual(['alan@example.com', 'grace@example.com']);
  });

  it('refuses a duplicate, a bad address and an unknown account with a clear message and exit code 1', async () => {
    const duplicate = await cli(['user', 'add', 'ALAN@example.com']);
    expect(duplicate).toMatchObject({ code: 1, stdout: '' });
    expect(duplicate.stderr).toContain('already exists');

    const bad = await cli(['user', 'add', 'not-an-address']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a usable email address');

    const missing = await cli(['user', 'show', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });

  it('removes an account: it is gone from show and list', async () => {
    const removed = await cli(['user', 'remove', 'alan@example.com']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout).removed.email).toBe('alan@example.com');
    expect((await cli(['user', 'show', 'alan@example.com'])).code).toBe(1);
    expect(JSON.parse((await cli(['user', 'list'])).stdout).map((a: { email: string }) => a.email)).toEqual(['grace@example.com']);
    expect(await sesame.accounts.findByEmail('alan@example.com')).toBeUndefined();
  });

  it('unlocks an address that wrong codes locked, so codes work for it again', async () => {
    expect((await cli(['user', 'add', 'locked@example.com'])).code).toBe(0);
    const rp = await startRelyingParty(sesame.url);
    const guessed = await requestSignInMail({ rp, smtp }, 'locked@example.com');
    const { csrf } = formFields(guessed.checkPage.html, '/code');
    const wrong = guessed.mail.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < LOCK_AFTER; i++) await guessed.browser.navigate(`${sesame.url}/interaction/${guessed.uid}/code`, { form: { csrf: csrf!, code: wrong } });
    expect((await requestSignInMail({ rp, smtp }, 'locked@example.com')).mail.code).toBeUndefined();

    const unlocked = await cli(['user', 'unlock', ' Locked@Example.COM']);
    expect(unlocked.code).toBe(0);
    expect(JSON.parse(unlocked.stdout)).toEqual({ email: 'locked@example.com', unlocked: true, wasLocked: { signInCodes: true, secondFactor: false } });

    const { tokens, mail } = await signInWithCode({ rp, smtp }, 'locked@example.com');
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(tokens.claims()!.email).toBe('locked@example.com');
    expect(JSON.parse((await cli(['user', 'unlock', 'locked@example.com'])).stdout)).toMatchObject({ wasLocked: { signInCodes: false, secondFactor: false } });

    // The authenticator's lock (its own streak, for the same address) is lifted by the same command.
    const { lockout } = secondFactorOf(sesame);
    for (let i = 0; i < sesame.config.secondFactor.maxConsecutiveFailures; i++) await lockout.recordFailure('locked@example.com');
    expect(await lockout.isLocked('locked@example.com')).toBe(true);
    const both = await cli(['user', 'unlock', 'locked@example.com']);
    expect(JSON.parse(both.stdout)).toMatchObject({ wasLocked: { signInCodes: false, secondFactor: true } });
    expect(await lockout.isLocked('locked@example.com')).toBe(false);
  });

  it('answers usage mistakes and a missing REDIS_URL with exit code 2 and help', async () => {
    const unknown = await cli(['user', 'frobnicate', 'x@example.com']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "user frobnicate"');
    expect(unknown.stderr).toContain('Usage: npm run cli');

    const extra = await cli(['user', 'add', 'a@example.com', 'b@example.com']);
    expect(extra.code).toBe(2);
    const noAddress = await cli(['user', 'unlock']);
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toContain('user unlock takes exactly one EMAIL');

    // Help, asked for anywhere, is not a mistake: usage on stdout, exit 0, nothing run.
    for (const args of [['--help'], ['user', '--help'], ['user', 'show', '--help'], ['keys', '-h']]) {
      const help = await cli(args, { REDIS_URL: undefined });
      expect([args, help.code, help.stderr]).toEqual([args, 0, '']);
      expect(help.stdout).toContain('Usage: npm run cli');
    }

    const noRedis = await cli(['user', 'list'], { REDIS_URL: undefined });
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain('REDIS_URL is not set');
  });

  it('npm run cli reads .env from where it runs, as npm start does', async () => {
    // The cli script's own node flags, with its entry made absolute, run in the operator's directory.
    const [, ...flags] = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.cli!.split(' ');
    const args = flags.map((flag) => (flag.endsWith('.ts') ? join(process.cwd(), flag) : flag));
    writeFileSync(join(dir, '.env'), Object.entries(env).filter(([name]) => name !== 'PATH').map(([name, value]) => `${name}=${value}`).join('\n'));
    try {
      const result = spawnSync(process.execPath, [...args, 'user', 'add', 'from-dotenv@example.com'], { cwd: dir, env: { PATH: env.PATH! }, encoding: 'utf8' });
      expect([result.status, splitAuditLines(result.stderr).stderr]).toEqual([0, '']);
      expect(await sesame.accounts.findByEmail('from-dotenv@example.com')).toBeDefined();
    } finally {
      rmSync(join(dir, '.env'));
    }
  });

  it('names the setting when the configuration is invalid', async () => {
    const result = await cli(['user', 'list'], { HMAC_KEY: 'short' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HMAC_KEY: must be at least 32 characters');
  });

  it('reset-mfa takes the authenticator, recovery codes and remembered browsers off an account', async () => {
    const { account, recoveryCodes } = await accountWithTotp(sesame, 'lost-phone@example.com');
    const modules = secondFactorOf(sesame);
    const browserId = modules.devices.newDeviceId();
    await modules.devices.remember(account.id, browserId, 'Firefox on Linux');
    expect(JSON.parse((await cli(['user', 'show', 'lost-phone@example.com'])).stdout)).toMatchObject({ authenticatorApp: true });

    const reset = await cli(['user', 'reset-mfa', 'Lost-Phone@example.com']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ reset: { email: 'lost-phone@example.com', authenticatorApp: false }, removedAuthenticator: true, forgottenBrowsers: 1 });
    expect((await sesame.accounts.findById(account.id))!.totp).toBeUndefined();
    // Signed out everywhere too (test/flows/sign-out-everywhere.test.ts shows what that ends).
    expect((await sesame.accounts.findById(account.id))!.signedOutAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await modules.recoveryCodes.redeem(account.id, recoveryCodes[0]!)).toBe(false);
    expect(await modules.devices.isRemembered(account.id, browserId)).toBe(false);
    // The holder is told, through the queue the server's worker sends from, and who did it.
    const notice = await smtp.waitForMail('lost-phone@example.com', { match: (mail) => mail.subject === 'Sesame: Your administrator removed the authenticator app from your account' });
    expect(notice.text).toContain('From: your administrator, from the command line');
    expect(notice.text).toContain('If you did not, tell your administrator at once');
    expect(notice.text).not.toContain('they have been able to read your email');

    // The person signs in with their email alone again.
    const rp = await startRelyingParty(sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp }, 'lost-phone@example.com');
    expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'urn:sesame:acr:email', amr: ['email'] });

    // Nothing left to reset: no second notice.
    expect((await cli(['user', 'reset-mfa', 'lost-phone@example.com'])).code).toBe(0);
    await sesame.mailIdle();
    expect(smtp.messages.filter((mail) => mail.to === 'lost-phone@example.com' && mail.subject.includes('administrator'))).toHaveLength(1);

    const missing = await cli(['user', 'reset-mfa', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });

  it('change-email moves an account whose old mailbox is gone: same id, signed out everywhere, both addresses told', async () => {
    const rp = await startRelyingParty(sesame.url);
    await sesame.accounts.create('old-name@example.com', { verified: true });
    const { tokens } = await signInWithCode({ rp, smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'old-name@example.com');
    const sub = tokens.claims()!.sub;
    await sesame.accounts.create('someone-else@example.com', { verified: true });
    // Tokens carry whole seconds: those of the sign-in above must be from before the command's second.
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const moved = await cli(['user', 'change-email', 'Old-Name@example.com', ' New-Name@Example.com']);
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ moved: { id: sub, email: 'new-name@example.com', emailVerified: true }, from: 'old-name@example.com', sessionsEnded: 1 });
    expect(await sesame.accounts.findByEmail('old-name@example.com')).toBeUndefined();
    // What the old address signed in with ends.
    expect(await client.refreshTokenGrant(rp.config, tokens.refresh_token!).then(() => 'works', (error: { error?: string }) => error.error)).toBe('invalid_grant');
    // Both mailboxes hear of it, in words that say the administrator did it.
    for (const [to, subject, other] of [
      ['old-name@example.com', 'Sesame: Your administrator moved your account to another address', 'new-name@example.com'],
      ['new-name@example.com', 'Sesame: Your administrator made this the address your account signs in with', 'old-name@example.com'],
    ] as const) {
      const notice = await smtp.waitForMail(to, { match: (mail) => mail.subject === subject });
      expect(notice.text).toContain(other);
      expect(notice.text).toContain('From: your administrator, from the command line');
      expect(notice.text).toContain('If you did not, tell your administrator at once.');
      expect(notice.text).not.toContain('If this was you');
    }
    // The new address signs in to the same account: every app keeps its `sub`.
    const again = await signInWithCode({ rp, smtp }, 'new-name@example.com');
    expect(again.tokens.claims()).toMatchObject({ sub, email: 'new-name@example.com', email_verified: true });

    // An address that has an account of its own, an unknown account, and the usage.
    const taken = await cli(['user', 'change-email', 'new-name@example.com', 'someone-else@example.com']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('someone-else@example.com already has an account of its own; nothing was changed.');
    expect((await sesame.accounts.findByEmail('new-name@example.com'))!.id).toBe(sub);
    const missing = await cli(['user', 'change-email', 'nobody@example.com', 'free@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
    const same = await cli(['user', 'change-email', 'new-name@example.com', 'New-Name@example.com']);
    expect(same.code).toBe(1);
    const bad = await cli(['user', 'change-email', 'new-name@example.com', 'not an address']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"not an address" is not a usable email address');
    const short = await cli(['user', 'change-email', 'new-name@example.com']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('user change-email takes EMAIL and NEW_EMAIL.');
  });

  it('records what each command did in an audit line on stderr: the account by its id, never an address', async () => {
    const fromTheCli = (command: string) => ({ level: 30, time: expect.any(Number), service: 'sesame', audit: true, via: 'cli', command, operator: expect.any(String) });
    const email = 'audited@example.com';
    const added = await cli(['user', 'add', email]);
    const accountId = JSON.parse(added.stdout).id as string;
    expect(added.audit).toEqual([{ ...fromTheCli('user add'), event: 'account.created', accountId }]);
    expect((await cli(['user', 'show', email])).audit).toEqual([{ ...fromTheCli('user show'), event: 'account.viewed', accountId }]);
    expect((await cli(['user', 'export', email])).audit).toEqual([{ ...fromTheCli('user export'), event: 'account.exported', accountId }]);
    const listed = await cli(['user', 'list']);
    expect(listed.audit).toEqual([{ ...fromTheCli('user list'), event: 'accounts.listed', count: JSON.parse(listed.stdout).length }]);
    // No account is looked up to unlock an address: it is named by its keyed hash, as at sign-in.
    expect((await cli(['user', 'unlock', email])).audit).toEqual([
      { ...fromTheCli('user unlock'), event: 'lockout.lifted', emailHash: emailHashOf(env.HMAC_KEY!, email), wasLocked: { signInCodes: false, secondFactor: false } },
    ]);
    expect((await cli(['user', 'sign-out', email])).audit).toEqual([{ ...fromTheCli('user sign-out'), event: 'account.signed_out_everywhere', accountId }]);
    expect((await cli(['user', 'reset-mfa', email])).audit).toEqual([{ ...fromTheCli('user reset-mfa'), event: 'second_factor.reset', accountId, removedAuthenticator: false, forgottenBrowsers: 0 }]);
    const moved = 'audited-moved@example.com';
    expect((await cli(['user', 'change-email', email, moved])).audit).toEqual([{ ...fromTheCli('user change-email'), event: 'email.changed', accountId }]);
    const removed = await cli(['user', 'remove', moved]);
    expect(removed.audit).toEqual([{ ...fromTheCli('user remove'), event: 'account.deleted', accountId }]);
    // Nothing done, nothing recorded.
    expect(await cli(['user', 'remove', moved])).toMatchObject({ code: 1, audit: [] });

    // Signing keys: each change; listing them (public keys, no one's data) is not recorded.
    const keyAdded = await cli(['keys', 'add', 'ES256']);
    const kid = (JSON.parse(keyAdded.stdout).keys as { kid: string; state: string }[]).find((key) => key.state === 'next')!.kid;
    expect(keyAdded.audit).toEqual([{ ...fromTheCli('keys add'), event: 'signing_key.added', kid, alg: 'ES256' }]);
    expect((await cli(['keys', 'list'])).audit).toEqual([]);

    // stdout stays the command's JSON; stderr, besides the audit lines, says nothing when all went well.
    expect(removed.stderr).toBe('');
    expect(JSON.parse(removed.stdout).removed.id).toBe(accountId);
    expect(JSON.stringify([added, listed, removed].map((result) => result.audit))).not.toContain('@');
    // Fifteen processes of the CLI, each a few seconds to start on a busy machine.
  }, 120_000);

  it('sign-out ends every session and token of an account', async () => {
    const { account } = await sesame.accounts.create('signed-in-somewhere@example.com', { verified: true });
    const before = Date.now();
    const result = await cli(['user', 'sign-out', 'Signed-In-Somewhere@example.com']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ signedOut: { id: account.id, email: 'signed-in-somewhere@example.com' } });
    expect((await sesame.accounts.findById(account.id))!.signedOutAt).toBeGreaterThanOrEqual(before);

    const missing = await cli(['user', 'sign-out', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });
});
