import { describe, expect, it } from '@jest/globals';
import { deriveSecretBox } from '../../src/auth/derived-secret-box.ts';
import { runKeysCommand, type KeysCommandDeps } from '../../src/cli/key-commands.ts';
import type { AuditEvent } from '../../src/observability/audit-log.ts';
import { generateSigningKey, generateSigningKeys } from '../../src/config/signing-keys.ts';
import { addKey, keySetFromJwks, promoteKey, providerJwks, retireKey, type KeyRotationPolicy } from '../../src/signing-keys/key-set.ts';
import { createKeySetStore } from '../../src/signing-keys/key-set-store.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';

const box = deriveSecretBox(['a-secret-of-at-least-32-characters-long!'], 'test');
const policy: KeyRotationPolicy = { promoteAfterSeconds: 600, retireAfterSeconds: 3600, sessionSeconds: 86_400 };
const T0 = Date.parse('2030-01-01T00:00:00Z');
const minutes = (n: number) => T0 + n * 60_000;

describe('the key set', () => {
  it('seeds from a JWKS: the first key of each algorithm signs, later ones only verify', () => {
    const file = generateSigningKeys();
    const extraRsa = generateSigningKey('RS256');
    const keySet = keySetFromJwks({ keys: [...file.keys, extraRsa] }, box, T0);
    expect(keySet.keys.map((k) => [k.alg, k.state])).toEqual([['RS256', 'current'], ['ES256', 'current'], ['RS256', 'previous']]);
    expect(JSON.stringify(keySet)).not.toContain(String(file.keys[0]!.d));
    const jwks = providerJwks(keySet, box);
    expect(jwks.keys.map((k) => k.key_ops)).toEqual([undefined, undefined, ['verify']]);
    expect(jwks.keys[0]!.d).toBe(file.keys[0]!.d);
  });

  it('a key is promotable only after promoteAfterSeconds unless forced, and demotes the key it replaces', () => {
    const seeded = keySetFromJwks(generateSigningKeys(), box, T0);
    const added = addKey(seeded, generateSigningKey('RS256'), box, minutes(0));
    if (!added.ok) throw new Error(added.problem);
    const kid = added.keySet.keys.at(-1)!.kid;
    expect(promoteKey(added.keySet, kid, policy, minutes(5))).toMatchObject({ ok: false, problem: expect.stringContaining('promote it from 2030-01-01T00:10:00.000Z') });
    expect(promoteKey(added.keySet, kid, policy, minutes(5), { force: true })).toMatchObject({ ok: true, warnings: [expect.stringContaining('forced')] });
    const promoted = promoteKey(added.keySet, kid, policy, minutes(10));
    if (!promoted.ok) throw new Error(promoted.problem);
    expect(promoted.keySet.version).toBe(added.keySet.version + 1);
    expect(promoted.keySet.keys.filter((k) => k.alg === 'RS256').map((k) => k.state)).toEqual(['previous', 'current']);
    expect(promoted.keySet.keys.find((k) => k.alg === 'ES256')!.state).toBe('current');
  });

  it('retires a previous key after its tokens expired (warning while sessions may still hold its ID tokens), a next key any time, a current key never', () => {
    const seeded = keySetFromJwks(generateSigningKeys(), box, T0);
    const oldKid = seeded.keys[0]!.kid;
    const added = addKey(seeded, generateSigningKey('RS256'), box, T0);
    if (!added.ok) throw new Error(added.problem);
    const newKid = added.keySet.keys.at(-1)!.kid;
    expect(retireKey(added.keySet, newKid, policy, T0)).toMatchObject({ ok: true, warnings: [] });
    const promoted = promoteKey(added.keySet, newKid, policy, minutes(10));
    if (!promoted.ok) throw new Error(promoted.problem);
    expect(retireKey(promoted.keySet, newKid, policy, minutes(100))).toMatchObject({ ok: false, problem: expect.stringContaining('promote another RS256 key first') });
    expect(retireKey(promoted.keySet, oldKid, policy, minutes(30))).toMatchObject({ ok: false });
    expect(retireKey(promoted.keySet, oldKid, policy, minutes(30), { force: true })).toMatchObject({ ok: true, warnings: [expect.stringContaining('forced')] });
    expect(retireKey(promoted.keySet, oldKid, policy, minutes(71))).toMatchObject({ ok: true, warnings: [expect.stringContaining('id_token_hint')] });
    expect(retireKey(promoted.keySet, oldKid, policy, minutes(10 + 24 * 60))).toMatchObject({ ok: true, warnings: [] });
  });

  it('refuses to open a set sealed under another secret', () => {
    const keySet = keySetFromJwks(generateSigningKeys(), box, T0);
    expect(() => providerJwks(keySet, deriveSecretBox(['another-secret-of-at-least-32-characters'], 'test'))).toThrow();
  });
});

describe('the key set in the Store', () => {
  it('writes each version once: of two concurrent changes one wins, and the CLI retries on the newer set', async () => {
    const store = createMemoryStore();
    const keySets = createKeySetStore(store);
    const seeded = keySetFromJwks(generateSigningKeys(), box, T0);
    expect(await keySets.save(seeded)).toBe('saved');
    expect(await keySets.save(seeded)).toBe('conflict');
    const deps: KeysCommandDeps = { keySets, box, policy, seedJwks: { keys: [] }, audit: { record() {} }, now: () => minutes(1) };
    const [a, b] = await Promise.all([runKeysCommand(['add', 'RS256'], deps), runKeysCommand(['add', 'ES256'], deps)]);
    expect(a.ok && b.ok).toBe(true);
    const latest = (await keySets.load())!;
    expect(latest.version).toBe(3);
    expect(latest.keys.filter((k) => k.state === 'next').map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    await store.close();
  });

  it('finds the newest version even when a writer died before moving the pointer', async () => {
    const store = createMemoryStore();
    const keySets = createKeySetStore(store);
    const seeded = keySetFromJwks(generateSigningKeys(), box, T0);
    await keySets.save(seeded);
    const added = addKey(seeded, generateSigningKey('ES256'), box, T0);
    if (!added.ok) throw new Error(added.problem);
    await store.setIfAbsent('signing-keys:{signing-keys}:v2', added.keySet);
    expect((await keySets.load())!.version).toBe(2);
    await store.close();
  });

  it('keys init creates a set once; --if-missing makes a second run harmless; bad usage exits 2', async () => {
    const store = createMemoryStore();
    const recorded: AuditEvent[] = [];
    const deps: KeysCommandDeps = { keySets: createKeySetStore(store), box, policy, seedJwks: { keys: [] }, audit: { record: (event) => recorded.push(event) }, now: () => T0 };
    expect(await runKeysCommand(['list'], deps)).toMatchObject({ ok: false, exitCode: 1 });
    expect(await runKeysCommand(['init'], deps)).toMatchObject({ ok: true, output: { created: true } });
    expect(await runKeysCommand(['init'], deps)).toMatchObject({ ok: false, exitCode: 1 });
    expect(await runKeysCommand(['init', '--if-missing'], deps)).toMatchObject({ ok: true, output: { created: false } });
    expect(await runKeysCommand(['add', 'HS256'], deps)).toMatchObject({ ok: false, exitCode: 2 });
    expect(await runKeysCommand(['promote'], deps)).toMatchObject({ ok: false, exitCode: 2 });
    expect(await runKeysCommand(['rotate'], deps)).toMatchObject({ ok: false, exitCode: 2 });
    // The one change made is recorded; what changed nothing is not.
    expect(recorded).toEqual([{ event: 'signing_keys.created', kids: (await createKeySetStore(store).load())!.keys.map((key) => key.kid) }]);
    await store.close();
  });
});

describe('sealing under ENCRYPTION_KEYS', () => {
  it('one AES key per purpose, and a rotated ENCRYPTION_KEYS (new key first) still opens what the old key sealed', async () => {
    const { purposeSecretBox } = await import('../../src/auth/derived-secret-box.ts');
    const { randomBytes } = await import('node:crypto');
    const old = { id: 'k1', key: randomBytes(32) };
    const sealed = purposeSecretBox([old], 'sesame signing keys v1').seal('private jwk', 'kid-1');
    expect(() => purposeSecretBox([old], 'another purpose').open(sealed, 'kid-1')).toThrow();
    const rotated = purposeSecretBox([{ id: 'k2', key: randomBytes(32) }, old], 'sesame signing keys v1');
    expect(rotated.open(sealed, 'kid-1')).toBe('private jwk');
    expect(rotated.seal('x', 'kid-2')).toMatch(/^v1\.k2\./);
  });
});
