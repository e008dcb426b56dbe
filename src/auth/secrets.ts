import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

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
  return createHmac('sha256', key).update(purpose).update('\0').update(value).digest('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // Our inputs are fixed-length hashes, so an early length mismatch reveals nothing secret.
  return left.length === right.length && timingSafeEqual(left, right);
}
