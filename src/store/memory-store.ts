import { assertInteger, assertJsonText, assertTtl, type MarkOnceResult, type Store } from './store.ts';

interface Entry {
  /** JSON text, as Redis would hold it: every read parses a copy of its own. */
  json: string;
  expiresAt: number; // epoch ms; Infinity when no TTL
}

export interface MemoryStoreOptions {
  /** @default Date.now */
  now?: () => number;
  /** How often expired entries are swept, in ms. @default 60000 */
  sweepIntervalMs?: number;
}

/**
 * In-process Store for the embedded mode (one process, nothing survives a restart).
 * Values are kept as JSON text, like on Redis: callers can never mutate stored state by
 * reference, and a value that would not survive Redis does not survive here either.
 */
export function createMemoryStore({ now = Date.now, sweepIntervalMs = 60_000 }: MemoryStoreOptions = {}): Store {
  const entries = new Map<string, Entry>();
  const indexes = new Map<string, { members: Set<string>; expiresAt: number }>();

  const sweep = setInterval(() => {
    const t = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
    for (const [key, index] of indexes) if (index.expiresAt <= t) indexes.delete(key);
  }, sweepIntervalMs);
  sweep.unref();

  const expiryFor = (ttlSeconds?: number) => (ttlSeconds === undefined ? Infinity : now() + ttlSeconds * 1000);

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  const countIn = (entry: Entry | undefined) => {
    const stored = entry === undefined ? 0 : (JSON.parse(entry.json) as unknown);
    return typeof stored === 'number' ? stored : 0;
  };
  // Synchronous, so the two counts of incrementShare are one step, as the script is on Redis.
  const countUp = (key: string, ttlSeconds: number) => {
    const entry = live(key);
    const count = countIn(entry) + 1;
    entries.set(key, { json: String(count), expiresAt: entry?.expiresAt ?? expiryFor(ttlSeconds) });
    return count;
  };

  function read<T>(key: string): T | undefined {
    const entry = live(key);
    return entry === undefined ? undefined : (JSON.parse(entry.json) as T);
  }

  function write(key: string, json: string, ttlSeconds?: number) {
    assertTtl(ttlSeconds);
    assertJsonText(json);
    entries.set(key, { json, expiresAt: expiryFor(ttlSeconds) });
  }

  return {
    async get<T>(key: string) {
      return read<T>(key);
    },
    async getMany<T>(keys: readonly string[]) {
      return keys.map((key) => read<T>(key));
    },
    async getJson(key) {
      return live(key)?.json;
    },
    async getManyJson(keys) {
      return keys.map((key) => live(key)?.json);
    },
    async set(key, value, ttlSeconds) {
      write(key, JSON.stringify(value), ttlSeconds);
    },
    async setJson(key, json, ttlSeconds) {
      write(key, json, ttlSeconds);
    },
    async replace(key, value, ttlSeconds) {
      if (live(key)) write(key, JSON.stringify(value), ttlSeconds);
    },
    async replaceIfUnchanged(key, expectedJson, value) {
      const entry = live(key);
      if (!entry) return 'missing';
      if (entry.json !== expectedJson) return 'changed';
      entry.json = JSON.stringify(value);
      return 'written';
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      write(key, JSON.stringify(value), ttlSeconds);
      return true;
    },
    async take<T>(key: string) {
      const value = read<T>(key);
      entries.delete(key);
      return value;
    },
    async delete(...keys) {
      for (const key of keys) {
        entries.delete(key);
        indexes.delete(key);
      }
    },
    async increment(key, ttlSeconds) {
      assertTtl(ttlSeconds);
      return countUp(key, ttlSeconds);
    },
    async incrementShare(shareKey, shareTtlSeconds, shareLimit, totalKey, totalTtlSeconds) {
      assertTtl(shareTtlSeconds);
      assertTtl(totalTtlSeconds);
      const share = countUp(shareKey, shareTtlSeconds);
      return { share, total: share <= shareLimit ? countUp(totalKey, totalTtlSeconds) : countIn(live(totalKey)) };
    },
    async raiseTo(key, value, ttlSeconds) {
      assertInteger(value);
      assertTtl(ttlSeconds);
      const stored = read<unknown>(key);
      if (typeof stored === 'number' && stored >= value) return false;
      write(key, JSON.stringify(value), ttlSeconds);
      return true;
    },
    async ttlSeconds(key) {
      const index = indexes.get(key);
      const entry = live(key) ?? (index && index.expiresAt > now() ? { expiresAt: index.expiresAt } : undefined);
      if (!entry) return undefined;
      return entry.expiresAt === Infinity ? Infinity : Math.ceil((entry.expiresAt - now()) / 1000);
    },
    async addToIndex(indexKey, member, ttlSeconds) {
      assertTtl(ttlSeconds);
      const existing = indexes.get(indexKey);
      const index = existing && existing.expiresAt > now() ? existing : { members: new Set<string>(), expiresAt: 0 };
      index.members.add(member);
      index.expiresAt = Math.max(index.expiresAt, expiryFor(ttlSeconds));
      indexes.set(indexKey, index);
    },
    async readIndex(indexKey) {
      const index = indexes.get(indexKey);
      if (!index || index.expiresAt <= now()) return [];
      return [...index.members];
    },
    async removeFromIndex(indexKey, member) {
      indexes.get(indexKey)?.members.delete(member);
    },
    async markOnce(recordKey, markerKey, value): Promise<MarkOnceResult> {
      const record = live(recordKey);
      if (!record) return 'missing';
      if (live(markerKey)) return 'already-marked';
      entries.set(markerKey, { json: JSON.stringify(value), expiresAt: record.expiresAt });
      return 'marked';
    },
    async clockMs() {
      return now();
    },
    async ping() {},
    async close() {
      clearInterval(sweep);
    },
  };
}
