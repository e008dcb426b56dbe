import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createSecretBox, parseEncryptionKeys, sealedKeyId } from '../../src/auth/secret-box.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

// Changes one base64url character of part `index` without changing its length.
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index]!;
  const position = Math.floor(part.length / 2);
  const replacement = part[position] === 'A' ? 'B' : 'A';
  parts[index] = part.slice(0, position) + replacement + part.slice(position + 1);
  return parts.join('.');
}

describe('secret box', () => {
  it('round-trips and uses the documented format', () => {
    const box = createSecretBox({ keys: [k1] });
    for (const plaintext of ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', '', 'ünïcødé ✓']) {
      const sealed = box.seal(plaintext, 'acct-1');
      expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/);
      expect(sealed).not.toContain(plaintext || '\0');
      expect(box.open(sealed, 'acct-1')).toBe(plaintext);
    }
  });

  it('uses a fresh IV each time', () => {
    const box = createSecretBox({ keys: [k1] });
    expect(box.seal('same', 'a')).not.toBe(box.seal('same', 'a'));
  });

  it('binds the ciphertext to its associated data (another account cannot use it)', () => {
    const box = createSecretBox({ keys: [k1] });
    const sealed = box.seal('secret', 'acct-1');
    expect(() => box.open(sealed, 'acct-2')).toThrow(/failed authentication/);
    expect(() => box.open(sealed, '')).toThrow(/failed authentication/);
  });

  it('detects tampering with IV, ciphertext or tag', () => {
    const box = createSecretBox({ keys: [k1] });
    const sealed = box.seal('a longer secret value', 'acct-1');
    for (const index of [2, 3, 4]) expect(() => box.open(tamper(sealed, index), 'acct-1')).toThrow(Error);
  });

  it('rejects truncated tags, bad encodings and malformed input', () => {
    const box = createSecretBox({ keys: [k1] });
    const sealed = box.seal('secret', 'acct-1');
    const parts = sealed.split('.');
    const shortTag = [...parts.slice(0, 4), parts[4]!.slice(0, 6)].join('.');
    expect(() => box.open(shortTag, 'acct-1')).toThrow(/malformed/);
    expect(() => box.open(`${sealed}!`, 'acct-1')).toThrow(/malformed/);
    expect(() => box.open('', 'acct-1')).toThrow(/malformed/);
    expect(() => box.open(sealed.replace(/^v1/, 'v2'), 'acct-1')).toThrow(/unknown version/);
    expect(() => box.open(`${sealed}.x`, 'acct-1')).toThrow(/malformed/);
  });

  it('names an unknown key id', () => {
    const sealed = createSecretBox({ keys: [k2] }).seal('secret', 'acct-1');
    expect(() => createSecretBox({ keys: [k1] }).open(sealed, 'acct-1')).toThrow(/unknown key id "k2"/);
  });

  it('cannot be relabelled with another key id', () => {
    const box = createSecretBox({ keys: [k1, k2] });
    const sealed = box.seal('secret', 'acct-1');
    expect(() => box.open(sealed.replace('.k1.', '.k2.'), 'acct-1')).toThrow(/failed authentication/);
  });

  it('rotates: the first key seals, older keys still open', () => {
    const old = createSecretBox({ keys: [k1] }).seal('secret', 'acct-1');
    const rotated = createSecretBox({ keys: [k2, k1] });
    expect(rotated.open(old, 'acct-1')).toBe('secret');
    const fresh = rotated.seal('secret', 'acct-1');
    expect(fresh.startsWith('v1.k2.')).toBe(true);
    expect(() => createSecretBox({ keys: [k1] }).open(fresh, 'acct-1')).toThrow(/unknown key id/);
    // What re-sealing on use relies on: which key a value is under, and which key seals now.
    expect(rotated.sealingKeyId).toBe('k2');
    expect(sealedKeyId(old)).toBe('k1');
    expect(sealedKeyId(fresh)).toBe('k2');
    expect(sealedKeyId('not sealed')).toBeUndefined();
  });

  it('does not depend on the caller keeping its key buffer intact', () => {
    const key = Buffer.from(k1.key);
    const box = createSecretBox({ keys: [{ id: 'k1', key }] });
    const sealed = box.seal('secret', 'a');
    key.fill(0);
    expect(box.open(sealed, 'a')).toBe('secret');
  });

  it('refuses bad key sets', () => {
    expect(() => createSecretBox({ keys: [] })).toThrow(TypeError);
    expect(() => createSecretBox({ keys: [{ id: 'k1', key: randomBytes(16) }] })).toThrow(/32 bytes/);
    expect(() => createSecretBox({ keys: [k1, { id: 'k1', key: randomBytes(32) }] })).toThrow(/twice/);
    expect(() => createSecretBox({ keys: [{ id: 'a.b', key: randomBytes(32) }] })).toThrow(TypeError);
  });
});

describe('parseEncryptionKeys', () => {
  const b64 = (buffer: Buffer) => buffer.toString('base64url');

  it('parses id:key pairs in order (first seals)', () => {
    const keys = parseEncryptionKeys(` k2:${b64(k2.key)} , k1:${b64(k1.key)}`);
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0]!.key.equals(k2.key)).toBe(true);
    expect(keys[1]!.key.equals(k1.key)).toBe(true);
    const box = createSecretBox({ keys });
    expect(box.open(box.seal('x', 'a'), 'a')).toBe('x');
  });

  it('accepts padded base64url', () => {
    expect(parseEncryptionKeys(`k1:${b64(k1.key)}=`)[0]!.key.equals(k1.key)).toBe(true);
  });

  it.each([
    ['empty', '', /at least one/],
    ['missing id', b64(k1.key), /no key id/],
    ['empty id', `:${b64(k1.key)}`, /empty key id/],
    ['bad id', `k.1:${b64(k1.key)}`, /key id/],
    ['short key', `k1:${b64(randomBytes(16))}`, /32 bytes \(got 16\)/],
    ['long key', `k1:${b64(randomBytes(33))}`, /32 bytes \(got 33\)/],
    ['empty key', 'k1:', /not base64url/],
    ['not base64url', `k1:${b64(k1.key).slice(0, 40)}+/=`, /not base64url/],
    ['duplicate id', `k1:${b64(k1.key)},k1:${b64(k2.key)}`, /more than once/],
  ])('rejects %s with a TypeError', (_name, raw, message) => {
    expect(() => parseEncryptionKeys(raw)).toThrow(TypeError);
    expect(() => parseEncryptionKeys(raw)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const material = b64(randomBytes(16));
    try {
      parseEncryptionKeys(`k1:${material}`);
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as Error).message).not.toContain(material);
    }
  });
});
