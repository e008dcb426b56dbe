import { afterEach, describe, expect, it } from '@jest/globals';
import { createLockout } from '../../src/auth/lockout.ts';
import { bothStores } from '../helpers/both-stores.ts';

const KEY = 'k'.repeat(32);

describe.each(bothStores('lockout'))('lockout on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async (max = 5) => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return createLockout({ store: made.store, hmacKey: KEY, maxConsecutiveFailures: max });
  };

  it('locks after the maximum of consecutive failures, not before', async () => {
    const lockout = await setup(5);
    for (let i = 1; i < 5; i++) expect(await lockout.recordFailure('account-1')).toBe(false);
    expect(await lockout.isLocked('account-1')).toBe(false);
    expect(await lockout.recordFailure('account-1')).toBe(true);
    expect(await lockout.isLocked('account-1')).toBe(true);
    expect(await lockout.isLocked('account-2')).toBe(false);
  });

  it('a success ends the streak: only consecutive failures count', async () => {
    const lockout = await setup(3);
    await lockout.recordFailure('a');
    await lockout.recordFailure('a');
    await lockout.recordSuccess('a');
    await lockout.recordFailure('a');
    await lockout.recordFailure('a');
    expect(await lockout.isLocked('a')).toBe(false);
  });

  it('unlock() lets a locked subject in again', async () => {
    const lockout = await setup(2);
    await lockout.recordFailure('a');
    await lockout.recordFailure('a');
    expect(await lockout.isLocked('a')).toBe(true);
    await lockout.unlock('a');
    expect(await lockout.isLocked('a')).toBe(false);
  });

  it('keeps separate streaks per secret, and unlock() clears them all', async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    const signIn = createLockout({ store: made.store, hmacKey: KEY, maxConsecutiveFailures: 2 });
    const secondFactor = createLockout({ store: made.store, hmacKey: KEY, maxConsecutiveFailures: 2, streak: 'second-factor' });
    await secondFactor.recordFailure('a@example.com');
    // A successful email sign-in does not wipe the authenticator streak.
    await signIn.recordSuccess('a@example.com');
    await secondFactor.recordFailure('a@example.com');
    expect(await secondFactor.isLocked('a@example.com')).toBe(true);
    expect(await signIn.isLocked('a@example.com')).toBe(false);
    await signIn.recordFailure('a@example.com');
    await signIn.recordFailure('a@example.com');
    expect(await signIn.isLocked('a@example.com')).toBe(true);
    // The operator's one command, whichever instance it goes through.
    await signIn.unlock('a@example.com');
    expect(await signIn.isLocked('a@example.com')).toBe(false);
    expect(await secondFactor.isLocked('a@example.com')).toBe(false);
  });

  it('parallel failures are all counted', async () => {
    const lockout = await setup(50);
    await Promise.all(Array.from({ length: 50 }, () => lockout.recordFailure('a')));
    expect(await lockout.isLocked('a')).toBe(true);
  });
});

describe('lockout limits', () => {
  it('refuses a threshold above NIST SP 800-63B\'s 100', () => {
    expect(() => createLockout({ store: {} as never, hmacKey: KEY, maxConsecutiveFailures: 101 })).toThrow(TypeError);
  });
});

describe('lockout events', () => {
  it('reports each lock once, from the failure that locks, with its streak', async () => {
    const { createMemoryStore } = await import('../../src/store/memory-store.ts');
    const store = createMemoryStore();
    const locked: string[] = [];
    const lockout = createLockout({ store, hmacKey: KEY, streak: 'second-factor', maxConsecutiveFailures: 3, onLocked: (streak) => locked.push(streak) });
    for (let i = 0; i < 5; i++) await lockout.recordFailure('a@example.com');
    expect(locked).toEqual(['second-factor']);
    await lockout.unlock('a@example.com');
    for (let i = 0; i < 3; i++) await lockout.recordFailure('a@example.com');
    expect(locked).toEqual(['second-factor', 'second-factor']);
    await store.close();
  });

  it('reports a lock reached by a right secret that was not honoured, once; not one that was honoured', async () => {
    const { createMemoryStore } = await import('../../src/store/memory-store.ts');
    const store = createMemoryStore();
    const locked: string[] = [];
    const lockout = createLockout({ store, hmacKey: KEY, maxConsecutiveFailures: 2, onLocked: (_streak, subject) => locked.push(subject) });
    await lockout.recordFailure('a');
    const honoured = await lockout.countAttempt('a');
    expect(honoured.withinCeiling).toBe(true);
    await lockout.recordSuccess('a');
    expect(locked).toEqual([]);

    await lockout.recordFailure('a');
    const lost = await lockout.countAttempt('a');
    expect(lost.withinCeiling).toBe(true);
    expect(lost.failed()).toBe(true);
    expect(lost.failed()).toBe(true);
    expect(locked).toEqual(['a']);
    // Past the ceiling: not within it, and the lock is not announced again.
    const past = await lockout.countAttempt('a');
    expect(past.withinCeiling).toBe(false);
    past.failed();
    await lockout.recordFailure('a');
    expect(locked).toEqual(['a']);
    await store.close();
  });
});
