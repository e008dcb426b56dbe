import { describe, expect, it } from '@jest/globals';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { storeContract } from '../contract/store.contract.ts';

storeContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});

describe('memory store with an injected clock', () => {
  it('expires keys, counters, markers and indexes without real waiting', async () => {
    let now = 1_000_000;
    const store = createMemoryStore({ now: () => now });
    await store.set('k', 'v', 10);
    await store.increment('c', 10);
    await store.addToIndex('i', 'm', 10);
    await store.markOnce('k', 'k:marker', 1);
    now += 9_999;
    expect(await store.get('k')).toBe('v');
    now += 1;
    expect(await store.get('k')).toBeUndefined();
    expect(await store.get('k:marker')).toBeUndefined();
    expect(await store.increment('c', 10)).toBe(1);
    expect(await store.readIndex('i')).toEqual([]);
    await store.close();
  });
});
