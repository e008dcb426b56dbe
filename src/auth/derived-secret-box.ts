import { createHash, hkdfSync } from 'node:crypto';
import { createSecretBox, type SecretBox } from './secret-box.ts';

/**
 * A SecretBox keyed from configured secrets (strings of 32+ characters) for one purpose: each key is
 * HKDF-SHA-256(secret, info = purpose), so one secret never keys two purposes. The first secret
 * seals, all open; a key's id is a hash of the derived key, so reordering the secrets is harmless.
 */
export function deriveSecretBox(secrets: readonly string[], purpose: string): SecretBox {
  if (secrets.length === 0) throw new TypeError(`deriveSecretBox(${purpose}): at least one secret is needed`);
  const keys = secrets.map((secret) => {
    const key = Buffer.from(hkdfSync('sha256', secret, 'sesame', purpose, 32));
    return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
  });
  return createSecretBox({ keys });
}
