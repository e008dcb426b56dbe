import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Store } from '../../src/store/store.ts';

export interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every behaviour of the Store contract, run against each implementation (lucia's adapter-test idea). */
export function storeContract(name: string, makeStore: () => Promise<StoreUnderTest>) {
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;
    // Hash tags keep related keys in one Redis Cluster slot, as keys.ts does.
    const key = (label: string) => `contract:{${randomUUID()}}:${label}`;

    beforeAll(async () => {
      subject = await makeStore();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    describe('get / set', () => {
      it('get() of a missing key is undefined', async () => {
        expect(await store.get(key('missing'))).toBeUndefined();
      });
      it('set() then get() round-trips nested JSON', async () => {
        const k = key('json');
        const value = { a: 1, b: [true, null, 'x'], c: { d: 'é✓' } };
        await store.set(k, value);
        expect(await store.get(k)).toEqual(value);
      });
      it('set() overwrites', async () => {
        const k = key('overwrite');
        await store.set(k, 1);
        await store.set(k, 2);
        expect(await store.get(k)).toBe(2);
      });
      it('values are copies: mutating after set or get changes nothing stored', async () => {
        const k = key('copy');
        const value = { n: 1 };
        await store.set(k, value);
        value.n = 2;
        const read = await store.get<{ n: number }>(k);
        read!.n = 3;
        expect(await store.get(k)).toEqual({ n: 1 });
      });
      it('a key with a TTL expires', async () => {
        const k = key('ttl');
        await store.set(k, 'soon gone', 1);
        expect(await store.get(k)).toBe('soon gone');
        await sleep(1300);
        expect(await store.get(k)).toBeUndefined();
      });
      it('rejects a TTL that is not positive', async () => {
        await expect(store.set(key('bad'), 1, 0)).rejects.toThrow(TypeError);
        await expect(store.set(key('bad'), 1, -1)).rejects.toThrow(TypeError);
        await expect(store.set(key('bad'), 1, Number.NaN)).rejects.toThrow(TypeError);
      });
    });

    describe('getJson / getManyJson / setJson', () => {
      it('hands out the JSON text that set() stored, and setJson() text reads back with get()', async () => {
        const tag = randomUUID();
        await store.set(`j:{${tag}}:a`, { a: [1, 'é'] });
        expect(JSON.parse((await store.getJson(`j:{${tag}}:a`))!)).toEqual({ a: [1, 'é'] });
        await store.setJson(`j:{${tag}}:b`, '{"b":true}', 60);
        expect(await store.get(`j:{${tag}}:b`)).toEqual({ b: true });
        expect(await store.ttlSeconds(`j:{${tag}}:b`)).toBeGreaterThan(55);
        expect(await store.getManyJson([`j:{${tag}}:b`, `j:{${tag}}:missing`])).toEqual(['{"b":true}', undefined]);
        expect(await store.getJson(key('missing'))).toBeUndefined();
      });
      it('refuses a value with no JSON form rather than storing nothing', async () => {
        await expect(store.set(key('undefined'), undefined)).rejects.toThrow(TypeError);
      });
    });

    describe('getMany', () => {
      it('returns values in key order, undefined for missing keys', async () => {
        const tag = randomUUID();
        await store.set(`m:{${tag}}:a`, 'A');
        await store.set(`m:{${tag}}:c`, 'C');
        expect(await store.getMany([`m:{${tag}}:a`, `m:{${tag}}:b`, `m:{${tag}}:c`])).toEqual(['A', undefined, 'C']);
        expect(await store.getMany([])).toEqual([]);
      });
      it('reads keys of different hash tags (different Cluster slots) together', async () => {
        const tags = [randomUUID(), randomUUID(), randomUUID()];
        await store.set(`m:{${tags[0]}}`, 'first');
        await store.setJson(`m:{${tags[2]}}`, '{"third":3}');
        expect(await store.getMany([`m:{${tags[0]}}`, `m:{${tags[1]}}`, `m:{${tags[2]}}`])).toEqual(['first', undefined, { third: 3 }]);
        expect(await store.getManyJson([`m:{${tags[2]}}`, `m:{${tags[0]}}`, 'untagged'])).toEqual(['{"third":3}', '"first"', undefined]);
        await store.delete(`m:{${tags[0]}}`, `m:{${tags[2]}}`);
      });
    });

    describe('setIfAbsent', () => {
      it('writes once, then refuses', async () => {
        const k = key('nx');
        expect(await store.setIfAbsent(k, 'first', 60)).toBe(true);
        expect(await store.setIfAbsent(k, 'second', 60)).toBe(false);
        expect(await store.get(k)).toBe('first');
        const forever = key('nx-forever');
        expect(await store.setIfAbsent(forever, 1)).toBe(true);
        expect(await store.ttlSeconds(forever)).toBe(Infinity);
      });
      it('of 10 concurrent writers exactly one wins', async () => {
        const k = key('nx-race');
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.setIfAbsent(k, i, 60)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('replace', () => {
      it('writes over a record that exists, with its own TTL', async () => {
        const k = key('xx');
        await store.set(k, { version: 1 });
        await store.replace(k, { version: 2 }, 60);
        expect(await store.get(k)).toEqual({ version: 2 });
        expect(await store.ttlSeconds(k)).toBeLessThanOrEqual(60);
        await store.replace(k, { version: 3 });
        expect(await store.ttlSeconds(k)).toBe(Infinity);
      });
      it('writes nothing where the record is gone, or never was', async () => {
        const deleted = key('xx-deleted');
        await store.set(deleted, 'there');
        await store.delete(deleted);
        await store.replace(deleted, 'back again');
        expect(await store.get(deleted)).toBeUndefined();
        const never = key('xx-never');
        await store.replace(never, 'new', 60);
        expect(await store.get(never)).toBeUndefined();
      });
    });

    describe('take', () => {
      it('returns the value once, then undefined', async () => {
        const k = key('take');
        await store.set(k, { secret: 1 }, 60);
        expect(await store.take(k)).toEqual({ secret: 1 });
        expect(await store.take(k)).toBeUndefined();
        expect(await store.get(k)).toBeUndefined();
      });
      it('of 10 concurrent takers exactly one gets the value', async () => {
        const k = key('take-race');
        await store.set(k, 'once', 60);
        const results = await Promise.all(Array.from({ length: 10 }, () => store.take(k)));
        expect(results.filter((r) => r === 'once')).toHaveLength(1);
      });
    });

    describe('delete', () => {
      it('deletes several keys (of different slots) at once, and tolerates missing ones', async () => {
        const [a, b] = [key('del-a'), key('del-b')];
        await store.set(a, 1);
        await store.set(b, 2);
        await store.delete(a, b, key('never-existed'));
        expect(await store.getMany([a])).toEqual([undefined]);
        expect(await store.get(b)).toBeUndefined();
        await store.delete();
      });
    });

    describe('increment', () => {
      it('counts from 1', async () => {
        const k = key('count');
        expect(await store.increment(k, 60)).toBe(1);
        expect(await store.increment(k, 60)).toBe(2);
        expect(await store.increment(k, 60)).toBe(3);
      });
      it('starts the TTL at the first increment and never extends it', async () => {
        const k = key('window');
        await store.increment(k, 100);
        await store.increment(k, 1000);
        const ttl = await store.ttlSeconds(k);
        expect(ttl).toBeGreaterThan(90);
        expect(ttl).toBeLessThanOrEqual(100);
      });
      it('expires, and then counts from 1 again', async () => {
        const k = key('expire');
        await store.increment(k, 1);
        await store.increment(k, 1);
        await sleep(1300);
        expect(await store.increment(k, 1)).toBe(1);
      });
      it('counts every one of 20 concurrent increments', async () => {
        const k = key('parallel');
        const results = await Promise.all(Array.from({ length: 20 }, () => store.increment(k, 60)));
        expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      });
    });

    describe('incrementShare', () => {
      // One hash tag for a total and its shares, as the store's callers must give them (Redis Cluster).
      const budget = () => {
        const tag = randomUUID();
        return { total: `budget:{${tag}}`, share: (client: string) => `budget:{${tag}}:${client}` };
      };
      it('counts the total only while the share is within its limit', async () => {
        const { total, share } = budget();
        const counts = [];
        for (let i = 0; i < 5; i++) counts.push(await store.incrementShare(share('a'), 60, 3, total, 60));
        expect(counts).toEqual([{ share: 1, total: 1 }, { share: 2, total: 2 }, { share: 3, total: 3 }, { share: 4, total: 3 }, { share: 5, total: 3 }]);
        // Another client's share counts on into the same total.
        expect(await store.incrementShare(share('b'), 60, 3, total, 60)).toEqual({ share: 1, total: 4 });
        expect(await store.increment(total, 60)).toBe(5);
      });
      it('starts each TTL at its first count', async () => {
        const { total, share } = budget();
        await store.incrementShare(share('a'), 100, 5, total, 200);
        await store.incrementShare(share('a'), 1000, 5, total, 2000);
        const [shareTtl, totalTtl] = [(await store.ttlSeconds(share('a')))!, (await store.ttlSeconds(total))!];
        expect(shareTtl).toBeGreaterThan(90);
        expect(shareTtl).toBeLessThanOrEqual(100);
        expect(totalTtl).toBeGreaterThan(190);
        expect(totalTtl).toBeLessThanOrEqual(200);
      });
      it('of 20 concurrent hits past a share of 5, counts exactly 5 in the total', async () => {
        const { total, share } = budget();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.incrementShare(share('a'), 60, 5, total, 60)));
        expect(results.map((r) => r.share).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(await store.increment(total, 60)).toBe(6);
      });
    });

    describe('replaceIfUnchanged', () => {
      it('writes only over the text that was read, says why not otherwise, and keeps the TTL', async () => {
        const k = key('cas');
        await store.set(k, { n: 1 }, 100);
        const read = (await store.getJson(k))!;
        expect(await store.replaceIfUnchanged(k, read, { n: 2 })).toBe('written');
        expect(await store.get(k)).toEqual({ n: 2 });
        expect(await store.ttlSeconds(k)).toBeGreaterThan(90);
        // What was read before that write is stale now.
        expect(await store.replaceIfUnchanged(k, read, { n: 3 })).toBe('changed');
        expect(await store.get(k)).toEqual({ n: 2 });
        expect(await store.replaceIfUnchanged(key('cas-missing'), read, { n: 4 })).toBe('missing');
        expect(await store.get(key('cas-missing'))).toBeUndefined();
        const forever = key('cas-forever');
        await store.set(forever, 1);
        expect(await store.replaceIfUnchanged(forever, '1', 2)).toBe('written');
        expect(await store.ttlSeconds(forever)).toBe(Infinity);
      });
      it('of 10 concurrent writers over the same read, exactly one writes', async () => {
        const k = key('cas-race');
        await store.set(k, 0);
        const read = (await store.getJson(k))!;
        const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.replaceIfUnchanged(k, read, i + 1)));
        expect(outcomes.filter((outcome) => outcome === 'written')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome === 'changed')).toHaveLength(9);
      });
    });

    describe('raiseTo', () => {
      it('writes only a greater integer, compared as numbers, and says whether it wrote', async () => {
        const k = key('raise');
        expect(await store.raiseTo(k, 9, 60)).toBe(true);
        expect(await store.raiseTo(k, 9, 60)).toBe(false);
        expect(await store.raiseTo(k, 8, 60)).toBe(false);
        // 10 after 9: a string compare would refuse it.
        expect(await store.raiseTo(k, 10, 60)).toBe(true);
        expect(await store.get(k)).toBe(10);
      });
      it('gives each write a fresh TTL, and counts from nothing again once expired', async () => {
        const k = key('raise-ttl');
        await store.raiseTo(k, 1, 100);
        await store.raiseTo(k, 2, 1000);
        expect(await store.ttlSeconds(k)).toBeGreaterThan(900);
        const short = key('raise-short');
        await store.raiseTo(short, 5, 0.05);
        await new Promise((resolve) => setTimeout(resolve, 120));
        expect(await store.raiseTo(short, 1, 60)).toBe(true);
      });
      it('refuses a value that is not an integer', async () => {
        await expect(store.raiseTo(key('raise-bad'), 1.5, 60)).rejects.toThrow(TypeError);
        await expect(store.raiseTo(key('raise-bad'), Number.NaN, 60)).rejects.toThrow(TypeError);
      });
      it('of 20 concurrent raises to one value exactly one writes; of values 1..20, the highest stays', async () => {
        const same = key('raise-race');
        const results = await Promise.all(Array.from({ length: 20 }, () => store.raiseTo(same, 7, 60)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const mixed = key('raise-mixed');
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.raiseTo(mixed, i + 1, 60)));
        expect(await store.get(mixed)).toBe(20);
      });
    });

    describe('ttlSeconds', () => {
      it('is undefined when missing, Infinity without TTL, about N with one', async () => {
        expect(await store.ttlSeconds(key('nothing'))).toBeUndefined();
        const forever = key('forever');
        await store.set(forever, 1);
        expect(await store.ttlSeconds(forever)).toBe(Infinity);
        const timed = key('timed');
        await store.set(timed, 1, 50);
        const ttl = (await store.ttlSeconds(timed))!;
        expect(ttl).toBeGreaterThan(45);
        expect(ttl).toBeLessThanOrEqual(50);
      });
    });

    describe('indexes', () => {
      it('adds, reads and removes members', async () => {
        const k = key('index');
        await store.addToIndex(k, 'a', 60);
        await store.addToIndex(k, 'b', 60);
        await store.addToIndex(k, 'a', 60);
        expect((await store.readIndex(k)).sort()).toEqual(['a', 'b']);
        await store.removeFromIndex(k, 'a');
        expect(await store.readIndex(k)).toEqual(['b']);
        expect(await store.readIndex(key('no-index'))).toEqual([]);
      });
      it('lives as long as its longest-lived member: the TTL is only ever extended', async () => {
        const k = key('index-ttl');
        await store.addToIndex(k, 'long', 100);
        await store.addToIndex(k, 'short', 1);
        expect(await store.ttlSeconds(k)).toBeGreaterThan(90);
        await store.addToIndex(k, 'longer', 200);
        expect(await store.ttlSeconds(k)).toBeGreaterThan(190);
      });
      it('with a member that never expires, never expires', async () => {
        const k = key('index-forever');
        await store.addToIndex(k, 'timed', 1);
        await store.addToIndex(k, 'forever');
        await sleep(1300);
        expect((await store.readIndex(k)).sort()).toEqual(['forever', 'timed']);
      });
      it('expires with its members', async () => {
        const k = key('index-expire');
        await store.addToIndex(k, 'x', 1);
        await sleep(1300);
        expect(await store.readIndex(k)).toEqual([]);
      });
    });

    describe('markOnce', () => {
      const pair = () => {
        const tag = randomUUID();
        return [`record:{${tag}}`, `record:{${tag}}:marker`] as const;
      };
      it('is "missing" without the record, then "marked", then "already-marked"', async () => {
        const [record, marker] = pair();
        expect(await store.markOnce(record, marker, 1)).toBe('missing');
        await store.set(record, { code: 'x' }, 60);
        expect(await store.markOnce(record, marker, 123)).toBe('marked');
        expect(await store.markOnce(record, marker, 456)).toBe('already-marked');
        expect(await store.get(marker)).toBe(123);
      });
      it('gives the marker the remaining lifetime of its record', async () => {
        const [record, marker] = pair();
        await store.set(record, 1, 40);
        await store.markOnce(record, marker, true);
        const ttl = (await store.ttlSeconds(marker))!;
        expect(ttl).toBeGreaterThan(35);
        expect(ttl).toBeLessThanOrEqual(40);
        const [forever, foreverMarker] = pair();
        await store.set(forever, 1);
        await store.markOnce(forever, foreverMarker, true);
        expect(await store.ttlSeconds(foreverMarker)).toBe(Infinity);
      });
      it('of 20 concurrent callers exactly one marks', async () => {
        const [record, marker] = pair();
        await store.set(record, 1, 60);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.markOnce(record, marker, 1)));
        expect(results.filter((r) => r === 'marked')).toHaveLength(1);
        expect(results.filter((r) => r === 'already-marked')).toHaveLength(19);
      });
    });

    describe('ping / close', () => {
      it('ping() resolves', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
      it('close() is idempotent', async () => {
        const extra = await makeStore();
        await extra.store.close();
        await expect(extra.store.close()).resolves.toBeUndefined();
        await extra.cleanup();
      });
    });
  });
}
