import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export interface SecretBoxKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

export interface SecretBox {
  /** The id of the key that seals: a value sealed under another key is due for re-sealing. */
  readonly sealingKeyId: string;
  /** `associatedData` (e.g. the account id) is authenticated but not stored: open() needs the same value. */
  seal(plaintext: string, associatedData: string): string;
  open(sealed: string, associatedData: string): string;
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Key ids end up inside the dot-separated sealed format and in config, so keep them plain.
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * AES-256-GCM for small secrets at rest (TOTP seeds). The first key seals, every key opens, so a
 * new key can be put first while values sealed under older keys stay readable until re-sealed.
 */
export function createSecretBox({ keys }: { keys: readonly SecretBoxKey[] }): SecretBox {
  if (keys.length === 0) throw new TypeError('secret box needs at least one key');
  // Key objects, made once: given a Buffer, node:crypto builds one on every seal and open, which
  // costs three times the AES-GCM work itself on a small secret (about 23 µs against 6).
  const byId = new Map<string, KeyObject>();
  for (const { id, key } of keys) {
    if (!KEY_ID.test(id)) throw new TypeError(`secret box key id ${JSON.stringify(id)} must be 1-32 characters of A-Z a-z 0-9 _ -`);
    if (key.length !== KEY_BYTES) throw new TypeError(`secret box key ${id} must be ${KEY_BYTES} bytes (got ${key.length})`);
    if (byId.has(id)) throw new TypeError(`secret box key id ${id} is used twice`);
    // A key object holds its own copy, so a caller that later zeroes or reuses its buffer cannot change our keys.
    byId.set(id, createSecretKey(key));
  }
  const sealingId = keys[0]!.id;
  const sealingKey = byId.get(sealingId)!;

  return {
    sealingKeyId: sealingId,

    seal(plaintext, associatedData) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(sealingId, associatedData));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, sealingId, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
    },

    open(sealed, associatedData) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('sealed secret is malformed or of an unknown version');
      const [, keyId, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
      const key = byId.get(keyId);
      if (!key) throw new Error(`sealed secret uses unknown key id ${JSON.stringify(keyId)} (was the key removed from the configuration?)`);
      // Buffer.from(..., 'base64url') silently skips invalid characters, so check the alphabet first.
      if (!BASE64URL.test(ivText) || !BASE64URL.test(ciphertextText) || !BASE64URL.test(tagText)) {
        throw new Error('sealed secret is malformed');
      }
      const iv = Buffer.from(ivText, 'base64url');
      const tag = Buffer.from(tagText, 'base64url');
      // A short tag would otherwise be accepted by GCM and make forgeries cheaper.
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('sealed secret is malformed');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad(keyId, associatedData));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('sealed secret failed authentication (tampered, or associated data does not match)');
      }
    },
  };
}

/** The key id a sealed value names, without opening it; undefined when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === VERSION && KEY_ID.test(parts[1]!) ? parts[1] : undefined;
}

// The header is authenticated too, so a sealed value cannot be relabelled with another version or key id.
function aad(keyId: string, associatedData: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${associatedData}`, 'utf8');
}

/**
 * Parses a config value such as `k2:BASE64URL,k1:BASE64URL` (first key seals). Error messages
 * never echo key material, since they may end up in logs.
 */
export function parseEncryptionKeys(raw: string): SecretBoxKey[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw new TypeError('encryption keys: expected at least one "id:base64url-key" entry');
  const keys: SecretBoxKey[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    if (colon === -1) throw new TypeError(`encryption keys: entry ${index + 1} has no key id (expected "id:base64url-key")`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (id === '') throw new TypeError(`encryption keys: entry ${index + 1} has an empty key id`);
    if (!KEY_ID.test(id)) throw new TypeError(`encryption keys: key id ${JSON.stringify(id)} must be 1-32 characters of A-Z a-z 0-9 _ -`);
    if (seen.has(id)) throw new TypeError(`encryption keys: key id ${id} appears more than once`);
    seen.add(id);
    // Accept padded base64url too: `openssl rand -base64 32 | tr '+/' '-_'` keeps the '='.
    const unpadded = encoded.replace(/=+$/, '');
    if (!BASE64URL.test(unpadded) || unpadded === '') throw new TypeError(`encryption keys: key ${id} is not base64url`);
    const key = Buffer.from(unpadded, 'base64url');
    if (key.length !== KEY_BYTES) throw new TypeError(`encryption keys: key ${id} must decode to ${KEY_BYTES} bytes (got ${key.length})`);
    keys.push({ id, key });
  });
  return keys;
}
