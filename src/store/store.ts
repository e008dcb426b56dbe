/**
 * The only storage contract in Sesame. Values are JSON; keys are already namespaced by `keys.ts`.
 *
 * Keys passed together to markOnce must share a Redis Cluster hash slot: `keys.ts` gives them the
 * same `{hash tag}`. getMany takes any keys.
 *
 * Inside an HTTP request every module sees this interface through the request scope
 * (`request-scope.ts`): a plain `set`/`delete` reaches Redis when the request ends, just before its
 * response, while `take`, `setIfAbsent`, `replaceIfUnchanged`, `increment`, `raiseTo` and `markOnce` act at once. Anything that
 * must be visible to another process mid-request therefore goes through one of those.
 */
export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  /** Several keys in one round trip: one command on a single Redis, one per slot on a Cluster. */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /**
   * The stored JSON text itself, and its writing: `get` is `getJson` parsed, `set` is `setJson` of
   * the value's JSON. The request scope keeps values as text, so each reader gets its own copy
   * from one parse, with no deep clone and no second serialisation on the way back.
   */
  getJson(key: string): Promise<string | undefined>;
  getManyJson(keys: readonly string[]): Promise<(string | undefined)[]>;
  /** `json` must be valid JSON text (the caller made it with JSON.stringify). */
  setJson(key: string, json: string, ttlSeconds?: number): Promise<void>;
  /**
   * Writes only where the key still exists: a record deleted meanwhile (an account removed while
   * another request was changing it) stays deleted instead of being written back. Buffered in a
   * request like `set`, so it costs no round trip of its own.
   */
  replace(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /**
   * Writes `value` only where the key still holds exactly `expectedJson` (the text `getJson` gave),
   * in one atomic step, keeping the key's TTL: a read-modify-write that cannot lose a change made
   * in between (`changed`: read again and retry) nor bring back a deleted record (`missing`).
   * Acts at once inside a request.
   */
  replaceIfUnchanged(key: string, expectedJson: string, value: unknown): Promise<'written' | 'changed' | 'missing'>;
  /** Returns false when the key already exists (nothing written). */
  setIfAbsent(key: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  /** Read and delete in one atomic step: of concurrent callers, exactly one gets the value. */
  take<T>(key: string): Promise<T | undefined>;
  delete(...keys: string[]): Promise<void>;
  /** Atomic counter; the TTL starts at the first increment and is not extended by later ones. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /**
   * One client's share of a shared budget: counts a hit on `shareKey` and, only while that count
   * is within `shareLimit`, on `totalKey` too, in one atomic step; both as `increment` does. So a
   * client past its share stops using up the total that others draw on. The keys must share a
   * Redis Cluster hash slot. Returns both counts (the total's as it stands when not counted).
   */
  incrementShare(shareKey: string, shareTtlSeconds: number, shareLimit: number, totalKey: string, totalTtlSeconds: number): Promise<{ share: number; total: number }>;
  /**
   * Writes the integer `value` only where it is greater than the integer stored (or nothing is),
   * in one atomic step, with a fresh TTL; returns whether it wrote. Of concurrent callers with the
   * same value, exactly one writes. The basis of "each use later than the last" (TOTP time steps).
   */
  raiseTo(key: string, value: number, ttlSeconds: number): Promise<boolean>;
  /** Remaining lifetime in seconds; undefined when the key is missing, Infinity when it never expires. */
  ttlSeconds(key: string): Promise<number | undefined>;
  /** Set membership index; the index lives at least as long as its longest-lived member. */
  addToIndex(indexKey: string, member: string, ttlSeconds?: number): Promise<void>;
  readIndex(indexKey: string): Promise<string[]>;
  removeFromIndex(indexKey: string, member: string): Promise<void>;
  /**
   * Writes `markerKey` with the remaining lifetime of `recordKey`, only if the record exists
   * and the marker does not, in one atomic step. The basis of single-use tokens.
   */
  markOnce(recordKey: string, markerKey: string, value: unknown): Promise<MarkOnceResult>;
  /**
   * Milliseconds since the epoch by the clock of the server that holds `key` (Redis TIME): one
   * clock for every process. A time one process writes and another compares (a sign-out
   * everywhere's stamp, a sign-in's time) is taken here, where the processes' own clocks, set apart
   * by drift or a jump, could order them wrongly. The in-memory store has one process: its clock.
   */
  clockMs(key: string): Promise<number>;
  /** Readiness: resolves when the backend answers and takes writes. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type MarkOnceResult = 'marked' | 'already-marked' | 'missing';

/** What `setJson` writes must be text: JSON.stringify of undefined or of a function gives none. */
export function assertJsonText(json: unknown): asserts json is string {
  if (typeof json !== 'string') throw new TypeError('the value has no JSON form (undefined or a function)');
}

export function assertTtl(ttlSeconds: number | undefined) {
  if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0)) {
    throw new TypeError(`ttlSeconds must be a positive number (got ${ttlSeconds})`);
  }
}

/** raiseTo compares integers: a fraction or NaN would compare as nothing the caller meant. */
export function assertInteger(value: number) {
  if (!Number.isSafeInteger(value)) throw new TypeError(`the value must be an integer (got ${value})`);
}
