import { describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as client from 'openid-client';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { useCliOperator } from '../helpers/cli-operator.ts';
import { splitAuditLines } from '../helpers/run-cli.ts';
import { accountWithTotp, secondFactorOf } from '../helpers/second-factor.ts';
import { formFields } from '../helpers/http-browser.ts';
import { requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

// Each CLI command here is a new Node process (type stripping and module loading: about a second
// alone, several on a machine busy with the rest of the suite), and a test runs several in a row.
jest.setTimeout(90_000);

// Codes lock after 5 consecutive wrong ones here (100 in production), so one dead code locks.
const LOCK_AFTER = 5;
const operator = useCliOperator({ lockAfter: LOCK_AFTER });
const cli = operator.cli;

describe('npm run cli -- user ...', () => {
  it('adds an account that can then sign in under SIGNUP=closed', async () => {
    const added = await cli(['user', 'add', '  Grace@Example.COM ']);
    expect(added.code).toBe(0);
    const account = JSON.parse(added.stdout);
    expect(account).toMatchObject({ email: 'grace@example.com', emailVerified: false });
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);

    const rp = await startRelyingParty(operator.sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp: operator.smtp }, 'grace@example.com');
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
      issuer: operator.sesame.url,
      account: { id: account.id, email: 'grace@example.com', emailVerifiedAt: expect.any(String), authenticatorApp: null, pendingEmailChange: null },
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
    // Each is refused without a change: the three run at once.
    const [duplicate, bad, missing] = await Promise.all([cli(['user', 'add', 'ALAN@example.com']), cli(['user', 'add', 'not-an-address']), cli(['user', 'show', 'nobody@example.com'])]);
    expect(duplicate).toMatchObject({ code: 1, stdout: '' });
    expect(duplicate.stderr).toContain('already exists');

    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a usable email address');

    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });

  it('removes an account: it is gone from show and list', async () => {
    const removed = await cli(['user', 'remove', 'alan@example.com']);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout).removed.email).toBe('alan@example.com');
    expect((await cli(['user', 'show', 'alan@example.com'])).code).toBe(1);
    expect(JSON.parse((await cli(['user', 'list'])).stdout).map((a: { email: string }) => a.email)).toEqual(['grace@example.com']);
    expect(await operator.sesame.accounts.findByEmail('alan@example.com')).toBeUndefined();
    // Added by the administrator and never signed in with: nobody has used that mailbox for it, so nothing is sent there.
    await operator.sesame.mailIdle();
    expect(operator.smtp.messages.filter((mail) => mail.to === 'alan@example.com')).toEqual([]);
  });

  it('remove tells the holder of an account that was in use that their administrator deleted it', async () => {
    const { account } = await operator.sesame.accounts.create('leaving@example.com', { verified: true });
    const removed = await cli(['user', 'remove', 'Leaving@example.com']);
    expect(removed.code).toBe(0);
    expect(await operator.sesame.accounts.findById(account.id)).toBeUndefined();
    const notice = await operator.smtp.waitForMail('leaving@example.com', { match: (mail) => mail.subject === 'Sesame: Your administrator deleted your account' });
    expect(notice.text).toContain('Your administrator deleted your account');
    expect(notice.text).toContain('From: your administrator, from the command line');
    expect(notice.text).toContain('If you did not, tell your administrator at once.');
    expect(notice.text).not.toContain('If this was you');
    // Once: removing it again finds no account, and sends nothing more.
    expect((await cli(['user', 'remove', 'leaving@example.com'])).code).toBe(1);
    await operator.sesame.mailIdle();
    expect(operator.smtp.messages.filter((mail) => mail.to === 'leaving@example.com')).toHaveLength(1);
  });

  it('unlocks an address that wrong codes locked, so codes work for it again', async () => {
    expect((await cli(['user', 'add', 'locked@example.com'])).code).toBe(0);
    const rp = await startRelyingParty(operator.sesame.url);
    const guessed = await requestSignInMail({ rp, smtp: operator.smtp }, 'locked@example.com');
    const { csrf } = formFields(guessed.checkPage.html, '/code');
    const wrong = guessed.mail.code === '000000' ? '111111' : '000000';
    for (let i = 0; i < LOCK_AFTER; i++) await guessed.browser.navigate(`${operator.sesame.url}/interaction/${guessed.uid}/code`, { form: { csrf: csrf!, code: wrong } });
    expect((await requestSignInMail({ rp, smtp: operator.smtp }, 'locked@example.com')).mail.code).toBeUndefined();

    const unlocked = await cli(['user', 'unlock', ' Locked@Example.COM']);
    expect(unlocked.code).toBe(0);
    expect(JSON.parse(unlocked.stdout)).toEqual({ email: 'locked@example.com', unlocked: true, wasLocked: { signInCodes: true, secondFactor: false } });

    const { tokens, mail } = await signInWithCode({ rp, smtp: operator.smtp }, 'locked@example.com');
    expect(mail.code).toMatch(/^\d{6}$/);
    expect(tokens.claims()!.email).toBe('locked@example.com');
    expect(JSON.parse((await cli(['user', 'unlock', 'locked@example.com'])).stdout)).toMatchObject({ wasLocked: { signInCodes: false, secondFactor: false } });

    // The authenticator's lock (its own streak, for the same address) is lifted by the same command.
    const { lockout } = secondFactorOf(operator.sesame);
    for (let i = 0; i < operator.sesame.config.secondFactor.maxConsecutiveFailures; i++) await lockout.recordFailure('locked@example.com');
    expect(await lockout.isLocked('locked@example.com')).toBe(true);
    const both = await cli(['user', 'unlock', 'locked@example.com']);
    expect(JSON.parse(both.stdout)).toMatchObject({ wasLocked: { signInCodes: false, secondFactor: true } });
    expect(await lockout.isLocked('locked@example.com')).toBe(false);
  });

  it('answers usage mistakes and a missing REDIS_URL with exit code 2 and help', async () => {
    // None of these runs a command: all nine at once.
    const helpArgs = [['--help'], ['user', '--help'], ['user', 'show', '--help'], ['keys', '-h']];
    const [unknown, extra, noAddress, noRedis, ...helps] = await Promise.all([
      cli(['user', 'frobnicate', 'x@example.com']),
      cli(['user', 'add', 'a@example.com', 'b@example.com']),
      cli(['user', 'unlock']),
      cli(['user', 'list'], { REDIS_URL: undefined }),
      ...helpArgs.map((args) => cli(args, { REDIS_URL: undefined })),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "user frobnicate"');
    expect(unknown.stderr).toContain('Usage: npm run cli');

    expect(extra.code).toBe(2);
    expect(noAddress.code).toBe(2);
    expect(noAddress.stderr).toContain('user unlock takes exactly one EMAIL');

    // Help, asked for anywhere, is not a mistake: usage on stdout, exit 0, nothing run.
    for (const [i, args] of helpArgs.entries()) {
      const help = helps[i]!;
      expect([args, help.code, help.stderr]).toEqual([args, 0, '']);
      expect(help.stdout).toContain('Usage: npm run cli');
    }

    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain('REDIS_URL is not set');
  });

  it('npm run cli reads .env from where it runs, as npm start does', async () => {
    // The cli script's own node flags, with its entry made absolute, run in the operator's directory.
    const [, ...flags] = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.cli!.split(' ');
    const args = flags.map((flag) => (flag.endsWith('.ts') ? join(process.cwd(), flag) : flag));
    writeFileSync(join(operator.dir, '.env'), Object.entries(operator.env).filter(([name]) => name !== 'PATH').map(([name, value]) => `${name}=${value}`).join('\n'));
    try {
      const result = spawnSync(process.execPath, [...args, 'user', 'add', 'from-dotenv@example.com'], { cwd: operator.dir, env: { PATH: operator.env.PATH! }, encoding: 'utf8' });
      expect([result.status, splitAuditLines(result.stderr).stderr]).toEqual([0, '']);
      expect(await operator.sesame.accounts.findByEmail('from-dotenv@example.com')).toBeDefined();
    } finally {
      rmSync(join(operator.dir, '.env'));
    }
  });

  it('names the setting when the configuration is invalid', async () => {
    const result = await cli(['user', 'list'], { HMAC_KEY: 'short' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HMAC_KEY: must be at least 32 characters');
  });

  it('reset-mfa takes the authenticator, recovery codes and remembered browsers off an account', async () => {
    const { account, recoveryCodes } = await accountWithTotp(operator.sesame, 'lost-phone@example.com');
    const modules = secondFactorOf(operator.sesame);
    const browserId = modules.devices.newDeviceId();
    const { enrolledAt } = (await operator.sesame.accounts.findById(account.id))!.totp!;
    await modules.devices.remember(account.id, browserId, 'Firefox on Linux', enrolledAt);
    expect(JSON.parse((await cli(['user', 'show', 'lost-phone@example.com'])).stdout)).toMatchObject({ authenticatorApp: true });

    const reset = await cli(['user', 'reset-mfa', 'Lost-Phone@example.com']);
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ reset: { email: 'lost-phone@example.com', authenticatorApp: false }, removedAuthenticator: true, forgottenBrowsers: 1 });
    expect((await operator.sesame.accounts.findById(account.id))!.totp).toBeUndefined();
    // Signed out everywhere too (test/flows/sign-out-everywhere.test.ts shows what that ends).
    expect((await operator.sesame.accounts.findById(account.id))!.signedOutAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await modules.recoveryCodes.redeem(account.id, recoveryCodes[0]!)).toBe(false);
    expect(await modules.devices.isRemembered(account.id, browserId, enrolledAt)).toBe(false);
    // The holder is told, through the queue the server's worker sends from, and who did it.
    const notice = await operator.smtp.waitForMail('lost-phone@example.com', { match: (mail) => mail.subject === 'Sesame: Your administrator removed the authenticator app from your account' });
    expect(notice.text).toContain('From: your administrator, from the command line');
    expect(notice.text).toContain('If you did not, tell your administrator at once');
    expect(notice.text).not.toContain('they have been able to read your email');

    // The person signs in with their email alone again.
    const rp = await startRelyingParty(operator.sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp: operator.smtp }, 'lost-phone@example.com');
    expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'urn:sesame:acr:email', amr: ['email'] });

    // Nothing left to reset: no second notice.
    expect((await cli(['user', 'reset-mfa', 'lost-phone@example.com'])).code).toBe(0);
    await operator.sesame.mailIdle();
    expect(operator.smtp.messages.filter((mail) => mail.to === 'lost-phone@example.com' && mail.subject.includes('administrator'))).toHaveLength(1);

    const missing = await cli(['user', 'reset-mfa', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });

  it('change-email moves an account whose old mailbox is gone: same id, signed out everywhere, both addresses told', async () => {
    const rp = await startRelyingParty(operator.sesame.url);
    await operator.sesame.accounts.create('old-name@example.com', { verified: true });
    const { tokens } = await signInWithCode({ rp, smtp: operator.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'old-name@example.com');
    const sub = tokens.claims()!.sub;
    await operator.sesame.accounts.create('someone-else@example.com', { verified: true });
    // Tokens carry whole seconds: those of the sign-in above must be from before the command's second.
    await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

    const moved = await cli(['user', 'change-email', 'Old-Name@example.com', ' New-Name@Example.com']);
    expect(moved.code).toBe(0);
    // The command proves nothing about the new mailbox (it may be mistyped): unverified until it signs in.
    expect(JSON.parse(moved.stdout)).toMatchObject({ moved: { id: sub, email: 'new-name@example.com', emailVerified: false }, from: 'old-name@example.com', sessionsEnded: 1 });
    expect(await operator.sesame.accounts.findByEmail('old-name@example.com')).toBeUndefined();
    // What the old address signed in with ends.
    expect(await client.refreshTokenGrant(rp.config, tokens.refresh_token!).then(() => 'works', (error: { error?: string }) => error.error)).toBe('invalid_grant');
    // Both mailboxes hear of it, in words that say the administrator did it.
    for (const [to, subject, other] of [
      ['old-name@example.com', 'Sesame: Your administrator moved your account to another address', 'new-name@example.com'],
      ['new-name@example.com', 'Sesame: Your administrator made this the address your account signs in with', 'old-name@example.com'],
    ] as const) {
      const notice = await operator.smtp.waitForMail(to, { match: (mail) => mail.subject === subject });
      expect(notice.text).toContain(other);
      expect(notice.text).toContain('From: your administrator, from the command line');
      expect(notice.text).toContain('If you did not, tell your administrator at once.');
      expect(notice.text).not.toContain('If this was you');
    }
    // The new address signs in to the same account: every app keeps its `sub`, and the sign-in proves the mailbox.
    const again = await signInWithCode({ rp, smtp: operator.smtp }, 'new-name@example.com');
    expect(again.tokens.claims()).toMatchObject({ sub, email: 'new-name@example.com', email_verified: true });

    // An address that has an account of its own, an unknown account, and the usage.
    // Each is refused without a change: the five run at once.
    const [taken, missing, same, bad, short] = await Promise.all([
      cli(['user', 'change-email', 'new-name@example.com', 'someone-else@example.com']),
      cli(['user', 'change-email', 'nobody@example.com', 'free@example.com']),
      cli(['user', 'change-email', 'new-name@example.com', 'New-Name@example.com']),
      cli(['user', 'change-email', 'new-name@example.com', 'not an address']),
      cli(['user', 'change-email', 'new-name@example.com']),
    ]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('someone-else@example.com already has an account of its own; nothing was changed.');
    expect((await operator.sesame.accounts.findByEmail('new-name@example.com'))!.id).toBe(sub);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
    expect(same.code).toBe(1);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"not an address" is not a usable email address');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('user change-email takes EMAIL and NEW_EMAIL.');
  });

  it('sign-out ends every session and token of an account', async () => {
    const { account } = await operator.sesame.accounts.create('signed-in-somewhere@example.com', { verified: true });
    const before = Date.now();
    const result = await cli(['user', 'sign-out', 'Signed-In-Somewhere@example.com']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ signedOut: { id: account.id, email: 'signed-in-somewhere@example.com' } });
    expect((await operator.sesame.accounts.findById(account.id))!.signedOutAt).toBeGreaterThanOrEqual(before);
    // The holder is told who signed them out, so a request made in their name does not go unnoticed.
    const notice = await operator.smtp.waitForMail('signed-in-somewhere@example.com', { match: (mail) => mail.subject === 'Sesame: Your administrator signed you out everywhere' });
    expect(notice.text).toContain('From: your administrator, from the command line');
    expect(notice.text).toContain('If you did not, tell your administrator at once.');

    const missing = await cli(['user', 'sign-out', 'nobody@example.com']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No account for nobody@example.com');
  });

  it('tells the holder in the language they last signed in with: German after a sign-in with ui_locales=de, both mailboxes of a move too', async () => {
    expect((await cli(['user', 'add', 'deutsch-cli@example.com'])).code).toBe(0);
    const rp = await startRelyingParty(operator.sesame.url);
    await signInWithCode({ rp, smtp: operator.smtp, authorizationParams: { ui_locales: 'de' } }, 'deutsch-cli@example.com');
    expect((await operator.sesame.accounts.findByEmail('deutsch-cli@example.com'))?.locale).toBe('de');

    expect((await cli(['user', 'sign-out', 'deutsch-cli@example.com'])).code).toBe(0);
    const notice = await operator.smtp.waitForMail('deutsch-cli@example.com', { match: (mail) => mail.subject === 'Sesame: Ihr Administrator hat Sie überall abgemeldet' });
    expect(notice.text).toContain('Von: Ihr Administrator, über die Kommandozeile');
    expect(notice.html).toContain('<html lang="de">');

    expect((await cli(['user', 'change-email', 'deutsch-cli@example.com', 'neu-cli@example.com'])).code).toBe(0);
    const [old, moved] = await Promise.all([
      operator.smtp.waitForMail('deutsch-cli@example.com', { match: (mail) => mail.subject === 'Sesame: Ihr Administrator hat Ihr Konto zu einer anderen Adresse verlegt' }),
      operator.smtp.waitForMail('neu-cli@example.com', { match: (mail) => mail.subject === 'Sesame: Ihr Administrator hat diese Adresse zur Anmeldeadresse Ihres Kontos gemacht' }),
    ]);
    expect(old.text).toContain('neu-cli@example.com');
    expect(moved.text).toContain('deutsch-cli@example.com');
  });
});
