import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { createRedisStore } from '../../src/store/redis-store.ts';
import { storeContract } from '../contract/store.contract.ts';
import { startRedisCluster, type StartedCluster } from '../helpers/redis-cluster.ts';
import { deleteKeysWithPrefix, deleteSesameKeys, uniquePrefix } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { signInWithCode, signInWithCodeAt, signInWithLink } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// A real 3-master Redis Cluster: every multi-key command Sesame (or BullMQ) sends must stay in one
// hash slot, or Redis answers CROSSSLOT and these tests fail.

let cluster: StartedCluster;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
});

afterAll(async () => {
  await cluster?.stop();
});

async function connectCluster(): Promise<Cluster> {
  const client = createRedisClient({ url: undefined, clusterNodes: cluster.nodes, keyPrefix: '' }, { policy: 'fail-fast', connectionName: 'test:cluster' }) as Cluster;
  await client.connect();
  return client;
}

storeContract('redis cluster', async () => {
  const client = await connectCluster();
  const prefix = uniquePrefix('cluster-contract');
  const store = createRedisStore(client, { prefix });
  return {
    store,
    async cleanup() {
      if (client.status === 'ready') await deleteKeysWithPrefix(client, prefix);
      await store.close();
    },
  };
});

describe('Sesame on a Redis Cluster', () => {
  let smtp: SmtpSink;
  let sesame: RunningSesame;
  const prefix = uniquePrefix('cluster-e2e');

  beforeAll(async () => {
    smtp = await startSmtpSink();
    sesame = await startSesame({ redis: { url: undefined, clusterNodes: cluster.nodes }, keyPrefix: prefix, smtpUrl: smtp.url });
  });

  afterAll(async () => {
    await sesame?.close();
    const client = await connectCluster();
    await deleteSesameKeys(client, prefix);
    client.disconnect();
    await smtp?.stop();
  });

  it('signs in with the code and the link, mail through the durable queue, refresh and revocation included', async () => {
    const rp = await startRelyingParty(sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'cluster@example.com');
    expect(tokens.claims()!.email).toBe('cluster@example.com');
    const { tokens: viaLink } = await signInWithLink({ rp, smtp }, 'cluster-link@example.com');
    expect(viaLink.claims()!.email).toBe('cluster-link@example.com');
    const { refreshTokenGrant, tokenRevocation } = await import('openid-client');
    const refreshed = await refreshTokenGrant(rp.config, tokens.refresh_token!);
    // Revoking the grant deletes keys of many hash tags (grant index, tokens): one command each.
    await tokenRevocation(rp.config, refreshed.refresh_token!);
    await expect(refreshTokenGrant(rp.config, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('moves an account to another address: the two address keys live in different slots, and no command spans them', async () => {
    const { browser } = await signInWithCodeAt({ smtp }, `${sesame.url}/account`, 'cluster-mover@example.com');
    const { page } = await requestEmailChange(sesame.url, browser, 'cluster-moved@example.com');
    const mail = await emailChangeCodeTo(smtp, 'cluster-moved@example.com');
    const done = await enterEmailChangeCode(sesame.url, browser, page, mail.code!);
    expect(done.url).toBe(`${sesame.url}/account?done=email-changed`);
    expect(await sesame.accounts.findByEmail('cluster-mover@example.com')).toBeUndefined();
    expect(await sesame.accounts.findByEmail('cluster-moved@example.com')).toMatchObject({ email: 'cluster-moved@example.com' });
  });

  it('spreads its keys over the masters (one hash tag per record, not one for everything)', async () => {
    const client = await connectCluster();
    try {
      const perMaster = await Promise.all(client.nodes('master').map(async (node) => (await node.keys(`${prefix}*`)).length));
      expect(perMaster.filter((count) => count > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      client.disconnect();
    }
  });
});
