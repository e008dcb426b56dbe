import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { Redis, type Cluster } from 'ioredis';
import { createLogger } from '../../src/logger.ts';
import { checkEvictionPolicy } from '../../src/store/eviction-policy.ts';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { startRedisCluster, type StartedCluster } from '../helpers/redis-cluster.ts';
import { freePort, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame } from '../helpers/start-sesame.ts';

// A Redis that evicts keys when full drops lockouts, replay guards and queued mail without a word;
// Sesame refuses to start on one unless told to (REDIS_ALLOW_EVICTION), and on a Redis that will
// not say (INFO refused: BullMQ needs it too). Each case needs a redis-server of its own: the policy is the whole server's.

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp?.stop();
});

function capturedLogger() {
  const lines: { level: number; msg: string }[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'warn', destination }), warnings: () => lines.filter((line) => line.level === 40).map((line) => line.msg) };
}

/** Clients on the server other than `admin` itself: what a failed start left behind. */
async function otherClients(admin: Redis): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  return list.split('\n').filter((line) => line && !line.includes('cmd=client|list'));
}

describe('a Redis whose maxmemory-policy evicts keys', () => {
  let redis: StartedRedis;
  let admin: Redis;
  beforeAll(async () => {
    redis = await startRedis(['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru'], { port: await freePort() });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('refuses the start, naming the policy and both ways out, and leaves no connection behind', async () => {
    const start = startSesame({ redisUrl: redis.url, smtpUrl: smtp.url });
    await expect(start).rejects.toThrow(/maxmemory-policy volatile-lru.*Set maxmemory-policy noeviction.*REDIS_ALLOW_EVICTION=true/);
    const deadline = Date.now() + 2000;
    while ((await otherClients(admin)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await otherClients(admin)).toEqual([]);
  });

  it('starts with REDIS_ALLOW_EVICTION, and warns', async () => {
    const { logger, warnings } = capturedLogger();
    const prefix = uniquePrefix('eviction-allowed');
    const sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, logger, config: { redis: { url: redis.url, keyPrefix: prefix, allowEviction: true } } });
    try {
      expect(warnings()).toContainEqual(expect.stringMatching(/evicts keys.*maxmemory-policy volatile-lru.*REDIS_ALLOW_EVICTION=true/));
      const rp = await startRelyingParty(sesame.url);
      expect((await signInWithCode({ rp, smtp }, 'evicting@example.com')).tokens.claims()!.email).toBe('evicting@example.com');
    } finally {
      await sesame.close();
    }
  });

  it('starts once the policy is noeviction', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const { logger, warnings } = capturedLogger();
    const sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url, logger });
    await sesame.close();
    expect(warnings().filter((message) => /maxmemory-policy/.test(message))).toEqual([]);
  });
});

describe('a Redis whose ACL refuses INFO (as `-@dangerous` does)', () => {
  let redis: StartedRedis;
  beforeAll(async () => {
    redis = await startRedis(['--maxmemory-policy', 'allkeys-lru'], { port: await freePort() });
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await admin.acl('SETUSER', 'sesame', 'on', '>sesame-password', '~*', '&*', '+@all', '-@dangerous');
    admin.disconnect();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  // BullMQ reads INFO too: without this check its worker spun on the refusal, and the start
  // neither finished nor failed.
  it('refuses the start at once, saying what to allow', async () => {
    const start = startSesame({ redisUrl: `redis://sesame:sesame-password@127.0.0.1:${redis.port}`, smtpUrl: smtp.url });
    await expect(start).rejects.toThrow(/^Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ refuses INFO to Sesame's user \(NOPERM[^)]*\): allow it \(ACL SETUSER <user> \+info\)/);
  });
});

describe('a Redis Cluster whose one master cannot say its policy, and a later one evicts', () => {
  let cluster: StartedCluster;
  let client: Cluster;
  const admins: Redis[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = createRedisClient({ url: undefined, clusterNodes: cluster.nodes, keyPrefix: '' }, { policy: 'fail-fast', connectionName: 'test:eviction' }) as Cluster;
    await client.connect();
    // Every master's connection ready before one of them is made busy (a new connection's ready check is an INFO too).
    await Promise.all(client.nodes('master').map((node) => node.ping()));
  });
  afterAll(async () => {
    client?.disconnect();
    for (const admin of admins) admin.disconnect();
    await cluster?.stop();
  });

  const adminOf = async (port: number) => {
    const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    admins.push(admin);
    await admin.ping();
    return admin;
  };

  // A master busy in a long script answers INFO with BUSY: a real failure other than NOPERM. The
  // check warned about it and returned, and the evicting master after it was never read.
  it('warns about the unreadable master, reads the others, and refuses the start for the evicting one', async () => {
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const [busyPort, evictingPort] = [masters[0]!.options.port!, masters.at(-1)!.options.port!];
    const evicting = await adminOf(evictingPort);
    await evicting.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const [busy, scriptRunner, prober] = [await adminOf(busyPort), await adminOf(busyPort), await adminOf(busyPort)];
    await busy.config('SET', 'busy-reply-threshold', '50');
    const script = scriptRunner.eval('while true do end', 0).catch((error: Error) => error.message);
    try {
      // Busy once another client is answered BUSY.
      await expect(prober.ping()).rejects.toThrow(/^BUSY/);
      const { logger, warnings } = capturedLogger();
      await expect(checkEvictionPolicy(client, { allowEviction: false, where: 'the cluster', logger })).rejects.toThrow(/^the cluster evicts keys when its memory is full \(maxmemory-policy allkeys-lru\)/);
      expect(warnings()).toEqual([expect.stringMatching(new RegExp(`^could not read the maxmemory-policy of the cluster \\(node 127\\.0\\.0\\.1:${busyPort}\\): make sure it is noeviction`))]);

      // Allowed: it starts, with both warnings.
      const allowed = capturedLogger();
      await checkEvictionPolicy(client, { allowEviction: true, where: 'the cluster', logger: allowed.logger });
      expect(allowed.warnings()).toEqual([expect.stringMatching(/could not read the maxmemory-policy of the cluster \(node /), expect.stringMatching(/evicts keys .*maxmemory-policy allkeys-lru.*REDIS_ALLOW_EVICTION=true/)]);
    } finally {
      await busy.script('KILL');
      expect(await script).toMatch(/Script killed/);
      await evicting.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });

  it('reads every master again once the script is gone: all noeviction, no warning', async () => {
    const { logger, warnings } = capturedLogger();
    await checkEvictionPolicy(client, { allowEviction: false, where: 'the cluster', logger });
    expect(warnings()).toEqual([]);
  });
});
