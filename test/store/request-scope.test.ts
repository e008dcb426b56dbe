import { afterEach, describe, expect, it } from '@jest/globals';
import { createRequestScopedStore } from '../../src/store/request-scope.ts';
import type { Store } from '../../src/store/store.ts';
import { bothStores } from '../helpers/both-stores.ts';

/** Forwards to a real store and counts what reaches it, to see what the scope saves. */
function counting(inner: Store) {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, name: keyof Store) {
      const value = target[name];
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe.each(bothStores('request-scope'))('request-scoped store on %s', (_name, makeStore) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());
  const setup = async () => {
    const made = await makeStore();
    cleanup = made.cleanup;
    const { store: inner, calls } = counting(made.store);
    const { store, scopes } = createRequestScopedStore(inner);
    return { inner: made.store, store, scopes, calls };
  };

  it('outside a request it is the store itself', async () => {
    const { inner, store } = await setup();
    await store.set('k:{a}', { n: 1 });
    expect(await inner.get('k:{a}')).toEqual({ n: 1 });
  });

  it('reads a key once per request and answers later reads from memory', async () => {
    const { inner, store, scopes, calls } = await setup();
    await inner.set('k:{a}', { n: 1 });
    await scopes.run(async () => {
      expect(await store.get('k:{a}')).toEqual({ n: 1 });
      expect(await store.get('k:{a}')).toEqual({ n: 1 });
      expect(await store.getMany(['k:{a}'])).toEqual([{ n: 1 }]);
    });
    expect(calls.filter((c) => c.startsWith('get'))).toEqual(['getJson']);
  });

  it('hands out copies: a caller mutating a result changes nothing else', async () => {
    const { inner, store, scopes } = await setup();
    await inner.set('k:{a}', { list: [1] });
    await scopes.run(async () => {
      const first = await store.get<{ list: number[] }>('k:{a}');
      first!.list.push(2);
      expect(await store.get('k:{a}')).toEqual({ list: [1] });
    });
  });

  it('buffers writes until the request ends, seeing its own writes meanwhile', async () => {
    const { inner, store, scopes } = await setup();
    await scopes.run(async () => {
      await store.set('k:{a}', 'new', 60);
      await store.delete('gone:{b}');
      expect(await store.get('k:{a}')).toBe('new');
      expect(await store.get('gone:{b}')).toBeUndefined();
      expect(await inner.get('k:{a}')).toBeUndefined();
    });
    expect(await inner.get('k:{a}')).toBe('new');
    expect(await inner.ttlSeconds('k:{a}')).toBeGreaterThan(55);
  });

  it('keeps the order of buffered writes to one key', async () => {
    const { inner, store, scopes } = await setup();
    await scopes.run(async () => {
      await store.set('k:{a}', 1);
      await store.delete('k:{a}');
      await store.set('k:{a}', 3);
      await store.addToIndex('i:{a}', 'x');
      await store.addToIndex('i:{a}', 'y');
      await store.removeFromIndex('i:{a}', 'x');
    });
    expect(await inner.get('k:{a}')).toBe(3);
    expect(await inner.readIndex('i:{a}')).toEqual(['y']);
  });

  it('flushes buffered writes when the request fails, so nothing done before the failure is lost', async () => {
    const { inner, store, scopes } = await setup();
    await expect(scopes.run(async () => {
      await store.delete('link:{a}');
      await store.set('burnt:{a}', true);
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(await inner.get('burnt:{a}')).toBe(true);
  });

  it('deciding operations reach the store at once, after the writes buffered before them', async () => {
    const { inner, store, scopes } = await setup();
    await scopes.run(async () => {
      await store.set('code:{a}', 'secret', 60);
      expect(await store.take('code:{a}')).toBe('secret');
      expect(await store.get('code:{a}')).toBeUndefined();
      expect(await inner.get('code:{a}')).toBeUndefined();
      expect(await store.setIfAbsent('once:{a}', 1, 60)).toBe(true);
      expect(await inner.get('once:{a}')).toBe(1);
      expect(await store.increment('count:{a}', 60)).toBe(1);
      expect(await store.increment('count:{a}', 60)).toBe(2);
    });
  });

  it('take() stays single-use across concurrent requests', async () => {
    const { inner, store, scopes } = await setup();
    await inner.set('code:{a}', 'secret', 60);
    const results = await Promise.all(Array.from({ length: 20 }, () => scopes.run(() => store.take('code:{a}'))));
    expect(results.filter((r) => r === 'secret')).toHaveLength(1);
  });

  it('prefetch() starts reads so that later gets cost nothing more', async () => {
    const { inner, store, scopes, calls } = await setup();
    await inner.set('a:{x}', 'A');
    await inner.set('b:{y}', 'B');
    await scopes.run(async () => {
      scopes.prefetch(['a:{x}', 'b:{y}']);
      const before = calls.length;
      expect(await store.get('a:{x}')).toBe('A');
      expect(await store.get('b:{y}')).toBe('B');
      expect(calls.length).toBe(before);
    });
    scopes.prefetch(['a:{x}']);
  });

  it('warmClock() reads the store\'s clock once per key and request: the stamps a request makes there share that reading', async () => {
    const { store, scopes, calls } = await setup();
    const readings = await scopes.run(async () => {
      scopes.warmClock('account:{x}');
      return [await store.clockMs('account:{x}'), await store.clockMs('account:{x}')];
    });
    expect(calls.filter((c) => c === 'clockMs')).toHaveLength(1);
    expect(readings[1]).toBe(readings[0]);
    // Another request reads the clock again.
    const later = await scopes.run(() => store.clockMs('account:{x}'));
    expect(calls.filter((c) => c === 'clockMs')).toHaveLength(2);
    expect(later).toBeGreaterThanOrEqual(readings[0]!);
  });

  it('two requests never see each other\'s unflushed writes or memory', async () => {
    const { store, scopes } = await setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const writer = scopes.run(async () => {
      await store.set('k:{a}', 'from writer');
      await gate;
    });
    const reader = await scopes.run(() => store.get('k:{a}'));
    expect(reader).toBeUndefined();
    release();
    await writer;
    expect(await scopes.run(() => store.get('k:{a}'))).toBe('from writer');
  });
});
