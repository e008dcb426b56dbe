import { afterEach, describe, expect, it } from '@jest/globals';
import { createEmailChangeCodes } from '../../src/auth/email-change-codes.ts';
import { createLockout } from '../../src/auth/lockout.ts';
import { emailChangeKey } from '../../src/store/keys.ts';
import { bothStores } from '../helpers/both-stores.ts';

const KEY = 'k'.repeat(32);
const CHANGE = { from: 'old@example.com', to: 'new@example.com' };
const otherThan = (code: string) => (code === '000000' ? '000001' : '000000');

describe.each(bothStores('email-change-codes'))('email change codes on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async (options: { ttlSeconds?: number; maxWrongAttempts?: number } = {}) => {
    const made = await makeStore();
    cleanup = made.cleanup;
    let now = Date.now();
    const codes = createEmailChangeCodes({ store: made.store, hmacKey: KEY, now: () => now, ...options });
    return { store: made.store, codes, advance: (ms: number) => (now += ms) };
  };

  it('stores only a keyed hash of the code, bound to the account and the new address', async () => {
    const { store, codes } = await setup();
    const { code } = await codes.issue('acct-1', CHANGE);
    expect(code).toMatch(/^\d{6}$/);
    const stored = JSON.stringify(await store.get(emailChangeKey('acct-1')));
    expect(stored).not.toContain(code);
    expect(await codes.pending('acct-1')).toMatchObject({ to: 'new@example.com' });
    // Another account's code does not fit this account's record, whatever the digits.
    expect(await codes.redeem('acct-2', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a right code works once', async () => {
    const { codes } = await setup();
    const { code } = await codes.issue('acct-1', CHANGE);
    expect(await codes.redeem('acct-1', code)).toEqual({ ok: true, ...CHANGE });
    expect(await codes.redeem('acct-1', code)).toEqual({ ok: false, reason: 'expired' });
    expect(await codes.pending('acct-1')).toBeUndefined();
  });

  it('expires after its lifetime', async () => {
    const { codes, advance } = await setup({ ttlSeconds: 600 });
    const { code } = await codes.issue('acct-1', CHANGE);
    advance(600_000);
    expect(await codes.pending('acct-1')).toBeUndefined();
    expect(await codes.redeem('acct-1', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('five wrong tries kill it, the right code with them', async () => {
    const { codes } = await setup({ maxWrongAttempts: 5 });
    const { code } = await codes.issue('acct-1', CHANGE);
    for (let left = 4; left >= 1; left--) expect(await codes.redeem('acct-1', otherThan(code))).toEqual({ ok: false, reason: 'wrong', attemptsLeft: left });
    expect(await codes.redeem('acct-1', otherThan(code))).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(await codes.redeem('acct-1', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a new request replaces the previous one, with a fresh count of tries', async () => {
    const { codes } = await setup({ maxWrongAttempts: 2 });
    const first = await codes.issue('acct-1', CHANGE);
    expect(await codes.redeem('acct-1', otherThan(first.code))).toMatchObject({ reason: 'wrong' });
    const second = await codes.issue('acct-1', { ...CHANGE, to: 'newer@example.com' });
    expect(await codes.pending('acct-1')).toMatchObject({ to: 'newer@example.com' });
    if (first.code !== second.code) expect(await codes.redeem('acct-1', first.code)).toMatchObject({ reason: 'wrong' });
    else expect(await codes.redeem('acct-1', otherThan(second.code))).toMatchObject({ reason: 'wrong' });
    expect(await codes.redeem('acct-1', second.code)).toEqual({ ok: true, from: CHANGE.from, to: 'newer@example.com' });
  });

  it('of parallel redemptions of the right code exactly one wins', async () => {
    const { codes } = await setup({ maxWrongAttempts: 20 });
    const { code } = await codes.issue('acct-1', CHANGE);
    const results = await Promise.all(Array.from({ length: 10 }, () => codes.redeem('acct-1', code)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
  });

  it('of a burst of parallel guesses no more than the cap get an answer, even a right one among them', async () => {
    const { codes } = await setup({ maxWrongAttempts: 5 });
    const { code } = await codes.issue('acct-1', CHANGE);
    const guesses = [...Array.from({ length: 19 }, () => otherThan(code)), code];
    const results = await Promise.all(guesses.map((guess) => codes.redeem('acct-1', guess)));
    const answered = results.filter((result) => result.ok || result.reason === 'wrong');
    expect(answered.length).toBeLessThanOrEqual(5);
  });
});

describe.each(bothStores('email-change-lockout'))('the new address\'s lockout under concurrency, on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async (maxConsecutiveFailures = 3) => {
    const made = await makeStore();
    cleanup = made.cleanup;
    const announced: string[] = [];
    const lockout = createLockout({ store: made.store, hmacKey: KEY, maxConsecutiveFailures, onLocked: (_streak, subject) => announced.push(subject) });
    return { lockout, announced, codes: createEmailChangeCodes({ store: made.store, hmacKey: KEY, lockout }) };
  };

  it('with one try left, of right codes sent at once by many accounts for one address exactly one is honoured', async () => {
    const { lockout, codes } = await setup();
    await lockout.recordFailure(CHANGE.to);
    await lockout.recordFailure(CHANGE.to);
    // Ten accounts (the per-account request limit does not bound them) each hold a code for the address.
    const issued = await Promise.all(Array.from({ length: 10 }, (_, i) => codes.issue(`acct-${i}`, { from: `old-${i}@example.com`, to: CHANGE.to })));
    const results = await Promise.all(issued.map((it, i) => codes.redeem(`acct-${i}`, it.code)));
    expect(results.filter((result) => result.ok).length).toBe(1);
    // The others are answered as any guess past the ceiling is: a wrong code, their codes still pending.
    expect(results.filter((result) => !result.ok).every((result) => !result.ok && result.reason === 'wrong')).toBe(true);
  });

  it('every wrong code counts against the new address, the one that kills the code too, and the lock is announced once', async () => {
    const { lockout, announced, codes } = await setup(6);
    const first = await codes.issue('acct-1', CHANGE);
    for (let left = 4; left >= 1; left--) expect(await codes.redeem('acct-1', otherThan(first.code))).toMatchObject({ reason: 'wrong', attemptsLeft: left });
    expect(await codes.redeem('acct-1', otherThan(first.code))).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(await lockout.isLocked(CHANGE.to)).toBe(false);
    const second = await codes.issue('acct-2', CHANGE);
    expect(await codes.redeem('acct-2', otherThan(second.code))).toMatchObject({ reason: 'wrong' });
    expect(await lockout.isLocked(CHANGE.to)).toBe(true);
    // Past the ceiling the right code is refused as a wrong one, and announces nothing more.
    expect(await codes.redeem('acct-2', second.code)).toMatchObject({ reason: 'wrong' });
    expect(announced).toEqual([CHANGE.to]);
  });
});
