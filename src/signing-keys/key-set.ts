import type { SecretBox } from '../auth/secret-box.ts';

/**
 * A key's life: `next` (published in JWKS, signs nothing) → `current` (signs) → `previous`
 * (published, verifies tokens it signed earlier) → retired (gone). A key must be published on
 * every instance before it signs, or a relying party that fetched JWKS from a slower instance
 * could not verify the token; and it must stay published until the tokens it signed expire.
 */
export type KeyState = 'next' | 'current' | 'previous';

export interface StoredSigningKey {
  kid: string;
  alg: string;
  state: KeyState;
  /** ISO 8601: when it was added (published). */
  createdAt: string;
  promotedAt?: string;
  demotedAt?: string;
  /** The private JWK, sealed (AES-256-GCM, the kid as associated data): Redis never holds it in clear. */
  sealed: string;
}

export interface KeySet {
  /** Incremented by every change; instances reload when it moves. */
  version: number;
  keys: StoredSigningKey[];
}

/** The timing rules, from the configuration (see keyRotationPolicy). */
export interface KeyRotationPolicy {
  /** A new key must be published this long before it may sign. */
  promoteAfterSeconds: number;
  /** A demoted key must stay published this long: the longest-lived token it signed, plus the reload lag. */
  retireAfterSeconds: number;
  /** Sessions last this long; ID tokens of an old key may come back as id_token_hint until then. */
  sessionSeconds: number;
}

export type KeySetChange = { ok: true; keySet: KeySet; warnings: string[] } | { ok: false; problem: string };

const seconds = (from: string | undefined, now: number) => (from === undefined ? Infinity : (now - Date.parse(from)) / 1000);
const at = (iso: string, plusSeconds: number) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString();

/** A set from a JWKS (the JWKS_FILE seed, or fresh keys): the first key of each algorithm signs, the rest only verify. */
export function keySetFromJwks(jwks: { keys: Record<string, unknown>[] }, box: SecretBox, now: number): KeySet {
  const seen = new Set<string>();
  const iso = new Date(now).toISOString();
  const keys = jwks.keys.map((jwk): StoredSigningKey => {
    const kid = String(jwk.kid);
    const alg = String(jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : 'RS256'));
    const state: KeyState = seen.has(alg) ? 'previous' : 'current';
    seen.add(alg);
    return { kid, alg, state, createdAt: iso, ...(state === 'current' ? { promotedAt: iso } : { demotedAt: iso }), sealed: box.seal(JSON.stringify({ ...jwk, alg }), kid) };
  });
  return { version: 1, keys };
}

/** Publishes a new key; it signs nothing until promoted. */
export function addKey(keySet: KeySet, jwk: Record<string, unknown>, box: SecretBox, now: number): KeySetChange {
  const kid = String(jwk.kid);
  if (keySet.keys.some((key) => key.kid === kid)) return { ok: false, problem: `a key with kid ${kid} already exists` };
  const key: StoredSigningKey = { kid, alg: String(jwk.alg), state: 'next', createdAt: new Date(now).toISOString(), sealed: box.seal(JSON.stringify(jwk), kid) };
  return { ok: true, keySet: { version: keySet.version + 1, keys: [...keySet.keys, key] }, warnings: [] };
}

/** Lets a published key sign; the key that signed for its algorithm until now becomes `previous`. */
export function promoteKey(keySet: KeySet, kid: string, policy: KeyRotationPolicy, now: number, { force = false } = {}): KeySetChange {
  const key = keySet.keys.find((k) => k.kid === kid);
  if (!key) return { ok: false, problem: `no key with kid ${kid}` };
  if (key.state !== 'next') return { ok: false, problem: `key ${kid} is ${key.state}; only a next key can be promoted` };
  const published = seconds(key.createdAt, now);
  const warnings: string[] = [];
  if (published < policy.promoteAfterSeconds) {
    const when = at(key.createdAt, policy.promoteAfterSeconds);
    const message = `key ${kid} has been published for ${Math.floor(published)} s; promote it from ${when} (promoteAfterSeconds ${policy.promoteAfterSeconds}), so every instance and every app's JWKS cache knows it before it signs`;
    if (!force) return { ok: false, problem: `${message}, or use --force` };
    warnings.push(`forced: ${message}`);
  }
  const iso = new Date(now).toISOString();
  const keys = keySet.keys.map((k): StoredSigningKey => {
    if (k.kid === kid) return { ...k, state: 'current', promotedAt: iso };
    if (k.alg === key.alg && k.state === 'current') return { ...k, state: 'previous', demotedAt: iso };
    return k;
  });
  return { ok: true, keySet: { version: keySet.version + 1, keys }, warnings };
}

/** Removes a key from JWKS: a previous key once its tokens have expired, or a next key never promoted. */
export function retireKey(keySet: KeySet, kid: string, policy: KeyRotationPolicy, now: number, { force = false } = {}): KeySetChange {
  const key = keySet.keys.find((k) => k.kid === kid);
  if (!key) return { ok: false, problem: `no key with kid ${kid}` };
  if (key.state === 'current') return { ok: false, problem: `key ${kid} signs for ${key.alg}: promote another ${key.alg} key first` };
  const warnings: string[] = [];
  if (key.state === 'previous') {
    const demoted = seconds(key.demotedAt, now);
    if (demoted < policy.retireAfterSeconds) {
      const message = `tokens signed with ${kid} may be valid until ${at(key.demotedAt!, policy.retireAfterSeconds)} (ID token lifetime plus reload lag); retiring it now breaks them`;
      if (!force) return { ok: false, problem: `${message}; retry then, or use --force (for a compromised key)` };
      warnings.push(`forced: ${message}`);
    } else if (demoted < policy.sessionSeconds) {
      warnings.push(`ID tokens signed with ${kid} may still come back as id_token_hint at logout until ${at(key.demotedAt!, policy.sessionSeconds)}; such a logout will then ask for confirmation without a hint`);
    }
  }
  return { ok: true, keySet: { version: keySet.version + 1, keys: keySet.keys.filter((k) => k.kid !== kid) }, warnings };
}

/**
 * The private JWKS for oidc-provider. Keys that must not sign carry `key_ops: ["verify"]`, which
 * oidc-provider honours when it picks a signing key (lib/helpers/keystore.js) and publishes in JWKS.
 */
export function providerJwks(keySet: KeySet, box: SecretBox): { keys: Record<string, unknown>[] } {
  const order: Record<KeyState, number> = { current: 0, next: 1, previous: 2 };
  const keys = [...keySet.keys]
    .sort((a, b) => order[a.state] - order[b.state])
    .map((key) => {
      const { key_ops: _ignored, ...jwk } = JSON.parse(box.open(key.sealed, key.kid)) as Record<string, unknown>;
      return key.state === 'current' ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  return { keys };
}

/** What `keys list` shows: never key material. */
export function describeKeySet(keySet: KeySet, policy: KeyRotationPolicy) {
  return keySet.keys.map((key) => ({
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    createdAt: key.createdAt,
    ...(key.promotedAt ? { promotedAt: key.promotedAt } : {}),
    ...(key.demotedAt ? { demotedAt: key.demotedAt } : {}),
    ...(key.state === 'next' ? { promotableFrom: at(key.createdAt, policy.promoteAfterSeconds) } : {}),
    ...(key.state === 'previous' ? { retirableFrom: at(key.demotedAt!, policy.retireAfterSeconds) } : {}),
  }));
}
