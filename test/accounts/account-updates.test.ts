import { afterEach, describe, expect, it } from '@jest/globals';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { bothStores } from '../helpers/both-stores.ts';

describe.each(bothStores('account-updates'))('changes to one account at the same time on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return createAccounts({ store: made.store });
  };

  it('none is lost: an authenticator set up, browsers signed out and a sign-out everywhere, all at once', async () => {
    const accounts = await setup();
    const { account } = await accounts.create('busy@example.com', { verified: true });
    const totp = { sealedSecret: 'sealed', enrolledAt: '2026-12-02T00:00:00.000Z' };
    // Each reads the record, then writes it back changed: a plain write would keep only the last.
    await Promise.all([
      accounts.setTotp(account.id, totp),
      accounts.endSessions(account.id, ['laptop-uid'], { keepSeconds: 3600 }),
      accounts.endSessions(account.id, ['phone-uid'], { keepSeconds: 3600 }),
      accounts.signOutEverywhere(account.id),
    ]);
    const after = (await accounts.findById(account.id))!;
    expect(after.totp).toEqual(totp);
    expect(Object.keys(after.endedSessions ?? {}).sort()).toEqual(['laptop-uid', 'phone-uid']);
    expect(after.signedOutAt).toEqual(expect.any(Number));
  });

  it('does not bring back an account removed meanwhile', async () => {
    const accounts = await setup();
    const { account } = await accounts.create('gone@example.com', { verified: true });
    await accounts.remove('gone@example.com');
    expect(await accounts.setTotp(account.id, { sealedSecret: 's', enrolledAt: '2026-12-02T00:00:00.000Z' })).toBeUndefined();
    expect(await accounts.findById(account.id)).toBeUndefined();
  });

  it('the first sign-in of an account an administrator added does not undo a sign-out everywhere that landed after its read, nor bring back a removed account', async () => {
    const accounts = await setup();
    const { account: read } = await accounts.create('invited@example.com', { verified: false });
    await accounts.signOutEverywhere(read.id);
    await accounts.removeAppAccess(read.id, 'some-app', { keepSeconds: 3600 });
    const verified = await accounts.markVerified(read);
    expect(verified?.emailVerifiedAt).toEqual(expect.any(String));
    const after = (await accounts.findById(read.id))!;
    expect(after.emailVerifiedAt).toBe(verified!.emailVerifiedAt);
    expect(after.signedOutAt).toEqual(expect.any(Number));
    expect(Object.keys(after.appAccessRemoved ?? {})).toEqual(['some-app']);
    await accounts.remove('invited@example.com');
    expect(await accounts.markVerified(read)).toBeUndefined();
    expect(await accounts.findById(read.id)).toBeUndefined();
  });

  it('two changes of address at once (the account page and user change-email): one stands, and only its address leads to the account', async () => {
    const accounts = await setup();
    const { account } = await accounts.create('old@example.com', { verified: true });
    const results = await Promise.all([accounts.changeEmail(account.id, 'old@example.com', 'admin-chosen@example.com', { proven: true }), accounts.changeEmail(account.id, 'old@example.com', 'other@example.com', { proven: true })]);
    const final = (await accounts.findById(account.id))!;
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.find((result) => !result.ok)).toEqual({ ok: false, reason: 'stale' });
    const leadingHere = [];
    for (const email of ['old@example.com', 'admin-chosen@example.com', 'other@example.com']) if ((await accounts.findByEmail(email))?.id === account.id) leadingHere.push(email);
    expect(leadingHere).toEqual([final.email]);
    // The same change again (a retry after a crash, or a second press) finds it done.
    expect(await accounts.changeEmail(account.id, 'old@example.com', final.email, { proven: true })).toMatchObject({ ok: false, reason: 'stale' });
    expect((await accounts.findByEmail(final.email))?.id).toBe(account.id);
  });

  it('one change of address at a time: others while one is held up are refused, and every address leads where the record says', async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    const plain = createAccounts({ store: made.store });
    const { account } = await plain.create('a@example.com', { verified: true });
    // A change held up just before it writes the record (the store's read of it waits).
    let reached!: () => void;
    let release!: () => void;
    const atWrite = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const slow = createAccounts({
      store: new Proxy(made.store, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target) as unknown;
          if (prop !== 'getJson' || held) return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          return async (key: string) => {
            held = true;
            reached();
            await released;
            return target.getJson(key);
          };
        },
      }),
    });
    const first = slow.changeEmail(account.id, 'a@example.com', 'b@example.com', { proven: true });
    await atWrite;
    // Meanwhile: the same account moved elsewhere, and back, and on from there (the review's interleavings).
    expect(await plain.changeEmail(account.id, 'a@example.com', 'c@example.com', { proven: true })).toEqual({ ok: false, reason: 'stale' });
    expect(await plain.changeEmail(account.id, 'c@example.com', 'b@example.com', { proven: true })).toEqual({ ok: false, reason: 'stale' });
    release();
    expect(await first).toMatchObject({ ok: true });
    const leading = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) if ((await plain.findByEmail(email))?.id === account.id) leading.push(email);
    expect([(await plain.findById(account.id))!.email, leading]).toEqual(['b@example.com', ['b@example.com']]);
    // Done, the next change goes through.
    expect(await plain.changeEmail(account.id, 'b@example.com', 'c@example.com', { proven: true })).toMatchObject({ ok: true });
  });

  it('keeps one removal per app, the latest, and forgets those older than a grant can live', async () => {
    const accounts = await setup();
    const { account } = await accounts.create('apps@example.com', { verified: true });
    await accounts.removeAppAccess(account.id, 'old-app', { keepSeconds: 0.05 });
    await accounts.removeAppAccess(account.id, 'app', { keepSeconds: 3600 });
    const first = (await accounts.findById(account.id))!.appAccessRemoved!.app!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await accounts.removeAppAccess(account.id, 'app', { keepSeconds: 0.05 });
    const removed = (await accounts.findById(account.id))!.appAccessRemoved!;
    expect(Object.keys(removed)).toEqual(['app']);
    expect(removed.app).toBeGreaterThan(first);
  });

  it('forgets ended sessions older than a session can live', async () => {
    const accounts = await setup();
    const { account } = await accounts.create('tidy@example.com', { verified: true });
    await accounts.endSessions(account.id, ['old-uid'], { keepSeconds: 0.05 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await accounts.endSessions(account.id, ['new-uid'], { keepSeconds: 0.05 });
    expect(Object.keys((await accounts.findById(account.id))!.endedSessions ?? {})).toEqual(['new-uid']);
  });
});
