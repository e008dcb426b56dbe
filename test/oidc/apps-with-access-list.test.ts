import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { accountOfflineGrantsIndex, addToAccountOfflineGrants, MISSING_GRANT_GRACE_SECONDS } from '../../src/oidc/account-offline-grants-index.ts';
import { createAppsWithAccessList } from '../../src/oidc/apps-with-access.ts';
import { fixedClients } from '../../src/oidc/client-registry.ts';
import { createStoreAdapterClass } from '../../src/oidc/store-adapter.ts';
import { oidcAccountOfflineGrantMissingKey, oidcRecordKey } from '../../src/store/keys.ts';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { createRedisStore } from '../../src/store/redis-store.ts';
import { bothStores, useStore, type StoreFactory } from '../helpers/both-stores.ts';
import { startRedisCluster, type StartedCluster } from '../helpers/redis-cluster.ts';
import { deleteKeysWithPrefix, uniquePrefix } from '../helpers/redis.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

// "Apps with access" reads an account's index of offline grants, then the grants' records, and
// forgets the entries of grants that have ended. The adapter writes a grant's entry just before its
// record (store-adapter.ts upsert), so a list can read the entry of a grant being made and find no
// record yet. Here that moment is held open: the entry is written, the list read, then the record.

let cluster: StartedCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

// On a Cluster too: the index, its marks and the grant records live in different slots.
const onCluster: StoreFactory = async () => {
  const client = createRedisClient({ url: undefined, clusterNodes: cluster!.nodes, keyPrefix: '' }, { policy: 'fail-fast', connectionName: 'test:apps-list' }) as Cluster;
  await client.connect();
  const prefix = uniquePrefix('apps-list-cluster');
  const store = createRedisStore(client, { prefix });
  return {
    store,
    async cleanup() {
      if (client.status === 'ready') await deleteKeysWithPrefix(client, prefix);
      await store.close();
    },
  };
};

const GRANT_SECONDS = 365 * 86_400;

describe.each([...bothStores('apps-list'), ['redis cluster', onCluster] as [string, StoreFactory]])('apps with access on the %s store', (_name, makeStore) => {
  const subject = useStore(makeStore);
  const listAt = (nowMs: number) =>
    createAppsWithAccessList({ store: subject.store!, sessionSeconds: 3600, grantSeconds: GRANT_SECONDS, clients: fixedClients([TEST_CLIENT]), now: () => nowMs });
  const list = () => listAt(Date.now());
  const indexed = (accountId: string) => accountOfflineGrantsIndex(subject.store!, { grantSeconds: GRANT_SECONDS }).read(accountId);

  /**
   * The adapter's second write of a grant (its record: the first is its index entry), and the
   * refresh token its app then gets for it.
   */
  async function writeGrantRecord(accountId: string, grantId: string, grant: Record<string, unknown> = {}, refreshToken: Record<string, unknown> = {}) {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const record = { accountId, clientId: TEST_CLIENT.client_id, openid: { scope: 'openid email offline_access' }, iat: nowSeconds, exp: nowSeconds + 3600, ...grant };
    await subject.store!.set(oidcRecordKey('Grant', grantId), record, 3600);
    await new (createStoreAdapterClass(subject.store!))('RefreshToken').upsert(`rt-${grantId}`, { accountId, clientId: record.clientId, grantId, ...refreshToken }, 3600);
  }

  it('a list read between a grant\'s index entry and its record keeps the entry: the app is listed, and found by "Remove access", once its record is written', async () => {
    // The adapter's first write of a grant being made at sign-in; its record is not there yet.
    await addToAccountOfflineGrants(subject.store!, 'acc-racing', 'g-being-made', 3600);
    expect(await list().list({ id: 'acc-racing', email: 'someone@example.com' })).toEqual([]);
    expect(await indexed('acc-racing')).toEqual(['g-being-made']);
    // Its second write: the record. The app then exchanges its code for a refresh token.
    await writeGrantRecord('acc-racing', 'g-being-made');
    expect((await list().list({ id: 'acc-racing', email: 'someone@example.com' })).map((app) => [app.clientId, app.offline])).toEqual([[TEST_CLIENT.client_id, true]]);
    expect((await list().grantsOf('acc-racing')).map((grant) => grant.id)).toEqual(['g-being-made']);
  });

  it('forgets an entry whose grant record is missing only once it was found missing a grace period before, then leaves nothing behind', async () => {
    const firstRead = Date.now();
    // A grant that ended (expired or revoked: its record is gone), or whose record was never written.
    await addToAccountOfflineGrants(subject.store!, 'acc-dangling', 'g-gone', 3600);
    await listAt(firstRead).grantsOf('acc-dangling');
    await listAt(firstRead + (MISSING_GRANT_GRACE_SECONDS - 1) * 1000).grantsOf('acc-dangling');
    expect(await indexed('acc-dangling')).toEqual(['g-gone']);
    await listAt(firstRead + MISSING_GRANT_GRACE_SECONDS * 1000).grantsOf('acc-dangling');
    expect(await indexed('acc-dangling')).toEqual([]);
    expect(await subject.store!.get(oidcAccountOfflineGrantMissingKey('acc-dangling', 'g-gone'))).toBeUndefined();
  });

  it('a grant found missing while being made, then made, is listed however late the list is read', async () => {
    const firstRead = Date.now();
    await addToAccountOfflineGrants(subject.store!, 'acc-late', 'g-made', 3600);
    await listAt(firstRead).grantsOf('acc-late');
    await writeGrantRecord('acc-late', 'g-made');
    expect((await listAt(firstRead + 2 * MISSING_GRANT_GRACE_SECONDS * 1000).grantsOf('acc-late')).map((grant) => grant.id)).toEqual(['g-made']);
    expect(await indexed('acc-late')).toEqual(['g-made']);
  });

  it('lists only what an app can use by its registration now, and still finds the rest for "Remove access"', async () => {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const clients: ClientRegistration[] = [
      { ...TEST_CLIENT, client_id: 'staff-tool', allowed_email_domains: ['corp.example'] },
      { ...TEST_CLIENT, client_id: 'rekeyed-app', tokens_not_before: new Date((nowSeconds - 60) * 1000).toISOString() },
    ];
    const listFor = (email: string) => createAppsWithAccessList({ store: subject.store!, sessionSeconds: 3600, grantSeconds: GRANT_SECONDS, clients: fixedClients(clients) }).list({ id: 'acc-rules', email });
    for (const grantId of ['g-staff', 'g-rekeyed']) await addToAccountOfflineGrants(subject.store!, 'acc-rules', grantId, 3600);
    await writeGrantRecord('acc-rules', 'g-staff', { clientId: 'staff-tool' }, { iat: nowSeconds });
    // Refreshed since the cutoff, but its chain began before it: refused (find-account.ts).
    await writeGrantRecord('acc-rules', 'g-rekeyed', { clientId: 'rekeyed-app' }, { iiat: nowSeconds - 600, iat: nowSeconds });
    // The staff tool refuses every token of an address elsewhere; the other app's is from before its cutoff.
    expect(await listFor('someone@home.example')).toEqual([]);
    expect((await listFor('someone@corp.example')).map((app) => app.clientId)).toEqual(['staff-tool']);
    // What the app got since its cutoff counts.
    await addToAccountOfflineGrants(subject.store!, 'acc-rules', 'g-rekeyed-since', 3600);
    await writeGrantRecord('acc-rules', 'g-rekeyed-since', { clientId: 'rekeyed-app' }, { iat: nowSeconds });
    expect((await listFor('someone@home.example')).map((app) => [app.clientId, app.offline, app.scopes])).toEqual([['rekeyed-app', true, ['email', 'offline_access']]]);
    // Removing access still reaches every grant the app holds, usable or not.
    const grants = await createAppsWithAccessList({ store: subject.store!, sessionSeconds: 3600, grantSeconds: GRANT_SECONDS, clients: fixedClients(clients) }).grantsOf('acc-rules');
    expect(grants.map((grant) => grant.id).sort()).toEqual(['g-rekeyed', 'g-rekeyed-since', 'g-staff']);
  });

  it('forgets at once an entry whose grant record is there but has ended, or is another account\'s', async () => {
    for (const grantId of ['g-expired', 'g-not-mine']) await addToAccountOfflineGrants(subject.store!, 'acc-ended', grantId, 3600);
    await writeGrantRecord('acc-ended', 'g-expired', { exp: Math.floor(Date.now() / 1000) - 1 });
    await writeGrantRecord('acc-ended', 'g-not-mine', { accountId: 'acc-someone-else' });
    expect(await list().list({ id: 'acc-ended', email: 'someone@example.com' })).toEqual([]);
    expect(await indexed('acc-ended')).toEqual([]);
  });
});
