import { createHmac, createSecretKey, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';

// Random bytes come from the CSPRNG in blocks: a draw of a few bytes otherwise costs a call into
// OpenSSL of its own, several per request (CSP nonce, codes, tokens). Each byte is handed out
// once and zeroed in the block as it is. Node pools its randomUUID()s the same way.
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function withRandomBytes<T>(bytes: number, use: (block: Buffer, start: number, end: number) => T): T {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at a time`);
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  try {
    return use(pool, start, poolOffset);
  } finally {
    pool.fill(0, start, start + bytes);
  }
}

/** Uniformly random decimal digits (no modulo bias: bytes of 250 and above are drawn again). */
export function randomDigits(length: number): string {
  let digits = '';
  while (digits.length < length) {
    digits += withRandomBytes(length, (block, start, end) => {
      let drawn = '';
      for (let i = start; i < end && digits.length + drawn.length < length; i++) if (block[i]! < 250) drawn += String(block[i]! % 10);
      return drawn;
    });
  }
  return digits;
}

/** 256 bits, URL-safe. */
export function randomToken(bytes = 32): string {
  return withRandomBytes(bytes, (block, start, end) => block.toString('base64url', start, end));
}

/** Random bytes as standard base64 (a CSP nonce). */
export function randomBase64(bytes: number): string {
  return withRandomBytes(bytes, (block, start, end) => block.toString('base64', start, end));
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
