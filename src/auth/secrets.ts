import { createHmac, createSecretKey, randomBytes, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Uniformly random decimal digits (no modulo bias: randomInt rejects out-of-range draws). */
export function randomDigits(length: number): string {
  let digits = '';
  for (let i = 0; i < length; i++) digits += String(randomInt(10));
  return digits;
}

/** 256 bits, URL-safe. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Keyed hash for stored secrets: a stolen Redis dump cannot be brute-forced without the key. */
export function hmacSha256(key: string, purpose: string, value: string): string {
  return createHmac('sha256', preparedKey(key)).update(purpose).update('\0').update(value).digest('base64url');
}

// The few server secrets, turned into key objects once: a string key is converted on every HMAC.
const preparedKeys = new Map<string, KeyObject>();
function preparedKey(secret: string): KeyObject {
  let key = preparedKeys.get(secret);
  if (!key) {
    if (preparedKeys.size > 64) preparedKeys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    preparedKeys.set(secret, key);
  }
  return key;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Our inputs are fixed-length hashes, so an early length mismatch reveals nothing secret.
  return left.length === right.length && timingSafeEqual(left, right);
}
