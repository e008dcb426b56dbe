import { randomInt } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { hmacSha256, randomToken } from './secrets.ts';

// Crockford base32: no I, L, O, U, so a code read off paper cannot be mistyped into another code.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = 10; // 50 bits; enough for a single-use, rate-limited secret.
const CANONICAL = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$/;

// The record and its codes share the {accountId} hash tag so getMany works on Redis Cluster.
export const recoverySetKey = (accountId: string) => `recovery-set:{${accountId}}`;
export const recoveryCodeKey = (accountId: string, generation: string, hash: string) => `recovery:{${accountId}}:${generation}:${hash}`;
const renewalKey = (accountId: string) => `recovery-set:{${accountId}}:renewing`;
/** Only if a renewal's request dies before it lets go: a request ends well within this. */
const RENEWAL_CLAIM_SECONDS = 30;

interface RecoverySet {
  /** Part of every code key, so codes of a replaced set can never be redeemed, even if deleting them failed. */
  generation: string;
  hashes: string[];
}

/** Shown as `xxxxx-xxxxx`. */
export function generateRecoveryCodes(count = 10): string[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new TypeError(`recovery code count must be a positive integer (got ${count})`);
  const codes = new Set<string>();
  while (codes.size < count) {
    let raw = '';
    for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
    codes.add(`${raw.slice(0, 5)}-${raw.slice(5)}`);
  }
  return [...codes];
}

/**
 * Case, dashes and spaces do not matter, and the look-alikes Crockford base32 leaves out are
 * read as what the user most likely saw (O as 0, I and L as 1). Undefined when it cannot be a code.
 */
export function normalizeRecoveryCode(code: string): string | undefined {
  const canonical = code
    .replace(/[\s-]+/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return CANONICAL.test(canonical) ? canonical : undefined;
}

export function hashRecoveryCode(hmacKey: string, code: string): string {
  const canonical = normalizeRecoveryCode(code);
  if (canonical === undefined) throw new TypeError('not a recovery code');
  return hmacSha256(hmacKey, 'recovery-code', canonical);
}

export interface RecoveryCodeStore {
  /** Stores a new set (as keyed hashes only); the previous set stops working at once. */
  replace(accountId: string, codes: readonly string[]): Promise<void>;
  /** True for exactly one redeemer of a code, however many try at once. */
  redeem(accountId: string, code: string): Promise<boolean>;
  remaining(accountId: string): Promise<number>;
  /** Removes the set, e.g. when the second factor is turned off. */
  clear(accountId: string): Promise<void>;
  /**
   * True for one of several renewals of an account's set at the same moment (two tabs pressed at
   * once): each would show its own codes, and only the last one written would work. The winner
   * lets go with endRenewal once its set is written.
   */
  claimRenewal(accountId: string): Promise<boolean>;
  endRenewal(accountId: string): Promise<void>;
}

/**
 * Callers must rate-limit redeem() per account: a recovery code stands in for the second factor.
 */
export function createRecoveryCodeStore({ store, hmacKey }: { store: Store; hmacKey: string }): RecoveryCodeStore {
  async function deleteSet(accountId: string, set: RecoverySet | undefined) {
    if (set) await store.delete(...set.hashes.map((hash) => recoveryCodeKey(accountId, set.generation, hash)));
  }

  return {
    async replace(accountId, codes) {
      const hashes = [...new Set(codes.map((code) => hashRecoveryCode(hmacKey, code)))];
      const previous = await store.get<RecoverySet>(recoverySetKey(accountId));
      const generation = randomToken(12);
      // New codes first, then one write of the record switches sets: no moment where neither
      // set works, and from that write on the old generation is unreachable.
      await Promise.all(hashes.map((hash) => store.set(recoveryCodeKey(accountId, generation, hash), 1)));
      await store.set(recoverySetKey(accountId), { generation, hashes } satisfies RecoverySet);
      // Only tidying: old keys are already unreachable through the record.
      await deleteSet(accountId, previous);
    },

    async redeem(accountId, code) {
      const canonical = normalizeRecoveryCode(code);
      if (canonical === undefined) return false;
      const set = await store.get<RecoverySet>(recoverySetKey(accountId));
      if (!set) return false;
      // take() is an atomic GETDEL (in a script: store/redis-store.ts), which is what makes a code single-use under concurrency.
      const hash = hmacSha256(hmacKey, 'recovery-code', canonical);
      return (await store.take(recoveryCodeKey(accountId, set.generation, hash))) !== undefined;
    },

    async remaining(accountId) {
      const set = await store.get<RecoverySet>(recoverySetKey(accountId));
      if (!set || set.hashes.length === 0) return 0;
      const values = await store.getMany(set.hashes.map((hash) => recoveryCodeKey(accountId, set.generation, hash)));
      return values.filter((value) => value !== undefined).length;
    },

    async clear(accountId) {
      const set = await store.take<RecoverySet>(recoverySetKey(accountId));
      await deleteSet(accountId, set);
    },

    claimRenewal(accountId) {
      return store.setIfAbsent(renewalKey(accountId), 1, RENEWAL_CLAIM_SECONDS);
    },

    async endRenewal(accountId) {
      // In a request, buffered behind the set's own writes: the claim holds until they are sent.
      await store.delete(renewalKey(accountId));
    },
  };
}
