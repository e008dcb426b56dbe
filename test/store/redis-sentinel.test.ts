import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
