import { createHash, hkdfSync } from 'node:crypto';
import { createSecretBox, type SecretBox, type SecretBoxKey } from './secret-box.ts';

const derive = (material: string | Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', material, 'sesame', purpose, 32));

/**
 * A SecretBox keyed from configured secrets (strings of 32+ characters) for one purpose: each key is
 * HKDF-SHA-256(secret, info = purpose), so one secret never keys two purposes. The first secret
 * seals, all open; a key's id is a hash of the derived key, so reordering the secrets is harmless.
 */
export function deriveSecretBox(secrets: readonly string[], purpose: string): SecretBox {
  if (secrets.length === 0) throw new TypeError(`deriveSecretBox(${purpose}): at least one secret is needed`);
  const keys = secrets.map((secret) => {
    const key = derive(secret, purpose);
    return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
  });
  return createSecretBox({ keys });
}

/**
 * A SecretBox for one purpose from the ENCRYPTION_KEYS (already AES-256 keys with ids): each key is
 * replaced by HKDF-SHA-256(key, info = purpose) under the same id, so rotating ENCRYPTION_KEYS
 * (a new key first, the old ones kept) works the same for every purpose, and no two purposes
 * share an AES key.
 */
export function purposeSecretBox(keys: readonly SecretBoxKey[], purpose: string): SecretBox {
  return createSecretBox({ keys: keys.map(({ id, key }) => ({ id, key: derive(key, purpose) })) });
}
