import { describe, expect, it } from '@jest/globals';
import { createStoreAdapterClass } from '../../src/oidc/store-adapter.ts';
import { oidcConsumedKey, oidcGrantIndexKey, oidcRecordKey } from '../../src/store/keys.ts';
import { bothStores, useStore } from '../helpers/both-stores.ts';

// Records of the release before this one (41c2213), written by hand as it wrote them (copied from
// what it left in Redis), live on after a deploy for their lifetimes: refresh tokens 30 days,
// grants a year. That release kept every token of a grant in the grant's one index, a used refresh
// token whole (and in that index) with its mark beside it for the token's whole life, and gave an
// access token no auth_time. This release must refresh, refuse and revoke them (README "Rolling upgrades").
describe.each(bothStores('adapter-previous-release'))('records of the previous release, read by this adapter on the %s store', (_name, makeStore) => {
  const subject = useStore(makeStore);
  const adapter = (model: string) => new (createStoreAdapterClass(subject.store!))(model);
  const now = Math.floor(Date.now() / 1000);

  /** As 41c2213's adapter saved a token: the whole payload, and its key in the grant's one index. */
  async function savedByPreviousRelease(model: string, id: string, payload: Record<string, unknown>, ttl: number) {
    const key = oidcRecordKey(model, id);
    await subject.store!.addToIndex(oidcGrantIndexKey(payload.grantId as string), key, ttl);
    await subject.store!.set(key, { ...payload, kind: model, jti: id }, ttl);
  }
  const refreshToken = (grantId: string) => ({
    iat: now - 600, exp: now + 3000, accountId: 'acc', acr: 'urn:sesame:acr:email', amr: ['email'], authTime: now - 600, claims: { id_token: { auth_time: { essential: true } } },
    iiat: now - 600, grantId, gty: 'authorization_code', nonce: 'n', scope: 'openid email offline_access', sessionUid: 'su', clientId: 'first-party-spa',
  });
  /** As 41c2213 used a refresh token: its mark beside the whole record, for the token's whole life; the record stays in the index. */
  async function usedByPreviousRelease(id: string) {
    await subject.store!.set(oidcConsumedKey('RefreshToken', id), now - 60, 3000);
  }

  it('a grant whose tokens are all in its one index, a used refresh token among them: revoking it here ends every one', async () => {
    await savedByPreviousRelease('AuthorizationCode', 'code-old', { iat: now, exp: now + 60, accountId: 'acc', grantId: 'g-old', clientId: 'first-party-spa' }, 60);
    await savedByPreviousRelease('AccessToken', 'at-old', { iat: now, exp: now + 600, accountId: 'acc', grantId: 'g-old', gty: 'authorization_code', clientId: 'first-party-spa', scope: 'openid' }, 600);
    await savedByPreviousRelease('RefreshToken', 'rt-used', refreshToken('g-old'), 3000);
    await usedByPreviousRelease('rt-used');
    await savedByPreviousRelease('RefreshToken', 'rt-live', { ...refreshToken('g-old'), rotations: 1 }, 3000);
    await savedByPreviousRelease('AccessToken', 'at-other', { iat: now, exp: now + 600, accountId: 'acc', grantId: 'g-other', clientId: 'first-party-spa' }, 600);

    await adapter('RefreshToken').revokeByGrantId('g-old');
    for (const [model, id] of [['AuthorizationCode', 'code-old'], ['AccessToken', 'at-old'], ['RefreshToken', 'rt-used'], ['RefreshToken', 'rt-live']] as const) {
      expect(await adapter(model).find(id)).toBeUndefined();
    }
    expect(await subject.store!.get(oidcConsumedKey('RefreshToken', 'rt-used'))).toBeUndefined();
    expect(await subject.store!.readIndex(oidcGrantIndexKey('g-old'))).toEqual([]);
    expect(await adapter('AccessToken').find('at-other')).toBeDefined();
  });

  it('a refresh token it used (whole, with its mark) is found used here, and cannot be used again', async () => {
    await savedByPreviousRelease('RefreshToken', 'rt-used', refreshToken('g-used'), 3000);
    await usedByPreviousRelease('rt-used');
    const refresh = adapter('RefreshToken');
    expect(await refresh.find('rt-used')).toMatchObject({ jti: 'rt-used', kind: 'RefreshToken', grantId: 'g-used', consumed: now - 60 });
    await expect(refresh.consume('rt-used')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a live refresh token it issued, used here: kept as this release keeps a used one, out of the grant\'s index, which keeps its other tokens', async () => {
    await savedByPreviousRelease('AccessToken', 'at-old', { iat: now, exp: now + 600, accountId: 'acc', grantId: 'g-live', clientId: 'first-party-spa' }, 600);
    await savedByPreviousRelease('RefreshToken', 'rt-live', refreshToken('g-live'), 3000);
    const refresh = adapter('RefreshToken');
    await refresh.consume('rt-live');
    expect(await refresh.find('rt-live')).toMatchObject({ jti: 'rt-live', grantId: 'g-live', authTime: now - 600, consumed: expect.any(Number) });
    expect(await subject.store!.readIndex(oidcGrantIndexKey('g-live'))).toEqual([oidcRecordKey('AccessToken', 'at-old')]);
    await refresh.revokeByGrantId('g-live');
    expect(await adapter('AccessToken').find('at-old')).toBeUndefined();
  });
});
