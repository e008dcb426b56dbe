import { describe, expect, it } from '@jest/globals';
import { createRecoveryCodeStore, generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode, recoverySetKey } from '../../src/auth/recovery-codes.ts';
import type { Store } from '../../src/store/store.ts';
import { bothStores, useStore } from '../helpers/both-stores.ts';
import { countKeysWithPrefix } from '../helpers/redis.ts';

const HMAC_KEY = 'h'.repeat(32);
const FORMAT = /^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/;

describe('generateRecoveryCodes', () => {
  it('makes 10 distinct codes in the xxxxx-xxxxx format without ambiguous characters', () => {
    const codes = generateRecoveryCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(FORMAT);
  });

  it('honours the count', () => {
    expect(generateRecoveryCodes(3)).toHaveLength(3);
    expect(() => generateRecoveryCodes(0)).toThrow(TypeError);
  });
});

describe('hashRecoveryCode', () => {
  it('ignores case, dashes and spaces, and reads look-alikes as Crockford does', () => {
    const hash = hashRecoveryCode(HMAC_KEY, 'ab0cd-1ef23');
    expect(hashRecoveryCode(HMAC_KEY, 'AB0CD1EF23')).toBe(hash);
    expect(hashRecoveryCode(HMAC_KEY, ' ab0 cd - 1ef 23 ')).toBe(hash);
    expect(hashRecoveryCode(HMAC_KEY, 'abocd-lef23')).toBe(hash);
    expect(hashRecoveryCode(HMAC_KEY, 'ABOCD-IEF23')).toBe(hash);
    expect(hashRecoveryCode(HMAC_KEY, 'ab0cd-1ef24')).not.toBe(hash);
    expect(hashRecoveryCode('k'.repeat(32), 'ab0cd-1ef23')).not.toBe(hash);
  });

  it('refuses things that cannot be codes', () => {
    for (const bad of ['', 'ab0cd-1ef2', 'ab0cd-1ef234', 'ab0cd_1ef23', 'ab0cd-1ef2u']) {
      expect(normalizeRecoveryCode(bad)).toBeUndefined();
      expect(() => hashRecoveryCode(HMAC_KEY, bad)).toThrow(TypeError);
    }
  });
});

describe.each(bothStores('recovery'))('recovery codes on the %s store', (name, makeStore) => {
  const subject = useStore(makeStore);
  const codeStore = () => createRecoveryCodeStore({ store: subject.store!, hmacKey: HMAC_KEY });

  it('redeems a code once', async () => {
    const codes = generateRecoveryCodes();
    await codeStore().replace('acct-once', codes);
    expect(await codeStore().redeem('acct-once', codes[0]!)).toBe(true);
    expect(await codeStore().redeem('acct-once', codes[0]!)).toBe(false);
    expect(await codeStore().redeem('acct-once', codes[1]!)).toBe(true);
  });

  it('counts the remaining codes', async () => {
    const codes = generateRecoveryCodes();
    const s = codeStore();
    expect(await s.remaining('acct-count')).toBe(0);
    await s.replace('acct-count', codes);
    expect(await s.remaining('acct-count')).toBe(10);
    await s.redeem('acct-count', codes[3]!);
    await s.redeem('acct-count', codes[3]!);
    await s.redeem('acct-count', 'zzzzz-zzzzz');
    expect(await s.remaining('acct-count')).toBe(9);
  });

  it('accepts any case, dashes and spaces', async () => {
    const codes = generateRecoveryCodes(3);
    await codeStore().replace('acct-case', codes);
    expect(await codeStore().redeem('acct-case', codes[0]!.toUpperCase())).toBe(true);
    expect(await codeStore().redeem('acct-case', codes[1]!.replace('-', ''))).toBe(true);
    expect(await codeStore().redeem('acct-case', ` ${codes[2]!.slice(0, 3)} ${codes[2]!.slice(3).toUpperCase()} `)).toBe(true);
    expect(await codeStore().remaining('acct-case')).toBe(0);
  });

  it('rejects malformed input and codes of another account', async () => {
    const codes = generateRecoveryCodes();
    await codeStore().replace('acct-a', codes);
    expect(await codeStore().redeem('acct-b', codes[0]!)).toBe(false);
    expect(await codeStore().redeem('acct-a', '')).toBe(false);
    expect(await codeStore().redeem('acct-a', `${codes[0]!}0`)).toBe(false);
    expect(await codeStore().redeem('acct-a', codes[0]!)).toBe(true);
  });

  it('replace() voids the old set', async () => {
    const old = generateRecoveryCodes();
    const fresh = generateRecoveryCodes();
    await codeStore().replace('acct-replace', old);
    await codeStore().redeem('acct-replace', old[0]!);
    await codeStore().replace('acct-replace', fresh);
    for (const code of old) expect(await codeStore().redeem('acct-replace', code)).toBe(false);
    expect(await codeStore().remaining('acct-replace')).toBe(10);
    expect(await codeStore().redeem('acct-replace', fresh[0]!)).toBe(true);
  });

  it('clear() removes the set', async () => {
    const codes = generateRecoveryCodes();
    await codeStore().replace('acct-clear', codes);
    await codeStore().clear('acct-clear');
    expect(await codeStore().remaining('acct-clear')).toBe(0);
    expect(await codeStore().redeem('acct-clear', codes[0]!)).toBe(false);
  });

  it('lets exactly one of 20 parallel redeems of one code win', async () => {
    const codes = generateRecoveryCodes();
    await codeStore().replace('acct-race', codes);
    const results = await Promise.all(Array.from({ length: 20 }, () => codeStore().redeem('acct-race', codes[5]!)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await codeStore().remaining('acct-race')).toBe(9);
  });

  it('stores nothing in the clear', async () => {
    const codes = generateRecoveryCodes();
    const dumped: string[] = [];
    // The memory store cannot be scanned, so record every write that goes through it instead.
    const recording: Store = {
      ...subject.store!,
      set: (key, value, ttl) => (dumped.push(key, JSON.stringify(value)), subject.store!.set(key, value, ttl)),
      setIfAbsent: (key, value, ttl) => (dumped.push(key, JSON.stringify(value)), subject.store!.setIfAbsent(key, value, ttl)),
    };
    await createRecoveryCodeStore({ store: recording, hmacKey: HMAC_KEY }).replace('acct-clear-text', codes);
    if (subject.redis) {
      // Every key and value that exists under this test's prefix.
      let cursor = '0';
      do {
        const [next, keys] = await subject.redis.scan(cursor, 'MATCH', `${subject.prefix}*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) dumped.push(key, (await subject.redis.get(key)) ?? '');
      } while (cursor !== '0');
    }
    const all = dumped.join('\n');
    expect(all).toContain(recoverySetKey('acct-clear-text'));
    for (const code of codes) {
      for (const form of [code, code.replace('-', ''), code.replace('-', '').toUpperCase()]) expect(all).not.toContain(form);
    }
  });

  if (name === 'redis') {
    it('deletes the old codes on replace rather than leaving them to pile up', async () => {
      const prefix = `${subject.prefix}recovery:{acct-tidy}:`;
      await codeStore().replace('acct-tidy', generateRecoveryCodes());
      expect(await countKeysWithPrefix(subject.redis!, prefix)).toBe(10);
      await codeStore().replace('acct-tidy', generateRecoveryCodes(4));
      expect(await countKeysWithPrefix(subject.redis!, prefix)).toBe(4);
    });
  }
});
