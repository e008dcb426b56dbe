import { afterEach, describe, expect, it } from '@jest/globals';
import { createAccounts } from '../../src/accounts/accounts.ts';
import { accountEmailKey } from '../../src/store/keys.ts';
import { bothStores } from '../helpers/both-stores.ts';

describe.each(bothStores('change-email'))('moving an account to another address on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    return { store: made.store, accounts: createAccounts({ store: made.store }) };
  };

  it('moves the address index and keeps the account: id, authenticator and all', async () => {
    const { accounts } = await setup();
    const { account } = await accounts.create('old@example.com', { verified: false });
    const totp = { sealedSecret: 'sealed', enrolledAt: '2026-01-01T00:00:00.000Z' };
    await accounts.setTotp(account.id, totp);
    const moved = await accounts.changeEmail(account.id, 'old@example.com', 'new@example.com', { proven: true });
    expect(moved).toMatchObject({ ok: true, previous: { email: 'old@example.com' }, account: { id: account.id, email: 'new@example.com', totp } });
    expect(await accounts.findByEmail('old@example.com')).toBeUndefined();
    const found = await accounts.findByEmail('new@example.com');
    expect(found).toMatchObject({ id: account.id, email: 'new@example.com', createdAt: account.createdAt, totp });
    expect(found!.emailVerifiedAt).toBeDefined();
    expect((await accounts.list()).map((a) => a.id)).toEqual([account.id]);
  });

  it('never takes an address another account holds, and touches neither account', async () => {
    const { accounts } = await setup();
    const { account: mover } = await accounts.create('mover@example.com', { verified: true });
    const { account: holder } = await accounts.create('holder@example.com', { verified: true });
    expect(await accounts.changeEmail(mover.id, 'mover@example.com', 'holder@example.com', { proven: true })).toEqual({ ok: false, reason: 'taken' });
    expect(await accounts.findByEmail('holder@example.com')).toEqual(holder);
    expect(await accounts.findByEmail('mover@example.com')).toEqual(mover);
  });

  it('refuses a change asked for from an address the account no longer has', async () => {
    const { accounts } = await setup();
    const { account } = await accounts.create('first@example.com', { verified: true });
    expect(await accounts.changeEmail(account.id, 'first@example.com', 'second@example.com', { proven: true })).toMatchObject({ ok: true });
    expect(await accounts.changeEmail(account.id, 'first@example.com', 'third@example.com', { proven: true })).toEqual({ ok: false, reason: 'stale' });
    expect(await accounts.changeEmail('no-such-account', 'first@example.com', 'third@example.com', { proven: true })).toEqual({ ok: false, reason: 'stale' });
    expect(await accounts.findByEmail('third@example.com')).toBeUndefined();
  });

  it('racing a sign-up of the same address: one account holds it, whichever wins', async () => {
    const { accounts } = await setup();
    for (let round = 0; round < 10; round++) {
      const to = `contested-${round}@example.com`;
      const { account: mover } = await accounts.create(`mover-${round}@example.com`, { verified: true });
      const [moved, signedUp] = await Promise.all([accounts.changeEmail(mover.id, mover.email, to, { proven: true }), accounts.create(to, { verified: true })]);
      const holder = await accounts.findByEmail(to);
      if (moved.ok) {
        // The sign-up converged on the moved account instead of making a second one.
        expect(signedUp).toMatchObject({ created: false, account: { id: mover.id } });
        expect(holder!.id).toBe(mover.id);
      } else {
        expect(moved).toEqual({ ok: false, reason: 'taken' });
        expect(holder!.id).toBe(signedUp.account.id);
        expect(await accounts.findByEmail(mover.email)).toMatchObject({ id: mover.id });
      }
      const ids = (await accounts.list()).filter((a) => a.email === to).map((a) => a.id);
      expect(ids).toHaveLength(1);
    }
  });

  it('two accounts moving to one address at once: exactly one gets it', async () => {
    const { accounts } = await setup();
    const { account: a } = await accounts.create('a@example.com', { verified: true });
    const { account: b } = await accounts.create('b@example.com', { verified: true });
    const results = await Promise.all([accounts.changeEmail(a.id, 'a@example.com', 'both@example.com', { proven: true }), accounts.changeEmail(b.id, 'b@example.com', 'both@example.com', { proven: true })]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    const winner = results[0]!.ok ? a : b;
    const loser = winner === a ? b : a;
    expect(await accounts.findByEmail('both@example.com')).toMatchObject({ id: winner.id });
    expect(await accounts.findByEmail(loser.email)).toMatchObject({ id: loser.id, email: loser.email });
  });

  it('finishes a move that stopped after claiming the new address, or after releasing the old one too (a crash between the steps)', async () => {
    const { store, accounts } = await setup();
    const { account: claimed } = await accounts.create('claimed@example.com', { verified: true });
    await store.set(accountEmailKey('claimed-new@example.com'), claimed.id);
    expect(await accounts.changeEmail(claimed.id, 'claimed@example.com', 'claimed-new@example.com', { proven: true })).toMatchObject({ ok: true });
    expect(await accounts.findByEmail('claimed@example.com')).toBeUndefined();
    expect(await accounts.findByEmail('claimed-new@example.com')).toMatchObject({ id: claimed.id, email: 'claimed-new@example.com' });

    // Released as well, and meanwhile someone signed up with the old address: theirs stays theirs.
    const { account: released } = await accounts.create('released@example.com', { verified: true });
    await store.set(accountEmailKey('released-new@example.com'), released.id);
    await store.delete(accountEmailKey('released@example.com'));
    const { account: newcomer } = await accounts.create('released@example.com', { verified: true });
    expect(await accounts.changeEmail(released.id, 'released@example.com', 'released-new@example.com', { proven: true })).toMatchObject({ ok: true });
    expect(await accounts.findByEmail('released@example.com')).toEqual(newcomer);
    expect(await accounts.findByEmail('released-new@example.com')).toMatchObject({ id: released.id, email: 'released-new@example.com' });
  });

  it('an address left leading to a removed account (a change racing a removal) is free again, not broken', async () => {
    const { store, accounts } = await setup();
    await store.set(accountEmailKey('orphaned@example.com'), 'an-account-that-is-gone');
    expect(await accounts.findByEmail('orphaned@example.com')).toBeUndefined();
    const { account, created } = await accounts.create('orphaned@example.com', { verified: true });
    expect(created).toBe(true);
    expect(await accounts.findByEmail('orphaned@example.com')).toMatchObject({ id: account.id });
  });

  it('sign-ups racing for an orphaned address converge on one account', async () => {
    const { store, accounts } = await setup();
    await store.set(accountEmailKey('contested@example.com'), 'an-account-that-is-gone');
    const results = await Promise.all(Array.from({ length: 5 }, () => accounts.create('contested@example.com', { verified: true })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
    expect((await accounts.list()).map((a) => a.email)).toEqual(['contested@example.com']);
  });

  it('removes an account by its id, whatever address it moved to since it was read', async () => {
    const { accounts } = await setup();
    const { account: asRead } = await accounts.create('moving@example.com', { verified: true });
    expect((await accounts.changeEmail(asRead.id, 'moving@example.com', 'moved@example.com', { proven: true })).ok).toBe(true);
    await accounts.removeAccount(asRead);
    expect(await accounts.findById(asRead.id)).toBeUndefined();
    expect(await accounts.findByEmail('moved@example.com')).toBeUndefined();
    expect(await accounts.findByEmail('moving@example.com')).toBeUndefined();
    expect(await accounts.list()).toEqual([]);
  });
});
