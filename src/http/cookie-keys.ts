import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Signs and checks cookie signatures for Koa and oidc-provider, in the Keygrip interface they
 * accept (`cookies.keys`, `app.keys`): HMAC-SHA1, base64url, first key signs, every key verifies.
 * Same signatures as Keygrip, so no cookie is invalidated by switching. Keygrip compares through
 * tsscmp, which draws random bytes and computes two more HMACs on every check, and turns the
 * secret into a key object on every call; the interaction cookie is checked several times per
 * sign-in step, so this keeps prepared keys and compares with crypto.timingSafeEqual.
 */
export class CookieKeys {
  readonly #keys: KeyObject[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new TypeError('CookieKeys needs at least one secret');
    this.#keys = secrets.map((secret) => createSecretKey(Buffer.from(secret, 'utf8')));
  }

  sign(data: string): string {
    return signWith(this.#keys[0]!, data);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) !== -1;
  }

  /** Which key made `digest` (0 is the current one), or -1. */
  index(data: string, digest: string): number {
    const given = Buffer.from(String(digest));
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(signWith(this.#keys[i]!, data));
      if (expected.length === given.length && timingSafeEqual(expected, given)) return i;
    }
    return -1;
  }
}

const signWith = (key: KeyObject, data: string) => createHmac('sha1', key).update(data).digest('base64url');
