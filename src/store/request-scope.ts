import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'koa';
import { assertJsonText, assertTtl, type MarkOnceResult, type Store } from './store.ts';

/**
 * One HTTP request as a unit of work on the Store.
 *
 * oidc-provider reads the same Interaction and Session several times per request and writes
 * record after record with an `await` between each; on Redis every one of those is a round trip
 * (the addendum of OIDC-PROVIDER-NOTES.md: about 1% of sign-in throughput each). Inside a request:
 * - `get` is read once and then answered from memory (later calls see this request's own writes);
 * - plain writes (`set`, `delete`, index changes) are buffered and sent together, in order, when the
 *   request ends and before its response leaves, so they cost one round trip however many there are;
 * - every operation that decides something (`take`, `setIfAbsent`, `replaceIfUnchanged`, `increment`, `raiseTo`, `markOnce`) and
 *   every read that buffered writes could change goes to the store at once, in the same batch as
 *   the buffered writes before it: single-use secrets, rate limits and replay guards keep their
 *   atomicity across processes.
 * Outside a request (mail worker, CLI) the store is used directly.
 */
export interface RequestScopes {
  /** Koa middleware opening the scope; buffered writes are flushed even when the request fails. */
  middleware(ctx: Context, next: Next): Promise<void>;
  /**
   * Starts reading `keys` into the current request's memory, all in one batch, and resolves with
   * their values (copies), so the caller can start the reads they point to in the next batch.
   * Outside a request it reads nothing and resolves with no values.
   */
  prefetch(keys: readonly string[]): Promise<unknown[]>;
  /** Starts reading `keys` into the current request's memory without waiting; errors surface at the read that needs the value. */
  warm(keys: readonly string[]): void;
  /**
   * Starts reading the store's clock at `key` (Store.clockMs) without waiting, so that the reading
   * shares the round trip of whatever the request sends next (the redemption of a code); a later
   * clockMs of that key in this request takes it. A few milliseconds early, for times kept in seconds.
   */
  warmClock(key: string): void;
  /**
   * Runs `work` with the request's next batch of writes, in the same tick, so that a command on the
   * same connection (queuing the sign-in mail) shares their round trip and follows them in order.
   * Outside a request it runs at once. Its failure fails the request, like a failed write.
   */
  defer(work: () => Promise<unknown>): Promise<void>;
  /**
   * Tells the current request what `key` holds, when the caller knows it from another record
   * read in this request (a session kept whole under two keys), so the store is not asked again.
   * Ignored when the request already read or wrote the key.
   */
  remember(key: string, value: unknown): void;
  /** Runs `work` in a scope of its own and flushes after it (for callers outside Koa). */
  run<T>(work: () => Promise<T>): Promise<T>;
}

type Write =
  | { op: 'set'; key: string; json: string; ttlSeconds: number | undefined }
  | { op: 'replace'; key: string; value: unknown; ttlSeconds: number | undefined }
  | { op: 'delete'; keys: string[] }
  | { op: 'addToIndex'; indexKey: string; member: string; ttlSeconds: number | undefined }
  | { op: 'removeFromIndex'; indexKey: string; member: string };

interface Scope {
  /**
   * What this request knows of a key, as JSON text: a read in flight or done, or its own write.
   * Each reader parses its own copy; text needs no deep clone and goes back to Redis as it is.
   */
  known: Map<string, Promise<string | undefined>>;
  writes: Write[];
  deferred: (() => Promise<unknown>)[];
  /** The store's clock read at a key in this request: one reading serves every stamp the request makes there. */
  clocks: Map<string, Promise<number>>;
}

export function createRequestScopedStore(inner: Store): { store: Store; scopes: RequestScopes } {
  const storage = new AsyncLocalStorage<Scope>();

  // Sends the buffered writes, in order and without waiting between them: the client pipelines
  // commands issued in one tick (ioredis enableAutoPipelining), and one connection keeps their order.
  function sendWrites(scope: Scope): Promise<unknown> {
    if (scope.writes.length === 0 && scope.deferred.length === 0) return Promise.resolve();
    const writes = scope.writes;
    const deferred = scope.deferred;
    scope.writes = [];
    scope.deferred = [];
    const sent = writes.map((write) => {
      switch (write.op) {
        case 'set':
          return inner.setJson(write.key, write.json, write.ttlSeconds);
        case 'replace':
          return inner.replace(write.key, write.value, write.ttlSeconds);
        case 'delete':
          return inner.delete(...write.keys);
        case 'addToIndex':
          return inner.addToIndex(write.indexKey, write.member, write.ttlSeconds);
        case 'removeFromIndex':
          return inner.removeFromIndex(write.indexKey, write.member);
      }
    });
    return Promise.all([...sent, ...deferred.map((work) => work())]);
  }

  /** An operation that must reach the store now, batched with the writes buffered before it. */
  async function direct<T>(operation: () => Promise<T>): Promise<T> {
    const scope = storage.getStore();
    if (!scope) return operation();
    // Both awaited together: when Redis is gone both fail, and the operation's failure must not be
    // left unhandled behind the writes' (an unhandled rejection, where the request gave a 503).
    const [, result] = await Promise.all([sendWrites(scope), operation()]);
    return result;
  }

  const readKnown = async <T>(json: Promise<string | undefined>): Promise<T | undefined> => {
    const text = await json;
    return text === undefined ? undefined : (JSON.parse(text) as T);
  };

  const store: Store = {
    async get<T>(key: string) {
      const scope = storage.getStore();
      if (!scope) return inner.get<T>(key);
      return readKnown<T>(knownJson(scope, key));
    },
    async getMany<T>(keys: readonly string[]) {
      const scope = storage.getStore();
      if (!scope) return inner.getMany<T>(keys);
      return Promise.all(knownJsonOfMany(scope, keys).map((json) => readKnown<T>(json)));
    },
    async getJson(key) {
      const scope = storage.getStore();
      return scope ? knownJson(scope, key) : inner.getJson(key);
    },
    async getManyJson(keys) {
      const scope = storage.getStore();
      return scope ? Promise.all(knownJsonOfMany(scope, keys)) : inner.getManyJson(keys);
    },
    async set(key, value, ttlSeconds) {
      return store.setJson(key, JSON.stringify(value), ttlSeconds);
    },
    async setJson(key, json, ttlSeconds) {
      const scope = storage.getStore();
      if (!scope) return inner.setJson(key, json, ttlSeconds);
      assertTtl(ttlSeconds);
      assertJsonText(json);
      scope.writes.push({ op: 'set', key, json, ttlSeconds });
      scope.known.set(key, Promise.resolve(json));
    },
    async replace(key, value, ttlSeconds) {
      const scope = storage.getStore();
      if (!scope) return inner.replace(key, value, ttlSeconds);
      assertTtl(ttlSeconds);
      scope.writes.push({ op: 'replace', key, value, ttlSeconds });
      scope.known.set(key, Promise.resolve(JSON.stringify(value)));
    },
    async delete(...keys) {
      const scope = storage.getStore();
      if (!scope) return inner.delete(...keys);
      if (keys.length === 0) return;
      scope.writes.push({ op: 'delete', keys });
      for (const key of keys) scope.known.set(key, Promise.resolve(undefined));
    },
    async addToIndex(indexKey, member, ttlSeconds) {
      const scope = storage.getStore();
      if (!scope) return inner.addToIndex(indexKey, member, ttlSeconds);
      assertTtl(ttlSeconds);
      scope.writes.push({ op: 'addToIndex', indexKey, member, ttlSeconds });
    },
    async removeFromIndex(indexKey, member) {
      const scope = storage.getStore();
      if (!scope) return inner.removeFromIndex(indexKey, member);
      scope.writes.push({ op: 'removeFromIndex', indexKey, member });
    },
    async replaceIfUnchanged(key, expectedJson, value) {
      const outcome = await direct(() => inner.replaceIfUnchanged(key, expectedJson, value));
      // What this request knew of the key was stale unless the write went through.
      if (outcome === 'written') storage.getStore()?.known.set(key, Promise.resolve(JSON.stringify(value)));
      else forget(key);
      return outcome;
    },
    async setIfAbsent(key, value, ttlSeconds) {
      const written = await direct(() => inner.setIfAbsent(key, value, ttlSeconds));
      forget(key);
      return written;
    },
    async take<T>(key: string) {
      const taken = await direct(() => inner.take<T>(key));
      storage.getStore()?.known.set(key, Promise.resolve(undefined));
      return taken;
    },
    async increment(key, ttlSeconds) {
      forget(key);
      return direct(() => inner.increment(key, ttlSeconds));
    },
    async incrementShare(shareKey, shareTtlSeconds, shareLimit, totalKey, totalTtlSeconds) {
      forget(shareKey);
      forget(totalKey);
      return direct(() => inner.incrementShare(shareKey, shareTtlSeconds, shareLimit, totalKey, totalTtlSeconds));
    },
    async raiseTo(key, value, ttlSeconds) {
      forget(key);
      return direct(() => inner.raiseTo(key, value, ttlSeconds));
    },
    async ttlSeconds(key) {
      return direct(() => inner.ttlSeconds(key));
    },
    async clockMs(key) {
      const scope = storage.getStore();
      return scope ? clockReading(scope, key) : inner.clockMs(key);
    },
    async readIndex(indexKey) {
      return direct(() => inner.readIndex(indexKey));
    },
    async markOnce(recordKey, markerKey, value): Promise<MarkOnceResult> {
      forget(markerKey);
      return direct(() => inner.markOnce(recordKey, markerKey, value));
    },
    ping: () => inner.ping(),
    close: () => inner.close(),
  };

  function forget(key: string) {
    storage.getStore()?.known.delete(key);
  }

  /** The key's text as this request knows it, reading it (once) if it does not yet. */
  function knownJson(scope: Scope, key: string): Promise<string | undefined> {
    let known = scope.known.get(key);
    if (!known) {
      known = inner.getJson(key);
      scope.known.set(key, known);
      // A failed read is not remembered: the next caller tries again.
      known.catch(() => scope.known.delete(key));
    }
    return known;
  }

  /** Like knownJson for several keys; those not yet known are read together, in one command. */
  function knownJsonOfMany(scope: Scope, keys: readonly string[]): Promise<string | undefined>[] {
    const missing = keys.filter((key) => !scope.known.has(key));
    if (missing.length > 0) {
      const fetched = inner.getManyJson(missing);
      missing.forEach((key, i) => {
        const json = fetched.then((values) => values[i]);
        scope.known.set(key, json);
        json.catch(() => scope.known.delete(key));
      });
    }
    return keys.map((key) => scope.known.get(key)!);
  }

  function clockReading(scope: Scope, key: string): Promise<number> {
    let reading = scope.clocks.get(key);
    if (!reading) {
      reading = inner.clockMs(key);
      scope.clocks.set(key, reading);
    }
    return reading;
  }

  async function run<T>(work: () => Promise<T>): Promise<T> {
    const scope: Scope = { known: new Map(), writes: [], deferred: [], clocks: new Map() };
    return storage.run(scope, async () => {
      try {
        return await work();
      } finally {
        // Also after a failure: a write made before it (a burnt link) must not be lost.
        await sendWrites(scope);
      }
    });
  }

  const scopes: RequestScopes = {
    middleware: (_ctx, next) => run(() => next()),
    warm(keys) {
      const scope = storage.getStore();
      // Text only: whoever reads a key parses it then, and a warmed key nobody reads is never parsed.
      if (scope && keys.length > 0) knownJsonOfMany(scope, keys);
    },
    warmClock(key) {
      const scope = storage.getStore();
      // A failed reading fails the request at the stamp that needs it, not here.
      if (scope) clockReading(scope, key).catch(() => {});
    },
    async prefetch(keys) {
      const scope = storage.getStore();
      if (!scope || keys.length === 0) return [];
      return Promise.all(knownJsonOfMany(scope, keys).map((json) => readKnown(json)));
    },
    remember(key, value) {
      const scope = storage.getStore();
      if (!scope || scope.known.has(key)) return;
      scope.known.set(key, Promise.resolve(JSON.stringify(value)));
    },
    async defer(work) {
      const scope = storage.getStore();
      if (!scope) {
        await work();
        return;
      }
      scope.deferred.push(work);
    },
    run,
  };
  return { store, scopes };
}
