import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { purposeSecretBox } from '../../src/auth/derived-secret-box.ts';
import { generateRecoveryCodes } from '../../src/auth/recovery-codes.ts';
import { createRecoveryCodesToShow } from '../../src/auth/recovery-codes-to-show.ts';
import type { Store } from '../../src/store/store.ts';
import { bothStores, useStore } from '../helpers/both-stores.ts';

const box = purposeSecretBox([{ id: 'k1', key: randomBytes(32) }], 'recovery-codes-to-show');

describe.each(bothStores('codes-to-show'))('recovery codes waiting to be shown, on the %s store', (_name, makeStore) => {
  const subject = useStore(makeStore);
  const toShow = (store: Store = subject.store!) => createRecoveryCodesToShow({ store, secretBox: box, ttlSeconds: 60 });
  const shown = (email: string) => ({ codes: generateRecoveryCodes(), reason: 'set-up' as const, email });

  it('are taken once, by the holder that made them, for that account', async () => {
    const codes = shown('once@example.com');
    await toShow().keep('acct-1', 'account-session:a', codes);
    expect(await toShow().take('acct-1', 'account-session:b')).toBeUndefined();
    expect(await toShow().take('acct-2', 'account-session:a')).toBeUndefined();
    expect(await toShow().take('acct-1', 'account-session:a')).toEqual(codes);
    expect(await toShow().take('acct-1', 'account-session:a')).toBeUndefined();
  });

  it('of parallel takes, exactly one gets them', async () => {
    await toShow().keep('acct-race', 'interaction:u', shown('race@example.com'));
    const taken = await Promise.all(Array.from({ length: 10 }, () => toShow().take('acct-race', 'interaction:u')));
    expect(taken.filter((value) => value !== undefined)).toHaveLength(1);
  });

  it('are stored sealed, never in the clear', async () => {
    const written: string[] = [];
    const recording: Store = { ...subject.store!, set: (key, value, ttl) => (written.push(key, JSON.stringify(value)), subject.store!.set(key, value, ttl)) };
    const codes = shown('sealed@example.com');
    await toShow(recording).keep('acct-sealed', 'interaction:v', codes);
    expect(written).toHaveLength(2);
    for (const code of codes.codes) expect(written.join(' ')).not.toContain(code);
    expect(written.join(' ')).not.toContain('sealed@example.com');
    expect(written.join(' ')).not.toContain('interaction:v');
  });
});
