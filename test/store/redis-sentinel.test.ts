import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSentinel, type StartedSentinel } from '../helpers/redis-cluster.ts';
import { countKeysWithPrefix, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Sesame finds its Redis through a real Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME).

let master: StartedRedis;
let sentinel: StartedSentinel;
let smtp: SmtpSink;
let sesame: RunningSesame;
const prefix = uniquePrefix('sentinel');

beforeAll(async () => {
  // Its own server even when REDIS_URL is set: Sentinel must be told where the master is.
  master = await startRedis(['--protected-mode', 'no']);
  sentinel = await startSentinel(master.port);
  smtp = await startSmtpSink();
  sesame = await startSesame({ redis: { url: undefined, sentinels: sentinel.sentinels, sentinelName: sentinel.masterName }, keyPrefix: prefix, smtpUrl: smtp.url });
});

afterAll(async () => {
  await sesame?.close();
  await smtp?.stop();
  await sentinel?.stop();
  await master?.stop();
});

describe('Sesame through Redis Sentinel', () => {
  it('signs in, with its data and its mail queue on the master the Sentinel names', async () => {
    const rp = await startRelyingParty(sesame.url);
    const { tokens } = await signInWithCode({ rp, smtp }, 'sentinel@example.com');
    expect(tokens.claims()!.email).toBe('sentinel@example.com');
    const direct = new Redis(master.url);
    try {
      expect(await countKeysWithPrefix(direct, prefix)).toBeGreaterThan(0);
      expect(await countKeysWithPrefix(direct, `{${prefix}mail}`)).toBeGreaterThan(0);
    } finally {
      direct.disconnect();
    }
  });
});

/**
 * A master with one replica and a Sentinel watching them, each in a directory of its own (replication
 * goes through an RDB snapshot on disk), and a Sesame connected through the Sentinel; all stopped
 * after the describe's tests.
 */
function useSentinelPair(name: string) {
  const pair = {} as { oldMaster: StartedRedis; replica: StartedRedis; watcher: StartedSentinel; sesame: RunningSesame };
  const keyPrefix = uniquePrefix(name);
  const dir = mkdtempSync(join(tmpdir(), 'sesame-failover-'));
  beforeAll(async () => {
    pair.oldMaster = await startRedis(['--protected-mode', 'no', '--dir', dir, '--dbfilename', 'master.rdb']);
    pair.replica = await startRedis(['--protected-mode', 'no', '--dir', dir, '--dbfilename', 'replica.rdb', '--replicaof', '127.0.0.1', String(pair.oldMaster.port)]);
    // The replica's first sync (an RDB over the link) can take seconds on a loaded machine; until
    // its link is up, WAIT would count no replica at all.
    await replicaLinkUp(pair.replica.url);
    pair.watcher = await startSentinel(pair.oldMaster.port, { downAfterMs: 500 });
    pair.sesame = await startSesame({ redis: { url: undefined, sentinels: pair.watcher.sentinels, sentinelName: pair.watcher.masterName }, keyPrefix, smtpUrl: smtp.url });
  });
  afterAll(async () => {
    await pair.sesame?.close();
    await pair.watcher?.stop();
    await pair.replica?.stop();
    await pair.oldMaster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return pair;
}

describe('Redis Sentinel failover', () => {
  const pair = useSentinelPair('failover');

  it('goes on signing in on the replica the Sentinel promotes when the master dies, with what was written before', async () => {
    const rp = await startRelyingParty(pair.sesame.url);
    const before = await signInWithCode({ rp, smtp }, 'before-failover@example.com');
    const subject = before.tokens.claims()!.sub;
    // The account must have reached the replica before the master goes (replication is asynchronous).
    const direct = new Redis(pair.oldMaster.url);
    try {
      expect(await direct.wait(1, 10_000)).toBe(1);
    } finally {
      direct.disconnect();
    }
    await pair.oldMaster.stop();

    // While the Sentinel notices and promotes, a sign-in may be refused (503); then it works again.
    const deadline = Date.now() + 20_000;
    let after: Awaited<ReturnType<typeof signInWithCode>> | undefined;
    while (!after) {
      try {
        after = await signInWithCode({ rp, smtp }, 'before-failover@example.com');
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    // The same account (read from the promoted replica), not a new one.
    expect(after.tokens.claims()!.sub).toBe(subject);
    const promoted = new Redis(pair.replica.url);
    try {
      expect((await promoted.info('replication')).includes('role:master')).toBe(true);
    } finally {
      promoted.disconnect();
    }
  }, 40_000);
});

describe('Redis Sentinel failover with the old master alive (SENTINEL FAILOVER, as for maintenance)', () => {
  const pair = useSentinelPair('planned-failover');

  // The old master stays up and becomes a replica: connections to it answer READONLY to writes
  // unless they move. Sesame must end up on the new master, ready, without a restart.
  it('moves to the promoted replica by itself, with what was written before', async () => {
    const rp = await startRelyingParty(pair.sesame.url);
    const before = await signInWithCode({ rp, smtp }, 'planned@example.com');
    const direct = new Redis(pair.oldMaster.url);
    const sentinelClient = new Redis(pair.watcher.sentinels[0]!.port, '127.0.0.1');
    const promoted = new Redis(pair.replica.url);
    try {
      expect(await direct.wait(1, 10_000)).toBe(1);
      await sentinelClient.call('SENTINEL', 'FAILOVER', pair.watcher.masterName);
      const promotedBy = Date.now() + 20_000;
      while (!/role:master/.test(await promoted.info('replication'))) {
        if (Date.now() > promotedBy) throw new Error('the Sentinel did not promote the replica');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      direct.disconnect();
      sentinelClient.disconnect();
      promoted.disconnect();
    }
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${pair.sesame.url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('Sesame did not become ready on the new master');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    let after: Awaited<ReturnType<typeof signInWithCode>> | undefined;
    while (!after) {
      try {
        after = await signInWithCode({ rp, smtp }, 'planned@example.com');
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(after.tokens.claims()!.sub).toBe(before.tokens.claims()!.sub);
  }, 60_000);
});

async function replicaLinkUp(url: string, timeoutMs = 20_000) {
  const client = new Redis(url);
  try {
    const deadline = Date.now() + timeoutMs;
    while (!/master_link_status:up/.test(await client.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`the replica at ${url} did not sync with its master within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.disconnect();
  }
}
