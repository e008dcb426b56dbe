import { Cluster, type Redis } from 'ioredis';
import { assertInteger, assertJsonText, assertTtl, type MarkOnceResult, type Store } from './store.ts';
import { readinessProbeKey } from './keys.ts';
import { asStoreError } from './store-unavailable.ts';

export interface RedisStoreOptions {
  /** Prepended to every key, so several deployments or test runs can share one Redis. @default 'sesame:' */
  prefix?: string;
}

// One script, one key slot: both keys carry the same hash tag (see keys.ts).
const MARK_ONCE = `
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -2 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if pttl == -1 then redis.call('SET', KEYS[2], ARGV[1]) else redis.call('SET', KEYS[2], ARGV[1], 'PX', pttl) end
return 2`;

const MARK_ONCE_RESULTS: MarkOnceResult[] = ['missing', 'already-marked', 'marked'];

// GETDEL alone is allowed when Redis is out of memory (it frees some), while every SET after it is
// refused (OOM): a sign-in would take its code or link and then fail to save the session, and the
// person's link would be spent on a 503. SETRANGE with nothing to write changes nothing (and
// creates no key), but it is a command Redis refuses when out of memory, and a script's first such
// command is checked: so the take is refused with the writes, and the secret stays for the retry.
const TAKE = `
redis.call('SETRANGE', KEYS[1], 0, '')
return redis.call('GETDEL', KEYS[1])`;

// Scripts rather than MULTI: ioredis pipelines scripts with the commands issued in the same tick
// (enableAutoPipelining) but sends every MULTI on its own, which costs a round trip per counter.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return count`;

// One slot (the caller's keys share a hash tag): the total counts only hits within the share.
const INCREMENT_SHARE = `
local share = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
local total
if share <= tonumber(ARGV[2]) then
  total = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3], 'NX')
else
  total = tonumber(redis.call('GET', KEYS[2]) or '0')
end
return {share, total}`;

// Compared as numbers: a string compare would put step 9 after step 10.
const RAISE_TO = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const REPLACE_IF_UNCHANGED = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if current ~= ARGV[1] then return 1 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 2`;
const REPLACE_OUTCOMES = ['missing', 'changed', 'written'] as const;

// The index must outlive its longest member: a TTL is set when it has none and only ever extended.
const ADD_TO_INDEX = `
redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[2] == '' then redis.call('PERSIST', KEYS[1]) else
  redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
  redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
end
return 1`;

// TIME in a script of one key, so that on a Cluster the clock read is that of the node holding the key.
const CLOCK = `
local t = redis.call('TIME')
return {t[1], t[2]}`;

/**
 * Store on Redis (standalone, Sentinel or Cluster through ioredis). It owns no connection policy:
 * the caller creates and configures the client, and `close()` quits it.
 * Every command touches one key or keys of one hash slot, so it runs unchanged on Redis Cluster.
 */
export function createRedisStore(redis: Redis | Cluster, { prefix = 'sesame:' }: RedisStoreOptions = {}): Store {
  const k = (key: string) => prefix + key;
  const increment = script(redis, 'sesameIncrement', 1, INCREMENT);
  const incrementShare = script(redis, 'sesameIncrementShare', 2, INCREMENT_SHARE);
  const raiseTo = script(redis, 'sesameRaiseTo', 1, RAISE_TO);
  const replaceIfUnchanged = script(redis, 'sesameReplaceIfUnchanged', 1, REPLACE_IF_UNCHANGED);
  const addToIndex = script(redis, 'sesameAddToIndex', 1, ADD_TO_INDEX);
  const markOnce = script(redis, 'sesameMarkOnce', 2, MARK_ONCE);
  const takeScript = script(redis, 'sesameTake', 1, TAKE);
  const clock = script(redis, 'sesameClock', 1, CLOCK);
  const parse = <T>(raw: string | null): T | undefined => (raw === null ? undefined : (JSON.parse(raw) as T));
  // One MGET where the keys live on one node; across Cluster slots one GET each, which ioredis's
  // auto-pipelining still sends in one write per node.
  const readMany = (keys: readonly string[]): Promise<(string | null)[]> => {
    const prefixed = keys.map(k);
    if (redis instanceof Cluster && !shareHashTag(prefixed)) return Promise.all(prefixed.map((key) => redis.get(key)));
    return redis.mget(prefixed);
  };
  let closed = false;

  const store: Store = {
    async get<T>(key: string) {
      return parse<T>(await redis.get(k(key)));
    },
    async getMany<T>(keys: readonly string[]) {
      if (keys.length === 0) return [];
      return (await readMany(keys)).map((raw) => parse<T>(raw));
    },
    async getJson(key) {
      return (await redis.get(k(key))) ?? undefined;
    },
    async getManyJson(keys) {
      if (keys.length === 0) return [];
      return (await readMany(keys)).map((raw) => raw ?? undefined);
    },
    async set(key, value, ttlSeconds) {
      return store.setJson(key, JSON.stringify(value), ttlSeconds);
    },
    async setJson(key, json, ttlSeconds) {
      assertTtl(ttlSeconds);
      assertJsonText(json);
      if (ttlSeconds === undefined) await redis.set(k(key), json);
      else await redis.set(k(key), json, 'PX', Math.ceil(ttlSeconds * 1000));
    },
    async replace(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      const json = JSON.stringify(value);
      if (ttlSeconds === undefined) await redis.set(k(key), json, 'XX');
      else await redis.set(k(key), json, 'PX', Math.ceil(ttlSeconds * 1000), 'XX');
    },
    async replaceIfUnchanged(key, expectedJson, value) {
      return REPLACE_OUTCOMES[Number(await replaceIfUnchanged(k(key), expectedJson, JSON.stringify(value)))]!;
    },
    async setIfAbsent(key, value, ttlSeconds) {
      assertTtl(ttlSeconds);
      const json = JSON.stringify(value);
      const reply =
        ttlSeconds === undefined ? await redis.set(k(key), json, 'NX') : await redis.set(k(key), json, 'PX', Math.ceil(ttlSeconds * 1000), 'NX');
      return reply === 'OK';
    },
    async take<T>(key: string) {
      return parse<T>((await takeScript(k(key))) as string | null);
    },
    async delete(...keys) {
      // One DEL per key: keys of different slots cannot share a command on Cluster.
      await Promise.all(keys.map((key) => redis.del(k(key))));
    },
    async increment(key, ttlSeconds) {
      assertTtl(ttlSeconds);
      return Number(await increment(k(key), Math.ceil(ttlSeconds * 1000)));
    },
    async incrementShare(shareKey, shareTtlSeconds, shareLimit, totalKey, totalTtlSeconds) {
      assertTtl(shareTtlSeconds);
      assertTtl(totalTtlSeconds);
      const [share, total] = (await incrementShare(k(shareKey), k(totalKey), Math.ceil(shareTtlSeconds * 1000), shareLimit, Math.ceil(totalTtlSeconds * 1000))) as [number, number];
      return { share: Number(share), total: Number(total) };
    },
    async raiseTo(key, value, ttlSeconds) {
      assertInteger(value);
      assertTtl(ttlSeconds);
      return Number(await raiseTo(k(key), value, Math.ceil(ttlSeconds * 1000))) === 1;
    },
    async ttlSeconds(key) {
      const ms = await redis.pttl(k(key));
      if (ms === -2) return undefined;
      if (ms === -1) return Infinity;
      return Math.ceil(ms / 1000);
    },
    async addToIndex(indexKey, member, ttlSeconds) {
      assertTtl(ttlSeconds);
      await addToIndex(k(indexKey), member, ttlSeconds === undefined ? '' : Math.ceil(ttlSeconds * 1000));
    },
    async readIndex(indexKey) {
      return redis.smembers(k(indexKey));
    },
    async removeFromIndex(indexKey, member) {
      await redis.srem(k(indexKey), member);
    },
    async markOnce(recordKey, markerKey, value) {
      const reply = await markOnce(k(recordKey), k(markerKey), JSON.stringify(value));
      return MARK_ONCE_RESULTS[Number(reply)] ?? 'missing';
    },
    async clockMs(key) {
      const [seconds, micros] = (await clock(k(key))) as [string, string];
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },
    async ping() {
      // A write, not PING: a Redis that answers but refuses writes (a replica after a failover,
      // READONLY; memory full under noeviction, OOM) fails every sign-in, so it is not ready.
      await redis.set(k(readinessProbeKey()), '1', 'PX', 60_000);
    },
    async close() {
      if (closed) return;
      closed = true;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  return withOutagesAsStoreUnavailable(store);
}

/** True when every key has the same non-empty {hash tag}, so all are in one Cluster slot. */
function shareHashTag(keys: readonly string[]): boolean {
  const tagOf = (key: string) => {
    const open = key.indexOf('{');
    const close = open === -1 ? -1 : key.indexOf('}', open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : undefined;
  };
  const first = tagOf(keys[0]!);
  return first !== undefined && keys.every((key) => tagOf(key) === first);
}

/**
 * A Lua script run by its SHA1 (EVALSHA): Redis keeps it compiled, and the script's text is sent
 * again only when Redis answers NOSCRIPT (after a restart, a failover or SCRIPT FLUSH), which
 * ioredis does by itself. EVAL would send and hash the whole text with every call.
 */
function script(redis: Redis | Cluster, name: string, numberOfKeys: number, lua: string): (...keysThenArgs: (string | number)[]) => Promise<unknown> {
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<unknown>>)[name]!;
  return (...keysThenArgs) => command.apply(redis, keysThenArgs);
}

/** Every call that fails because Redis is unreachable rejects with StoreUnavailable (a 503, never a 500). */
function withOutagesAsStoreUnavailable(store: Store): Store {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] = (...args: unknown[]) => method(...args).catch((error: unknown) => {
      throw asStoreError(error);
    });
  }
  return wrapped as unknown as Store;
}
