import { describe, expect, it } from '@jest/globals';
import { createLockout } from '../../src/auth/lockout.ts';
import { createSignInCodes } from '../../src/auth/sign-in-codes.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { bothStores } from '../helpers/both-stores.ts';

const KEY = 'k'.repeat(32);

function setup(overrides: { ttlSeconds?: number } = {}) {
  let now = 1_800_000_000_000;
  const store = createMemoryStore({ now: () => now });
  const codes = createSignInCodes({ store, hmacKey: KEY, now: () => now, ...overrides });
  return { store, codes, advance: (ms: number) => (now += ms) };
}

describe('sign-in codes', () => {
  it('stores only keyed hashes, never the code or link token', async () => {
    const { store, codes } = setup();
    const issued = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'Chrome on Linux' });
    const stored = JSON.stringify(await store.get('sign-in:{uid1}'));
    expect(stored).not.toContain(issued.code);
    expect(stored).not.toContain(issued.linkToken);
    expect(issued.code).toMatch(/^\d{6}$/);
    expect(issued.linkToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a device\'s link tells it was a device\'s, by itself, after its records are gone; an app\'s, a forged or another sign-in\'s does not', async () => {
    const { codes, advance } = setup({ ttlSeconds: 600 });
    const device = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x', forDevice: true });
    const app = await codes.issue('uid2', 'a@example.com', { requestedFrom: 'x' });
    expect(device.linkToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    advance(3 * 600_000);
    expect(await codes.peekLink('uid1', device.linkToken)).toBeUndefined();
    expect(codes.wasIssuedForDevice('uid1', device.linkToken)).toBe(true);
    expect(codes.wasIssuedForDevice('uid2', app.linkToken)).toBe(false);
    expect(codes.wasIssuedForDevice('uid2', device.linkToken)).toBe(false);
    expect(codes.wasIssuedForDevice('uid1', `${device.linkToken.slice(0, 32)}${'A'.repeat(11)}`)).toBe(false);
    expect(codes.wasIssuedForDevice('uid1', device.linkToken.slice(0, 42))).toBe(false);
    // Issued under another key (another deployment), the tag does not hold.
    const other = createSignInCodes({ store: createMemoryStore(), hmacKey: 'o'.repeat(32) });
    expect(other.wasIssuedForDevice('uid1', device.linkToken)).toBe(false);
  });

  it('a code works once', async () => {
    const { codes } = setup();
    const { code } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    expect(await codes.redeemCode('uid1', code)).toEqual({ ok: true, email: 'a@example.com' });
    expect(await codes.redeemCode('uid1', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('expires after its lifetime', async () => {
    const { codes, advance } = setup({ ttlSeconds: 600 });
    const { code, linkToken } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    advance(600_000);
    expect(await codes.redeemCode('uid1', code)).toEqual({ ok: false, reason: 'expired' });
    expect(await codes.peekLink('uid1', linkToken)).toBeUndefined();
  });

  it('a code is bound to its interaction', async () => {
    const { codes } = setup();
    const { code } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    await codes.issue('uid2', 'b@example.com', { requestedFrom: 'x' });
    const result = await codes.redeemCode('uid2', code);
    expect(result.ok).toBe(false);
  });

  it('five wrong codes kill it', async () => {
    const { codes } = setup();
    const { code } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    const wrong = code === '000000' ? '000001' : '000000';
    for (let left = 4; left >= 1; left--) expect(await codes.redeemCode('uid1', wrong)).toEqual({ ok: false, reason: 'wrong', attemptsLeft: left });
    expect(await codes.redeemCode('uid1', wrong)).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(await codes.redeemCode('uid1', code)).toEqual({ ok: false, reason: 'expired' });
  });

  it('a new issue replaces the old link and code', async () => {
    const { codes } = setup();
    const first = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    expect((await codes.redeemCode('uid1', first.code)).ok).toBe(false);
    expect(await codes.peekLink('uid1', first.linkToken)).toBeUndefined();
  });

  it('peekLink never consumes; redeemLink does, once', async () => {
    const { codes } = setup();
    const { linkToken, matchNumber } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'Safari on iOS' });
    for (let i = 0; i < 3; i++) expect(await codes.peekLink('uid1', linkToken)).toMatchObject({ email: 'a@example.com', matchNumber, requestedFrom: 'Safari on iOS' });
    expect(await codes.redeemLink('uid1', linkToken, matchNumber)).toEqual({ ok: true, email: 'a@example.com', requestId: expect.any(String) });
    expect(await codes.redeemLink('uid1', linkToken, matchNumber)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keeps whether the sign-in is a device\'s, for the link\'s page to say so', async () => {
    const { codes } = setup();
    const device = await codes.issue('uid-device', 'a@example.com', { requestedFrom: 'x', clientName: 'Living Room TV', forDevice: true });
    const app = await codes.issue('uid-app', 'a@example.com', { requestedFrom: 'x', clientName: 'Test App', forDevice: false });
    expect(await codes.peekLink('uid-device', device.linkToken)).toMatchObject({ clientName: 'Living Room TV', forDevice: true });
    expect(await codes.peekLink('uid-app', app.linkToken)).not.toHaveProperty('forDevice');
  });

  it('a wrong number burns the link but not the code, and of numbers sent at once only one is compared', async () => {
    const { codes } = setup();
    const { linkToken } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    const everyNumber = Array.from({ length: 90 }, (_, i) => i + 10);
    const results = await Promise.all(everyNumber.map((n) => codes.redeemLink('uid1', linkToken, n)));
    // One of them took the record and was compared: right (signed in) or wrong (link burnt).
    const compared = results.filter((r) => r.ok || r.reason === 'wrong-number');
    expect(compared).toHaveLength(1);
    expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(1);

    const { code: code2, linkToken: link2, matchNumber: number2 } = await codes.issue('uid2', 'b@example.com', { requestedFrom: 'x', clientId: 'test-app', clientName: 'Test app' });
    const wrong = number2 === 10 ? 11 : 10;
    // Which sign-in it was, for the audit line of the device that guessed (it holds no interaction).
    expect(await codes.redeemLink('uid2', link2, wrong)).toEqual({ ok: false, reason: 'wrong-number', email: 'b@example.com', clientId: 'test-app' });
    expect(await codes.peekLink('uid2', link2)).toBeUndefined();
    expect(await codes.redeemLink('uid2', link2, number2)).toEqual({ ok: false, reason: 'expired' });
    expect(await codes.redeemLink('uid2', link2)).toEqual({ ok: false, reason: 'expired' });
    // The person who can see the waiting tab still types the code there.
    expect(await codes.redeemCode('uid2', code2)).toEqual({ ok: true, email: 'b@example.com' });
  });

  it('a redemption that read the record before a wrong number burnt the link gets no number compared after it', async () => {
    const inner = createMemoryStore();
    // The second take is slow (another instance, a busy event loop): both reads happen first.
    let releaseSecond!: () => void;
    const secondMayTake = new Promise<void>((resolve) => (releaseSecond = resolve));
    let takes = 0;
    const store: typeof inner = { ...inner, take: async <T>(key: string) => { if (++takes === 2) await secondMayTake; return inner.take<T>(key); } };
    const codes = createSignInCodes({ store, hmacKey: KEY });
    const { code, linkToken, matchNumber } = await codes.issue('uid1', 'victim@example.com', { requestedFrom: 'x' });
    const first = codes.redeemLink('uid1', linkToken, matchNumber === 10 ? 11 : 10);
    const second = codes.redeemLink('uid1', linkToken, matchNumber);
    expect(await first).toEqual({ ok: false, reason: 'wrong-number', email: 'victim@example.com', clientId: undefined });
    releaseSecond();
    expect(await second).toEqual({ ok: false, reason: 'expired' });
    // What the second one took went back: the code still works in the tab where the sign-in began.
    expect(await codes.redeemCode('uid1', code)).toEqual({ ok: true, email: 'victim@example.com' });
  });

  it('a redemption that took a newer issue puts it back, and a put-back never undoes a resend', async () => {
    const inner = createMemoryStore();
    let afterRead: (() => Promise<unknown>) | undefined;
    let afterTake: (() => Promise<unknown>) | undefined;
    const store: typeof inner = {
      ...inner,
      get: async <T>(key: string) => { const value = await inner.get<T>(key); const hook = afterRead; afterRead = undefined; await hook?.(); return value; },
      take: async <T>(key: string) => { const value = await inner.take<T>(key); const hook = afterTake; afterTake = undefined; await hook?.(); return value; },
    };
    const codes = createSignInCodes({ store, hmacKey: KEY });

    // "Send a new code" lands between a redemption's read and its take: the new issue is not taken away.
    const old = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    let fresh!: Awaited<ReturnType<typeof codes.issue>>;
    afterRead = async () => (fresh = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' }));
    expect(await codes.redeemCode('uid1', old.code)).toEqual({ ok: false, reason: 'expired' });
    expect(await codes.redeemCode('uid1', fresh.code)).toEqual({ ok: true, email: 'a@example.com' });

    // ...nor between a wrong number's take and its put-back of the burnt record.
    const first = await codes.issue('uid2', 'b@example.com', { requestedFrom: 'x' });
    let resent!: Awaited<ReturnType<typeof codes.issue>>;
    afterTake = async () => (resent = await codes.issue('uid2', 'b@example.com', { requestedFrom: 'x' }));
    expect(await codes.redeemLink('uid2', first.linkToken, first.matchNumber === 10 ? 11 : 10)).toEqual({ ok: false, reason: 'wrong-number', email: 'b@example.com', clientId: undefined });
    expect(await codes.peekLink('uid2', resent.linkToken)).toBeDefined();
    expect(await codes.redeemLink('uid2', resent.linkToken, resent.matchNumber)).toEqual({ ok: true, email: 'b@example.com', requestId: expect.any(String) });
  });

  it('refuses misuse at construction', () => {
    const store = createMemoryStore();
    expect(() => createSignInCodes({ store, hmacKey: KEY, ttlSeconds: -1 })).toThrow(TypeError);
    expect(() => createSignInCodes({ store, hmacKey: 'short' })).toThrow(TypeError);
  });
});

describe('sign-in codes with the per-address lockout', () => {
  function setupLocked(maxConsecutiveFailures: number) {
    const store = createMemoryStore();
    const lockout = createLockout({ store, hmacKey: KEY, maxConsecutiveFailures });
    return { lockout, codes: createSignInCodes({ store, hmacKey: KEY, lockout }) };
  }
  const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');

  it('counts wrong codes per address across sign-ins, and a locked address gets "wrong" even for the right code', async () => {
    const { codes, lockout } = setupLocked(7);
    const first = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    for (let i = 0; i < 5; i++) await codes.redeemCode('uid1', wrongFor(first.code));
    expect(await lockout.isLocked('a@example.com')).toBe(false);
    const second = await codes.issue('uid2', 'a@example.com', { requestedFrom: 'x' });
    await codes.redeemCode('uid2', wrongFor(second.code));
    expect(await codes.redeemCode('uid2', wrongFor(second.code))).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 3 });
    expect(await lockout.isLocked('a@example.com')).toBe(true);
    // Exactly the answer a wrong code gets, with the attempt counted like one.
    expect(await codes.redeemCode('uid2', second.code)).toEqual({ ok: false, reason: 'wrong', attemptsLeft: 2 });
    // Another address is not affected, and the link (not guessable) still works for this one.
    const other = await codes.issue('uid3', 'b@example.com', { requestedFrom: 'x' });
    expect(await codes.redeemCode('uid3', other.code)).toEqual({ ok: true, email: 'b@example.com' });
    const third = await codes.issue('uid4', 'a@example.com', { requestedFrom: 'x' });
    expect(await codes.redeemLink('uid4', third.linkToken)).toEqual({ ok: true, email: 'a@example.com', requestId: expect.any(String) });
  });

  it('the right code submitted many times at once signs in once, and the sign-in ends the streak', async () => {
    const { codes, lockout } = setupLocked(30);
    for (let i = 0; i < 5; i++) await lockout.recordFailure('a@example.com');
    const { code } = await codes.issue('uid1', 'a@example.com', { requestedFrom: 'x' });
    const results = await Promise.all(Array.from({ length: 20 }, () => codes.redeemCode('uid1', code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    // Each submission counted as an attempt (5 + 20 = 25 of 30)...
    for (let i = 0; i < 4; i++) await lockout.recordFailure('a@example.com');
    expect(await lockout.isLocked('a@example.com')).toBe(false);
    await lockout.recordFailure('a@example.com');
    expect(await lockout.isLocked('a@example.com')).toBe(true);
    // ...until the sign-in (finish-login) ends the streak.
    await lockout.recordSuccess('a@example.com');
    expect(await lockout.isLocked('a@example.com')).toBe(false);
  });

  it('parallel guesses spread over several sign-ins all count towards one lock', async () => {
    const { codes, lockout } = setupLocked(10);
    const issued = await Promise.all(Array.from({ length: 4 }, (_, i) => codes.issue(`p${i}`, 'a@example.com', { requestedFrom: 'x' })));
    await Promise.all(issued.flatMap((it, i) => Array.from({ length: 5 }, () => codes.redeemCode(`p${i}`, wrongFor(it.code)))));
    expect(await lockout.isLocked('a@example.com')).toBe(true);
    const next = await codes.issue('p9', 'a@example.com', { requestedFrom: 'x' });
    expect((await codes.redeemCode('p9', next.code)).ok).toBe(false);
  });
});

describe.each(bothStores('sign-in-codes'))('the per-address lockout under concurrency, on %s', (_name, makeStore) => {
  it('with one try left, of right codes sent at once over several sign-ins exactly one signs in', async () => {
    const { store, cleanup } = await makeStore();
    try {
      const lockout = createLockout({ store, hmacKey: KEY, maxConsecutiveFailures: 3 });
      const codes = createSignInCodes({ store, hmacKey: KEY, lockout });
      await lockout.recordFailure('a@example.com');
      await lockout.recordFailure('a@example.com');
      // A guesser's burst: the codes of ten sign-ins, one guess each, all of them right.
      const issued = await Promise.all(Array.from({ length: 10 }, (_, i) => codes.issue(`burst${i}`, 'a@example.com', { requestedFrom: 'x' })));
      const results = await Promise.all(issued.map((it, i) => codes.redeemCode(`burst${i}`, it.code)));
      expect(results.filter((r) => r.ok).length).toBe(1);
      // The others are answered as any guess past the ceiling is: a wrong code.
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'wrong')).toBe(true);
    } finally {
      await cleanup();
    }
  });
});

describe.each(bothStores('sign-in-codes-announce'))('the lock is announced once, whichever attempt reaches the ceiling, on %s', (_name, makeStore) => {
  const wrongFor = (code: string) => (code === '000000' ? '000001' : '000000');
  const setupAnnounced = async () => {
    const { store, cleanup } = await makeStore();
    let now = Date.now();
    const announced: string[] = [];
    const lockout = createLockout({ store, hmacKey: KEY, maxConsecutiveFailures: 3, onLocked: (_streak, subject) => announced.push(subject) });
    const codes = createSignInCodes({ store, hmacKey: KEY, lockout, now: () => now });
    await lockout.recordFailure('a@example.com');
    await lockout.recordFailure('a@example.com');
    return { lockout, codes, announced, cleanup, advance: (ms: number) => (now += ms) };
  };

  it('a right code not honoured at the last try (expired) locks the address and announces it, once', async () => {
    const { lockout, codes, announced, cleanup, advance } = await setupAnnounced();
    try {
      const { code } = await codes.issue('late', 'a@example.com', { requestedFrom: 'x' });
      // Still in the store, but past its lifetime by the clock that decides.
      advance(600_000);
      expect(await codes.redeemCode('late', code)).toEqual({ ok: false, reason: 'expired' });
      expect(await lockout.isLocked('a@example.com')).toBe(true);
      expect(announced).toEqual(['a@example.com']);
      // The guesses after it find the lock: no second announcement.
      const next = await codes.issue('next', 'a@example.com', { requestedFrom: 'x' });
      await codes.redeemCode('next', wrongFor(next.code));
      await codes.redeemCode('next', next.code);
      expect(announced).toEqual(['a@example.com']);
    } finally {
      await cleanup();
    }
  });

  it('a right code honoured at the last try announces no lock: its sign-in ends the streak', async () => {
    const { lockout, codes, announced, cleanup } = await setupAnnounced();
    try {
      const { code } = await codes.issue('honoured', 'a@example.com', { requestedFrom: 'x' });
      expect(await codes.redeemCode('honoured', code)).toEqual({ ok: true, email: 'a@example.com' });
      expect(announced).toEqual([]);
      // The sign-in (finish-login) ends the streak.
      await lockout.recordSuccess('a@example.com');
      expect(await lockout.isLocked('a@example.com')).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
