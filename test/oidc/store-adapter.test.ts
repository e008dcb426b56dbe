import { describe, expect, it } from '@jest/globals';
import { createStoreAdapterClass, DeviceCodeRevoked, EXPIRED_DEVICE_CODE_KEPT_SECONDS, REPLAY_KEPT_SECONDS } from '../../src/oidc/store-adapter.ts';
import { accountSessionsIndex, addToAccountSessions } from '../../src/oidc/account-sessions-index.ts';
import { accountOfflineGrantsIndex } from '../../src/oidc/account-offline-grants-index.ts';
import { oidcAccountOfflineGrantsKey, oidcAccountSessionsKey, oidcConsumedKey, oidcGrantIndexKey, oidcRecordKey, oidcUserCodeKey } from '../../src/store/keys.ts';
import { CONSUMED_MARK_KEPT_SECONDS } from '../../src/oidc/consumed-refresh-token.ts';
import { bothStores, useStore } from '../helpers/both-stores.ts';

describe.each(bothStores('adapter'))('oidc-provider adapter on the %s store', (_name, makeStore) => {
  const subject = useStore(makeStore);
  const adapter = (model: string) => new (createStoreAdapterClass(subject.store!))(model);

  it('upserts and finds a payload; destroy removes it', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { accountId: 'a', uid: 'u1' }, 60);
    expect(await sessions.find('s1')).toMatchObject({ accountId: 'a' });
    expect(await sessions.findByUid('u1')).toMatchObject({ accountId: 'a' });
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
    expect(await sessions.findByUid('u1')).toBeUndefined();
  });

  it('keeps the ids of an account\'s signed-in sessions, for a sign-out everywhere, as long as the sessions live', async () => {
    const sessions = adapter('Session');
    const index = accountSessionsIndex(subject.store!, { sessionSeconds: 600 });
    // Not yet signed in: nobody's session.
    await sessions.upsert('s-anon', { uid: 'u-anon' }, 60);
    await sessions.upsert('s-a', { accountId: 'acc-1', uid: 'u-a' }, 600);
    await sessions.upsert('s-b', { accountId: 'acc-1', uid: 'u-b' }, 60);
    await sessions.upsert('s-other', { accountId: 'acc-2', uid: 'u-other' }, 60);
    expect((await index.read('acc-1')).sort()).toEqual(['s-a', 's-b']);
    const today = oidcAccountSessionsKey('acc-1', Math.floor(Date.now() / 86_400_000));
    expect(await subject.store!.ttlSeconds(today)).toBeGreaterThan(590);
    // A new id for the same browser (oidc-provider's resetIdentifier at sign-in): destroy the old, save the new.
    await sessions.destroy('s-b');
    await sessions.upsert('s-b2', { accountId: 'acc-1', uid: 'u-b' }, 60);
    expect((await index.read('acc-1')).sort()).toEqual(['s-a', 's-b2']);
    expect(await index.read('acc-2')).toEqual(['s-other']);
    await index.forget('acc-1', ['s-a', 's-b2']);
    expect(await index.read('acc-1')).toEqual([]);
  });

  it('keeps a day\'s sessions in a set of that day, gone with them: an account that signs in all the time does not grow it without end', async () => {
    const DAY = 86_400_000;
    const day = Math.floor(Date.now() / DAY);
    // Sessions of a day long ago (saved then with their lifetime): that day's set is what holds them.
    const longAgo = (day - 40) * DAY;
    await addToAccountSessions(subject.store!, 'acc-busy', 's-old', 0.05, longAgo);
    await addToAccountSessions(subject.store!, 'acc-busy', 's-new', 600);
    // Read on the day itself, it is there; the set expires with its session.
    expect(await accountSessionsIndex(subject.store!, { sessionSeconds: 86_400, now: () => longAgo }).read('acc-busy')).toEqual(['s-old']);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await subject.store!.readIndex(oidcAccountSessionsKey('acc-busy', day - 40))).toEqual([]);
    // Today's reader looks back only as far as a session can live (one day here, so today and yesterday).
    expect(await accountSessionsIndex(subject.store!, { sessionSeconds: 86_400 }).read('acc-busy')).toEqual(['s-new']);
  });

  it('finds a session saved by a process whose clock is ahead, in the next day\'s set, before the reader\'s own day has turned', async () => {
    const DAY = 86_400_000;
    const midnight = (Math.floor(Date.now() / DAY) + 1) * DAY;
    // One process saves two seconds before midnight by the reader's clock; its own clock runs five seconds ahead.
    await addToAccountSessions(subject.store!, 'acc-skew', 's-ahead', 600, midnight - 2_000 + 5_000);
    const index = accountSessionsIndex(subject.store!, { sessionSeconds: 600, now: () => midnight - 2_000 });
    expect(await index.read('acc-skew')).toEqual(['s-ahead']);
    // And a sign-out everywhere read by that clock takes it out of the index.
    await index.forget('acc-skew', ['s-ahead']);
    expect(await subject.store!.readIndex(oidcAccountSessionsKey('acc-skew', Math.floor(midnight / DAY)))).toEqual([]);
  });

  it('finds a session saved by a process whose clock is behind, in the previous day\'s set, for as long as the session lives', async () => {
    const DAY = 86_400_000;
    const nextMidnight = (Math.floor(Date.now() / DAY) + 1) * DAY;
    // Saved two seconds after a midnight by a process whose clock runs five seconds behind: its
    // entry is in the day before, and the session lives a whole day from then.
    await addToAccountSessions(subject.store!, 'acc-behind', 's-behind', 600, nextMidnight - DAY + 2_000 - 5_000);
    // Read a second after the next midnight, before the session's day is over.
    const index = accountSessionsIndex(subject.store!, { sessionSeconds: 86_400, now: () => nextMidnight + 1_000 });
    expect(await index.read('acc-behind')).toEqual(['s-behind']);
  });

  it('keeps the ids of an account\'s grants that give offline access, for "Apps with access", and no others', async () => {
    const grants = adapter('Grant');
    await grants.upsert('g-offline', { accountId: 'acc-apps', clientId: 'app', openid: { scope: 'openid email offline_access' } }, 600);
    await grants.upsert('g-online', { accountId: 'acc-apps', clientId: 'app', openid: { scope: 'openid email' } }, 600);
    await grants.upsert('g-other', { accountId: 'acc-other', clientId: 'app', openid: { scope: 'openid offline_access' } }, 600);
    const index = accountOfflineGrantsIndex(subject.store!, { grantSeconds: 365 * 86_400 });
    expect(await index.read('acc-apps')).toEqual(['g-offline']);
    expect(await index.read('acc-other')).toEqual(['g-other']);
    // The period's set lives as long as the grant saved into it.
    const period = Math.floor(Date.now() / 1000 / (30 * 86_400));
    expect(await subject.store!.ttlSeconds(oidcAccountOfflineGrantsKey('acc-apps', period))).toBeGreaterThan(590);
  });

  it('consume() marks once: the second and any concurrent consume throw invalid_grant', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1', accountId: 'a' }, 60);
    await codes.consume('c1');
    expect((await codes.find('c1'))!.consumed).toBeDefined();
    await expect(codes.consume('c1')).rejects.toMatchObject({ error: 'invalid_grant' });

    await codes.upsert('c2', { grantId: 'g1' }, 60);
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => codes.consume('c2')));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('consume() used twice at once: the loser revokes the grant and reports it (onRaceRevoked), with the record used twice', async () => {
    const reported: [string, unknown][] = [];
    const Adapter = createStoreAdapterClass(subject.store!, { onRaceRevoked: (model, payload) => reported.push([model, payload]) });
    const tokens = new Adapter('RefreshToken');
    await new Adapter('Grant').upsert('g-race', { accountId: 'acc-race', clientId: 'app' }, 60);
    await tokens.upsert('rt-race', { grantId: 'g-race', accountId: 'acc-race', clientId: 'app' }, 60);
    const outcomes = await Promise.allSettled([tokens.consume('rt-race'), tokens.consume('rt-race')]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(reported).toEqual([['RefreshToken', expect.objectContaining({ grantId: 'g-race', accountId: 'acc-race', clientId: 'app' })]]);
    expect(await new Adapter('Grant').find('g-race')).toBeUndefined();
    // One after the other, the library sees the token consumed and revokes it itself: not reported here.
    await tokens.upsert('rt-later', { grantId: 'g-later', accountId: 'acc-race', clientId: 'app' }, 60);
    await tokens.consume('rt-later');
    expect(reported).toHaveLength(1);
  });

  it('ReplayDetection: of concurrent look-ups of one jti exactly one finds nothing, and the library\'s save keeps it seen', async () => {
    const seen = adapter('ReplayDetection');
    const found = await Promise.all(Array.from({ length: 30 }, () => seen.find('jti-1')));
    expect(found.filter((payload) => payload === undefined)).toHaveLength(1);
    // What the library writes after a first sighting (ReplayDetection.unique): kept for its own
    // lifetime, and at least as long as a DPoP proof stays acceptable (REPLAY_KEPT_SECONDS).
    await seen.upsert('jti-2', { jti: 'jti-2', iss: 'client' }, 300);
    expect(await seen.find('jti-2')).toBeDefined();
    expect(await subject.store!.ttlSeconds(oidcRecordKey('ReplayDetection', 'jti-2'))).toBeGreaterThan(REPLAY_KEPT_SECONDS - 5);
    expect(await subject.store!.ttlSeconds(oidcRecordKey('ReplayDetection', 'jti-2'))).toBeLessThanOrEqual(REPLAY_KEPT_SECONDS);
    await seen.upsert('jti-3', { jti: 'jti-3', iss: 'client' }, 3600);
    expect(await subject.store!.ttlSeconds(oidcRecordKey('ReplayDetection', 'jti-3'))).toBeGreaterThan(3600 - 5);
  });

  it('consume() of an expired or missing record fails instead of creating one', async () => {
    const codes = adapter('AuthorizationCode');
    await expect(codes.consume('never')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await codes.find('never')).toBeUndefined();
  });

  it('revokeByGrantId() deletes every token of the grant, of every model, and nothing else', async () => {
    const access = adapter('AccessToken');
    const refresh = adapter('RefreshToken');
    await access.upsert('at1', { grantId: 'g-revoke' }, 60);
    await refresh.upsert('rt1', { grantId: 'g-revoke' }, 600);
    await refresh.consume('rt1');
    await access.upsert('at2', { grantId: 'g-other' }, 60);
    // Short-lived: indexed by the hour it was issued in, not in the grant's own index, which an app's
    // refreshes keep alive (oidc/grant-index.ts); revoking the grant finds it there.
    expect(await subject.store!.readIndex(oidcGrantIndexKey('g-revoke'))).toEqual([oidcRecordKey('RefreshToken', 'rt1')]);
    await access.revokeByGrantId('g-revoke');
    expect(await access.find('at1')).toBeUndefined();
    expect(await refresh.find('rt1')).toBeUndefined();
    expect(await access.find('at2')).toBeDefined();
  });

  it('consume() of a refresh token keeps only what reuse detection reads, until it would have expired, and takes it out of the grant\'s index', async () => {
    const refresh = adapter('RefreshToken');
    const now = Math.floor(Date.now() / 1000);
    const token = {
      jti: 'rt-used', kind: 'RefreshToken', iat: now, exp: now + 3600, clientId: 'app', accountId: 'acc', grantId: 'g-used', iiat: now - 60, scope: 'openid offline_access',
      sessionUid: 'su', claims: { id_token: { email: null } }, nonce: 'n', acr: 'urn:sesame:acr:email', amr: ['email'], authTime: now - 60, gty: 'authorization_code', rotations: 3,
    };
    await refresh.upsert('rt-used', token, 3600);
    await refresh.consume('rt-used');
    // Found as the library needs it to refuse it and revoke the grant: used, its grant, account, client,
    // scope, and the sign-in it stands on (findAccount weighs it against the account's sign-outs).
    const found = await refresh.find('rt-used');
    expect(found).toEqual({ jti: 'rt-used', kind: 'RefreshToken', iat: now, exp: now + 3600, clientId: 'app', accountId: 'acc', grantId: 'g-used', iiat: now - 60, authTime: now - 60, scope: 'openid offline_access', consumed: expect.any(Number) });
    expect(await subject.store!.ttlSeconds(oidcRecordKey('RefreshToken', 'rt-used'))).toBeGreaterThan(3500);
    expect(await subject.store!.ttlSeconds(oidcConsumedKey('RefreshToken', 'rt-used'))).toBeLessThanOrEqual(CONSUMED_MARK_KEPT_SECONDS);
    expect(await subject.store!.readIndex(oidcGrantIndexKey('g-used'))).toEqual([]);
    // Still used once only.
    await expect(refresh.consume('rt-used')).rejects.toMatchObject({ error: 'invalid_grant' });
    // Its separate mark gone (after CONSUMED_MARK_KEPT_SECONDS), the record itself still says it was used.
    await subject.store!.delete(oidcConsumedKey('RefreshToken', 'rt-used'));
    expect(await refresh.find('rt-used')).toMatchObject({ consumed: expect.any(Number) });
  });

  it('findByUserCode() finds device codes by the normalised user code the library stores', async () => {
    const devices = adapter('DeviceCode');
    await devices.upsert('d1', { userCode: 'BCDFGHJK' }, 60);
    expect(await devices.findByUserCode('BCDFGHJK')).toMatchObject({ userCode: 'BCDFGHJK' });
  });

  it('findByUserCode() of a device code revoked with its grant says so, rather than finding nothing', async () => {
    const devices = adapter('DeviceCode');
    await devices.upsert('d-revoked', { userCode: 'QRSTVWXZ', grantId: 'g-device', accountId: 'acc' }, 60);
    await devices.revokeByGrantId('g-device');
    await expect(devices.findByUserCode('QRSTVWXZ')).rejects.toBeInstanceOf(DeviceCodeRevoked);
  });

  it('findByUserCode() looks nothing up for a code Sesame never issues', async () => {
    const devices = adapter('DeviceCode');
    // Stored by hand under a shape outside the base-20 alphabet: typed, it is still not found.
    await devices.upsert('d2', { userCode: 'ABCDEFGH' }, 60);
    expect(await devices.findByUserCode('ABCDEFGH')).toBeUndefined();
    expect(await devices.findByUserCode('BCDFGHJK'.repeat(100))).toBeUndefined();
  });

  it('keeps a device code an hour past its expiry, so that typing it or polling for it can be told it expired', async () => {
    const devices = adapter('DeviceCode');
    await devices.upsert('d3', { userCode: 'ZXWVTSRQ' }, 60);
    expect(await subject.store!.ttlSeconds(oidcRecordKey('DeviceCode', 'd3'))).toBeGreaterThan(60 + EXPIRED_DEVICE_CODE_KEPT_SECONDS - 5);
    expect(await subject.store!.ttlSeconds(oidcUserCodeKey('ZXWVTSRQ'))).toBeGreaterThan(60 + EXPIRED_DEVICE_CODE_KEPT_SECONDS - 5);
    // Other models are kept exactly as long as the library says.
    await adapter('AuthorizationCode').upsert('c1', {}, 60);
    expect(await subject.store!.ttlSeconds(oidcRecordKey('AuthorizationCode', 'c1'))).toBeLessThanOrEqual(60);
  });

  it('a save with no lifetime left (0 or less) expires at once: nothing of it stays, not even an earlier save', async () => {
    const tokens = adapter('AccessToken');
    await tokens.upsert('t-spent', { grantId: 'g-spent' }, 0);
    await tokens.upsert('t-late', { grantId: 'g-spent' }, -5);
    expect(await tokens.find('t-spent')).toBeUndefined();
    expect(await tokens.find('t-late')).toBeUndefined();
    // Saved again at its expiry: the earlier save, with its longer life, goes too.
    const sessions = adapter('Session');
    await sessions.upsert('s-spent', { accountId: 'acc-spent', uid: 'u-spent' }, 60);
    await sessions.upsert('s-spent', { accountId: 'acc-spent', uid: 'u-spent' }, 0);
    expect(await sessions.find('s-spent')).toBeUndefined();
    expect(await sessions.findByUid('u-spent')).toBeUndefined();
    expect(await subject.store!.ttlSeconds(oidcRecordKey('Session', 's-spent'))).toBeUndefined();
    // A device code is kept for the rest of its hour past expiry, and no longer.
    const devices = adapter('DeviceCode');
    await devices.upsert('d-expired', { userCode: 'QRSTVWXZ' }, -60);
    expect(await subject.store!.ttlSeconds(oidcRecordKey('DeviceCode', 'd-expired'))).toBeLessThanOrEqual(EXPIRED_DEVICE_CODE_KEPT_SECONDS - 60);
    await devices.upsert('d-long-gone', { userCode: 'BCDFGHJK' }, -EXPIRED_DEVICE_CODE_KEPT_SECONDS);
    expect(await devices.find('d-long-gone')).toBeUndefined();
  });

  it('a payload without expiry (e.g. a Grant without TTL) is kept', async () => {
    const grants = adapter('Grant');
    await grants.upsert('g-forever', { accountId: 'a' }, undefined);
    expect(await grants.find('g-forever')).toMatchObject({ accountId: 'a' });
  });
});
