import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { generateSigningKey } from '../../src/config/signing-keys.ts';
import { InProcessSigningKey, withInProcessSigning } from '../../src/signing-keys/in-process-signing-key.ts';

const ed25519 = () => ({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: `ed-${randomUUID()}`, use: 'sig', alg: 'EdDSA' });
const publicPart = ({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest }: Record<string, unknown>) => rest;

/** A compact JWS as oidc-provider assembles one around an external key's signature (lib/helpers/jwt.js). */
async function jwsSignedBy(key: InProcessSigningKey, payload: object): Promise<string> {
  const signingInput = `${Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = await key.sign(Buffer.from(signingInput));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

describe('in-process signing keys', () => {
  it.each([
    ['RS256', () => generateSigningKey('RS256')],
    ['PS256', () => generateSigningKey('PS256')],
    ['ES256', () => generateSigningKey('ES256')],
    ['EdDSA', ed25519],
  ])('a %s signature verifies with the published public key, by another JOSE library', async (alg, make) => {
    const jwk = make();
    const key = new InProcessSigningKey(jwk);
    expect([key.kid, key.alg, key.use]).toEqual([jwk.kid, alg, 'sig']);
    const jws = await jwsSignedBy(key, { sub: 'someone', aud: 'an-app' });
    const verified = await compactVerify(jws, await importJWK(publicPart(jwk), alg));
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual({ sub: 'someone', aud: 'an-app' });
    // The key oidc-provider publishes and verifies its own tokens with holds no private part.
    expect(key.keyObject().type).toBe('public');
    expect(key.keyObject().export({ format: 'jwk' })).toEqual(expect.objectContaining({ kty: jwk.kty }));
    expect(key.keyObject().export({ format: 'jwk' })).not.toHaveProperty('d');
  });

  it('EC and Ed25519 sign on the event loop; RSA hands the work to the thread pool', () => {
    const data = Buffer.from('header.payload');
    expect(new InProcessSigningKey(generateSigningKey('ES256')).sign(data)).toBeInstanceOf(Uint8Array);
    expect(new InProcessSigningKey(ed25519()).sign(data)).toBeInstanceOf(Uint8Array);
    expect(new InProcessSigningKey(generateSigningKey('RS256')).sign(data)).toBeInstanceOf(Promise);
  });

  it('a tampered token does not verify', async () => {
    const jwk = generateSigningKey('ES256');
    const jws = await jwsSignedBy(new InProcessSigningKey(jwk), { sub: 'someone' });
    const [header, , signature] = jws.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ sub: 'someone-else' })).toString('base64url')}.${signature}`;
    await expect(compactVerify(forged, await importJWK(publicPart(jwk), 'ES256'))).rejects.toThrow('signature verification failed');
  });

  it('only keys that sign are wrapped: verify-only keys, and keys without kid or alg, stay JWKs', () => {
    const signing = generateSigningKey('ES256');
    const verifyOnly = { ...generateSigningKey('RS256'), key_ops: ['verify'] };
    const { kid: _kid, ...withoutKid } = generateSigningKey('RS256');
    const { alg: _alg, ...withoutAlg } = generateSigningKey('RS256');
    const { keys } = withInProcessSigning({ keys: [signing, verifyOnly, withoutKid, withoutAlg] });
    expect(keys[0]).toBeInstanceOf(InProcessSigningKey);
    expect(keys.slice(1)).toEqual([verifyOnly, withoutKid, withoutAlg]);
  });

  it('refuses an algorithm it does not know how to sign with, rather than sign with the wrong one', () => {
    expect(() => new InProcessSigningKey({ ...generateSigningKey('ES256'), alg: 'ES384' })).toThrow('alg ES384 is not one Sesame signs with');
  });
});
