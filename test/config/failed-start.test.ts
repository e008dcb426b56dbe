import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config-schema.ts';
import { freePort, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame } from '../helpers/start-sesame.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

// A Sesame whose start fails must leave nothing behind: a process embedding it, or a test, lives on
// and must not hold connections (and a jest worker must be able to exit).

let redis: StartedRedis;
let admin: Redis;
let smtp: SmtpSink;

beforeAll(async () => {
  // A Redis of this file's own even when REDIS_URL is set, so CLIENT LIST shows only what the Sesame left.
  redis = await startRedis([], { port: await freePort() });
  admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  await admin.ping(); // connected before any count: its connecting must not differ between two counts
  smtp = await startSmtpSink();
});

afterAll(async () => {
  admin?.disconnect();
  await smtp?.stop();
  await redis?.stop();
});

it.each<[string, Partial<Config>, string]>([
  ['an app registration oidc-provider rejects', { clients: [TEST_CLIENT, { ...TEST_CLIENT, client_id: 'broken-app', scope: '' }] }, 'scope must be a non-empty string'],
  ['no signing keys (none in Redis, no JWKS_FILE)', { jwks: { keys: [] } }, 'no signing keys'],
])('a start that fails on %s closes what it had opened: no connection stays on Redis, no handle in the process', async (_cause, config, message) => {
  const handlesBefore = activeHandles();
  await expect(startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, config })).rejects.toThrow(message);

  // A connection goes a moment after QUIT's answer, on Redis and in this process: wait for that, but not for ever.
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && ((await otherClients()).length > 0 || activeHandles() !== handlesBefore)) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(await otherClients()).toEqual([]);
  expect(activeHandles()).toBe(handlesBefore);
});

it('a start whose mail worker cannot connect (Redis full) closes that connection too, and the others', async () => {
  // Room for this test's connection and the store's, none for the mail worker's.
  await admin.config('SET', 'maxclients', '2');
  try {
    const handlesBefore = activeHandles();
    await expect(startSesame({ redisUrl: redis.url, smtpUrl: smtp.url })).rejects.toThrow();
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && ((await otherClients()).length > 0 || activeHandles() !== handlesBefore)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await otherClients()).toEqual([]);
    expect(activeHandles()).toBe(handlesBefore);
  } finally {
    await admin.config('SET', 'maxclients', '10000');
  }
});

/** CLIENT LIST lines of every connection but the test's own. */
async function otherClients(): Promise<string[]> {
  const adminId = Number(await admin.client('ID'));
  return String(await admin.client('LIST'))
    .split('\n')
    .filter((line) => line.startsWith('id=') && !line.startsWith(`id=${adminId} `));
}

/** What keeps this process alive (sockets, servers, timers, child processes) but its stdio, sorted, as one comparable string. */
function activeHandles(): string {
  return process
    .getActiveResourcesInfo()
    .filter((type) => type !== 'TTYWrap' && type !== 'PipeWrap')
    .sort()
    .join(',');
}
