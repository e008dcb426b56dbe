import { constants, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { ExternalSigningKey } from 'oidc-provider';

/**
 * How each JWS algorithm Sesame signs with maps onto node:crypto. ES256 needs the JOSE form of
 * an ECDSA signature (r‖s, RFC 7518 §3.4), not DER; PS256 salts with the hash's length (§3.5).
 */
const NODE_SIGNING: Record<string, { hash: string | null; options: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number } }> = {
  RS256: { hash: 'sha256', options: {} },
  PS256: { hash: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: null, options: {} },
  Ed25519: { hash: null, options: {} },
};

/**
 * A signing key that signs with node:crypto instead of oidc-provider's path through jose and
 * WebCrypto, which hands every signature to the thread pool and back. An ES256 ID token then
 * costs about 80 µs of CPU instead of about 130 (measured on one core; see README, Performance).
 * EC and Ed25519 sign on the event loop: that is cheaper than the hop, and too short to hold
 * other requests up. RSA keeps the thread pool (node:crypto's callback form): a 2048-bit
 * signature takes most of a millisecond, which would stall every other request meanwhile.
 */
export class InProcessSigningKey extends ExternalSigningKey {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #signing: (typeof NODE_SIGNING)[string];
  readonly #kid: string;
  readonly #alg: string;

  constructor(jwk: Record<string, unknown>) {
    super();
    const alg = jwk.alg;
    if (typeof alg !== 'string' || !NODE_SIGNING[alg]) throw new TypeError(`signing key ${String(jwk.kid)}: alg ${String(alg)} is not one Sesame signs with`);
    this.#privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
    this.#publicKey = createPublicKey(this.#privateKey);
    this.#signing = NODE_SIGNING[alg]!;
    this.#kid = String(jwk.kid);
    this.#alg = alg;
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return this.#alg;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override sign(data: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const { hash, options } = this.#signing;
    const key = { key: this.#privateKey, ...options };
    if (this.#privateKey.asymmetricKeyType !== 'rsa') return sign(hash, data, key);
    return new Promise((resolve, reject) => sign(hash, data, key, (error, signature) => (error ? reject(error) : resolve(signature))));
  }
}

/**
 * The JWKS as oidc-provider is given it: each key that signs with an algorithm above becomes an
 * InProcessSigningKey. Keys published only to verify (`key_ops: ["verify"]`, the next and
 * previous keys of a rotation) stay JWKs, because an external key cannot carry key_ops and would
 * be picked to sign; so do keys without a `kid` or an `alg`, which the library completes or uses for several.
 */
export function withInProcessSigning(jwks: { keys: readonly Record<string, unknown>[] }): { keys: (Record<string, unknown> | InProcessSigningKey)[] } {
  return { keys: jwks.keys.map((jwk) => (signsInProcess(jwk) ? new InProcessSigningKey(jwk) : jwk)) };
}

function signsInProcess(jwk: Record<string, unknown>): boolean {
  const ops = jwk.key_ops;
  return typeof jwk.kid === 'string' && typeof jwk.alg === 'string' && jwk.alg in NODE_SIGNING && (!Array.isArray(ops) || ops.includes('sign'));
}
