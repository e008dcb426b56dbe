import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { generateSync } from 'otplib';
import { createAccounts, type Account } from '../../src/accounts/accounts.ts';
import { createLockout } from '../../src/auth/lockout.ts';
import { createRateLimiter } from '../../src/auth/rate-limiter.ts';
import { createRecoveryCodeStore } from '../../src/auth/recovery-codes.ts';
import { createRememberedDevices } from '../../src/auth/remembered-devices.ts';
import { createSecondFactorCheck } from '../../src/auth/second-factor-check.ts';
import { createSecondFactorRemoval } from '../../src/auth/second-factor-removal.ts';
import { createSecretBox, sealedKeyId } from '../../src/auth/secret-box.ts';
import { createTotpReplayGuard } from '../../src/auth/totp.ts';
import { createTotpEnrollment } from '../../src/auth/totp-enrollment.ts';
import type { Store } from '../../src/store/store.ts';
import { bothStores } from '../helpers/both-stores.ts';

const HMAC_KEY = 'h'.repeat(32);
// An authenticator's enrolledAt, for remembered browsers of accounts the test does not enrol.
const ENROLMENT = '2030-01-01T00:00:00.000Z';
// Whom an enrolment page was shown to: a sign-in or an account-page session.
const PAGE = 'account-session:s1';
const STEP = 59_000_000;
const codeAt = (secret: string, step: number) => generateSync({ secret, epoch: step * 30 });

function modules(store: Store, { keys = [{ id: 'k1', key: randomBytes(32) }], maxAttemptsPerSignIn = 5, accountLimit = 10, maxConsecutiveFailures = 20 } = {}) {
  let nowMs = (STEP * 30 + 15) * 1000;
  const now = () => nowMs;
  const accounts = createAccounts({ store });
  const secretBox = createSecretBox({ keys });
  const replayGuard = createTotpReplayGuard({ store });
  const recoveryCodes = createRecoveryCodeStore({ store, hmacKey: HMAC_KEY });
  const devices = createRememberedDevices({ store, hmacKey: HMAC_KEY, days: 30, now });
  const enrollment = createTotpEnrollment({ store, accounts, secretBox, replayGuard, recoveryCodes, issuer: 'Sesame', ttlSeconds: 900, now });
  const check = createSecondFactorCheck({
    accounts,
    secretBox,
    replayGuard,
    recoveryCodes,
    rateLimiter: createRateLimiter({ store, hmacKey: HMAC_KEY, now }),
    lockout: createLockout({ store, hmacKey: HMAC_KEY, streak: 'second-factor', maxConsecutiveFailures }),
    limits: { maxAttemptsPerSignIn, accountAttempts: { limit: accountLimit, windowSeconds: 900 } },
    signInSeconds: 900,
    now,
  });
  const remove = createSecondFactorRemoval({ accounts, recoveryCodes, devices, enrollment });
  return { accounts, enrollment, check, devices, recoveryCodes, remove, advanceSteps: (n: number) => (nowMs += n * 30_000) };
}

/** An account with a confirmed authenticator: returns the secret and the recovery codes. */
async function enrolled(m: ReturnType<typeof modules>, email = 'ada@example.com') {
  const { account } = await m.accounts.create(email, { verified: true });
  const offer = (await m.enrollment.begin(account, PAGE))!;
  const confirmed = await m.enrollment.confirm(account, PAGE, codeAt(offer.secret, STEP));
  if (!confirmed.ok) throw new Error(`enrolment failed: ${confirmed.reason}`);
  return { account: (await m.accounts.findById(account.id))!, secret: offer.secret, recoveryCodes: confirmed.recoveryCodes };
}

describe.each(bothStores('second-factor'))('second factor on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async (options?: Parameters<typeof modules>[1]) => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return { ...modules(made.store, options), store: made.store };
  };

  describe('enrolment', () => {
    it('shows the same secret until it is confirmed, as base32, otpauth URI and QR SVG', async () => {
      const m = await setup();
      const { account } = await m.accounts.create('ada@example.com', { verified: true });
      const first = (await m.enrollment.begin(account, PAGE))!;
      const again = (await m.enrollment.begin(account, PAGE))!;
      expect(again.secret).toBe(first.secret);
      expect(first.secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(first.uri).toBe(`otpauth://totp/Sesame:ada%40example.com?secret=${first.secret}&issuer=Sesame&algorithm=SHA1&digits=6&period=30`);
      expect(first.qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
      // Nothing is active before confirmation.
      expect((await m.accounts.findById(account.id))!.totp).toBeUndefined();
    });

    it('shows a pending secret only to the page it was shown to: another session gets its own, which replaces it', async () => {
      const m = await setup();
      const { account } = await m.accounts.create('ada@example.com', { verified: true });
      const owners = (await m.enrollment.begin(account, 'account-session:owner'))!;
      const others = (await m.enrollment.begin(account, 'account-session:other'))!;
      expect(others.secret).not.toBe(owners.secret);
      // The owner's page no longer works and says why; what it shows next is new, not the other session's.
      expect(await m.enrollment.confirm(account, 'account-session:owner', codeAt(owners.secret, STEP))).toEqual({ ok: false, reason: 'replaced' });
      expect(await m.enrollment.confirm(account, 'account-session:owner', codeAt(others.secret, STEP))).toEqual({ ok: false, reason: 'replaced' });
      const ownersAgain = (await m.enrollment.begin(account, 'account-session:owner'))!;
      expect([owners.secret, others.secret]).not.toContain(ownersAgain.secret);
      // And now the other session's page is the one told to start over.
      expect(await m.enrollment.confirm(account, 'account-session:other', codeAt(others.secret, STEP))).toEqual({ ok: false, reason: 'replaced' });
      expect((await m.enrollment.confirm(account, 'account-session:owner', codeAt(ownersAgain.secret, STEP))).ok).toBe(true);
      expect((await m.accounts.findById(account.id))!.totp).toBeDefined();
    });

    it('activates only with a current code, stores the secret sealed, and issues 10 recovery codes', async () => {
      const m = await setup();
      const { account } = await m.accounts.create('ada@example.com', { verified: true });
      const { secret } = (await m.enrollment.begin(account, PAGE))!;
      expect(await m.enrollment.confirm(account, PAGE, codeAt(secret, STEP - 2))).toEqual({ ok: false, reason: 'wrong' });
      const confirmed = await m.enrollment.confirm(account, PAGE, codeAt(secret, STEP));
      expect(confirmed.ok).toBe(true);
      const codes = (confirmed as { recoveryCodes: string[] }).recoveryCodes;
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      const stored = (await m.accounts.findById(account.id))!;
      expect(stored.totp!.sealedSecret).toMatch(/^v1\.k1\./);
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect(await m.recoveryCodes.remaining(account.id)).toBe(10);
      // The pending secret is used up, and a second enrolment over the first is refused.
      expect(await m.enrollment.begin(stored, PAGE)).toBeUndefined();
      expect(await m.enrollment.confirm(stored, PAGE, codeAt(secret, STEP + 1))).toEqual({ ok: false, reason: 'already-enrolled' });
    });

    it('spends the confirming code: it cannot sign in afterwards', async () => {
      const m = await setup();
      const { account, secret } = await enrolled(m);
      expect(await m.check.verify(account, 'sign-in-1', { kind: 'totp', code: codeAt(secret, STEP) })).toEqual({ ok: false, reason: 'replayed' });
    });
  });

  describe('checking a code', () => {
    it('accepts a current code once; the same step is refused again', async () => {
      const m = await setup();
      const { account, secret } = await enrolled(m);
      const code = codeAt(secret, STEP + 1);
      expect(await m.check.verify(account, 'sign-in-1', { kind: 'totp', code })).toEqual({ ok: true, method: 'otp' });
      expect(await m.check.verify(account, 'sign-in-2', { kind: 'totp', code })).toEqual({ ok: false, reason: 'replayed' });
    });

    it('accepts each recovery code once, as method recovery_code', async () => {
      const m = await setup();
      const { account, recoveryCodes } = await enrolled(m);
      expect(await m.check.verify(account, 'sign-in-1', { kind: 'recovery-code', code: recoveryCodes[0]!.toUpperCase() })).toEqual({ ok: true, method: 'recovery_code' });
      expect(await m.check.verify(account, 'sign-in-2', { kind: 'recovery-code', code: recoveryCodes[0]! })).toMatchObject({ ok: false, reason: 'wrong' });
      expect(await m.recoveryCodes.remaining(account.id)).toBe(9);
    });

    it('counts attempts per sign-in and per account before comparing', async () => {
      const m = await setup({ maxAttemptsPerSignIn: 3, accountLimit: 5 });
      const { account, secret } = await enrolled(m);
      const wrong = codeAt(secret, STEP + 5);
      expect(await m.check.verify(account, 'a', { kind: 'totp', code: wrong })).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 2 });
      expect(await m.check.verify(account, 'a', { kind: 'totp', code: wrong })).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 1 });
      expect(await m.check.verify(account, 'a', { kind: 'totp', code: wrong })).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 0 });
      // This sign-in is spent, even for the right code.
      expect(await m.check.verify(account, 'a', { kind: 'totp', code: codeAt(secret, STEP + 1) })).toMatchObject({ ok: false, reason: 'too-many-attempts', scope: 'sign-in' });
      // A new sign-in has its own budget, but the account's (5) is nearly spent too.
      expect(await m.check.verify(account, 'b', { kind: 'totp', code: wrong })).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 0 });
      expect(await m.check.verify(account, 'c', { kind: 'totp', code: codeAt(secret, STEP + 1) })).toMatchObject({ ok: false, reason: 'too-many-attempts', scope: 'account' });
    });

    it('locks the second factor after the consecutive-failure ceiling, for right codes too', async () => {
      const m = await setup({ maxConsecutiveFailures: 3, accountLimit: 100 });
      const { account, secret, recoveryCodes } = await enrolled(m);
      const wrong = codeAt(secret, STEP + 5);
      await m.check.verify(account, 'a', { kind: 'totp', code: wrong });
      await m.check.verify(account, 'b', { kind: 'recovery-code', code: 'aaaaa-aaaaa' });
      expect(await m.check.verify(account, 'c', { kind: 'totp', code: wrong })).toEqual({ ok: false, reason: 'locked' });
      expect(await m.check.verify(account, 'd', { kind: 'totp', code: codeAt(secret, STEP + 1) })).toEqual({ ok: false, reason: 'locked' });
      expect(await m.check.verify(account, 'e', { kind: 'recovery-code', code: recoveryCodes[1]! })).toEqual({ ok: false, reason: 'locked' });
    });

    it('with one try left, of right codes sent at once exactly one is honoured, even in a fresh window of the account\'s budget', async () => {
      // The budget (10 per account per 15 minutes) is counted before comparing, but it is per
      // window, and the streak (20 by default) spans windows: the account's budget does not make
      // the lock strict.
      const m = await setup({ maxConsecutiveFailures: 3, accountLimit: 10 });
      const { account, secret, recoveryCodes } = await enrolled(m);
      const wrong = codeAt(secret, STEP + 5);
      await m.check.verify(account, 'a', { kind: 'totp', code: wrong });
      await m.check.verify(account, 'a', { kind: 'totp', code: wrong });
      m.advanceSteps(30);
      // Ten right recovery codes (whoever holds the sheet) over two sign-ins, all at once.
      const results = await Promise.all(recoveryCodes.map((code, i) => m.check.verify(account, `burst-${i % 2}`, { kind: 'recovery-code', code })));
      expect(results.filter((result) => result.ok).length).toBe(1);
      // The others get what any code past the ceiling gets.
      expect(results.filter((result) => !result.ok).every((result) => !result.ok && result.reason === 'locked')).toBe(true);
    });

    it('a success ends the failure streak', async () => {
      const m = await setup({ maxConsecutiveFailures: 3, accountLimit: 100 });
      const { account, secret } = await enrolled(m);
      const wrong = codeAt(secret, STEP + 5);
      await m.check.verify(account, 'a', { kind: 'totp', code: wrong });
      await m.check.verify(account, 'a', { kind: 'totp', code: wrong });
      expect(await m.check.verify(account, 'b', { kind: 'totp', code: codeAt(secret, STEP + 1) })).toEqual({ ok: true, method: 'otp' });
      await m.check.verify(account, 'c', { kind: 'totp', code: wrong });
      expect(await m.check.verify(account, 'c', { kind: 'totp', code: wrong })).toMatchObject({ reason: 'wrong' });
    });

    it('re-seals a secret sealed under an older key with the current one', async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      const oldKey = { id: 'old', key: randomBytes(32) };
      const before = modules(made.store, { keys: [oldKey] });
      const { account, secret } = await enrolled(before);
      expect(sealedKeyId(account.totp!.sealedSecret)).toBe('old');
      const after = modules(made.store, { keys: [{ id: 'new', key: randomBytes(32) }, oldKey] });
      expect(await after.check.verify(account, 'a', { kind: 'totp', code: codeAt(secret, STEP + 1) })).toMatchObject({ ok: true });
      const resealed = (await after.accounts.findById(account.id))!;
      expect(sealedKeyId(resealed.totp!.sealedSecret)).toBe('new');
      // Still the same secret underneath.
      after.advanceSteps(1);
      expect(await after.check.verify(resealed, 'b', { kind: 'totp', code: codeAt(secret, STEP + 2) })).toMatchObject({ ok: true });
    });

    it('a check in flight while the authenticator is removed does not put it back when it re-seals the secret', async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      const oldKey = { id: 'old', key: randomBytes(32) };
      const { account, secret } = await enrolled(modules(made.store, { keys: [oldKey] }));
      const after = modules(made.store, { keys: [{ id: 'new', key: randomBytes(32) }, oldKey] });
      // The sign-in read the account (with its authenticator) before the removal wrote.
      const readBefore = account;
      await after.remove(account.id);
      await after.check.verify(readBefore, 'a', { kind: 'totp', code: codeAt(secret, STEP + 1) });
      expect((await after.accounts.findById(account.id))!.totp).toBeUndefined();
    });

    it('nor replaces an authenticator set up since with the one it read', async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      const oldKey = { id: 'old', key: randomBytes(32) };
      const { account, secret } = await enrolled(modules(made.store, { keys: [oldKey] }));
      const after = modules(made.store, { keys: [{ id: 'new', key: randomBytes(32) }, oldKey] });
      await after.remove(account.id);
      const offer = (await after.enrollment.begin((await after.accounts.findById(account.id))!, PAGE))!;
      after.advanceSteps(2);
      expect(await after.enrollment.confirm((await after.accounts.findById(account.id))!, PAGE, codeAt(offer.secret, STEP + 2))).toMatchObject({ ok: true });
      const replacement = (await after.accounts.findById(account.id))!.totp!;
      // A check that read the account before all this, with a code of the old authenticator.
      await after.check.verify(account, 'a', { kind: 'totp', code: codeAt(secret, STEP + 3) });
      expect((await after.accounts.findById(account.id))!.totp).toEqual(replacement);
    });

    it('refuses an account without an authenticator', async () => {
      const m = await setup();
      const { account } = await m.accounts.create('plain@example.com', { verified: true });
      expect(await m.check.verify(account, 'a', { kind: 'totp', code: '123456' })).toEqual({ ok: false, reason: 'not-enrolled' });
    });
  });

  describe('remembered browsers', () => {
    it('are remembered per account and device, listed, and forgotten one by one or all at once', async () => {
      const m = await setup();
      const laptop = m.devices.newDeviceId();
      const phone = m.devices.newDeviceId();
      await m.devices.remember('acct-1', laptop, 'Firefox on Linux', ENROLMENT);
      await m.devices.remember('acct-1', phone, 'Safari on iOS', ENROLMENT);
      expect(await m.devices.isRemembered('acct-1', laptop, ENROLMENT)).toBe(true);
      // The cookie alone proves nothing: another account, or a made-up id, is not remembered.
      expect(await m.devices.isRemembered('acct-2', laptop, ENROLMENT)).toBe(false);
      expect(await m.devices.isRemembered('acct-1', m.devices.newDeviceId(), ENROLMENT)).toBe(false);
      expect(await m.devices.isRemembered('acct-1', 'not-an-id', ENROLMENT)).toBe(false);
      expect(await m.devices.isRemembered('acct-1', undefined, ENROLMENT)).toBe(false);

      const listed = await m.devices.list('acct-1');
      expect(listed.map((d) => d.label).sort()).toEqual(['Firefox on Linux', 'Safari on iOS']);
      expect(listed.map((d) => d.handle)).toContain(m.devices.handleOf(laptop));
      expect(JSON.stringify(listed)).not.toContain(laptop);
      expect(listed[0]!.expiresAt.getTime() - listed[0]!.createdAt.getTime()).toBe(30 * 86_400_000);

      await m.devices.forget('acct-1', m.devices.handleOf(laptop));
      expect(await m.devices.isRemembered('acct-1', laptop, ENROLMENT)).toBe(false);
      expect(await m.devices.isRemembered('acct-1', phone, ENROLMENT)).toBe(true);
      expect(await m.devices.forgetAll('acct-1')).toBe(1);
      expect(await m.devices.isRemembered('acct-1', phone, ENROLMENT)).toBe(false);
      expect(await m.devices.list('acct-1')).toEqual([]);
    });

    it('skip only the authenticator they were remembered past: a browser remembered as it was being removed does not skip the next one', async () => {
      const m = await setup();
      const { account, secret } = await enrolled(m);
      const device = m.devices.newDeviceId();
      // A sign-in checked the authenticator, on one instance; on another the owner removes it; then the sign-in's
      // write remembering its browser lands, after the removal forgot every remembered browser.
      await m.remove(account.id);
      await m.devices.remember(account.id, device, 'Chrome on Linux', account.totp!.enrolledAt);
      // The owner sets up a new authenticator: that browser is not remembered past it.
      m.advanceSteps(2);
      const offer = (await m.enrollment.begin((await m.accounts.findById(account.id))!, PAGE))!;
      expect(offer.secret).not.toBe(secret);
      const confirmed = await m.enrollment.confirm((await m.accounts.findById(account.id))!, PAGE, codeAt(offer.secret, STEP + 2));
      if (!confirmed.ok) throw new Error(`enrolment failed: ${confirmed.reason}`);
      const now = (await m.accounts.findById(account.id))!;
      expect(now.totp!.enrolledAt).not.toBe(account.totp!.enrolledAt);
      expect(await m.devices.isRemembered(account.id, device, now.totp!.enrolledAt)).toBe(false);
      // One remembered past the new authenticator is.
      const next = m.devices.newDeviceId();
      await m.devices.remember(account.id, next, 'Firefox on Linux', now.totp!.enrolledAt);
      expect(await m.devices.isRemembered(account.id, next, now.totp!.enrolledAt)).toBe(true);
    });

    it('remember nothing when the lifetime is 0 days', async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      const devices = createRememberedDevices({ store: made.store, hmacKey: HMAC_KEY, days: 0 });
      const id = devices.newDeviceId();
      await devices.remember('acct-1', id, 'Chrome on Linux', ENROLMENT);
      expect(devices.enabled).toBe(false);
      expect(await devices.isRemembered('acct-1', id, ENROLMENT)).toBe(false);
    });
  });

  it('removing the second factor clears the authenticator, recovery codes, pending enrolment and remembered browsers', async () => {
    const m = await setup();
    const { account, recoveryCodes } = await enrolled(m);
    const device = m.devices.newDeviceId();
    await m.devices.remember(account.id, device, 'Chrome on Linux', account.totp!.enrolledAt);
    expect(await m.remove(account.id)).toEqual({ hadTotp: true, forgottenDevices: 1 });
    const after = (await m.accounts.findById(account.id)) as Account;
    expect(after.totp).toBeUndefined();
    expect(after.email).toBe('ada@example.com');
    expect(await m.recoveryCodes.remaining(account.id)).toBe(0);
    expect(await m.recoveryCodes.redeem(account.id, recoveryCodes[0]!)).toBe(false);
    expect(await m.devices.isRemembered(account.id, device, account.totp!.enrolledAt)).toBe(false);
    expect(await m.remove(account.id)).toEqual({ hadTotp: false, forgottenDevices: 0 });
    // A new enrolment starts from a new secret.
    expect((await m.enrollment.begin(after, PAGE))!.secret).toMatch(/^[A-Z2-7]{32}$/);
  });
});
