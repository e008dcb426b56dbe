import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import { Redis, type Cluster } from 'ioredis';
import { mailQueuePrefix } from '../../src/mail/mail-queue-keys.ts';
import { createRedisStore } from '../../src/store/redis-store.ts';
import type { Store } from '../../src/store/store.ts';
import { writeOncePerTick } from '../../src/store/write-once-per-tick.ts';

export interface StartedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own on a free loopback port (nothing saved to disk), or the
 * server at REDIS_URL when that is set.
 */
export async function startRedis(extraArgs: string[] = [], { port: fixedPort }: { /** Restart on the port of a server stopped before (outage tests). */ port?: number } = {}): Promise<StartedRedis> {
  if (process.env.REDIS_URL && fixedPort === undefined && extraArgs.length === 0) {
    const url = process.env.REDIS_URL;
    return { url, port: Number(new URL(url).port) || 6379, stop: async () => {} };
  }
  for (let attempt = 0; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    // A replica's full sync starts at once: by default a master waits 5 s for more replicas to
    // share it (repl-diskless-sync-delay), and the failover tests waited that out for each replica.
    const child = spawnRedisServer(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0', ...extraArgs]);
    const url = `redis://127.0.0.1:${port}`;
    if (await answersPing(url, child)) {
      return {
        url,
        port,
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    if (attempt >= 3) throw new Error('could not start redis-server (is it installed?)');
  }
}

/** A redis-server (or, with --sentinel, a Sentinel) that is killed if the test process exits first. */
export function spawnRedisServer(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  children.add(child);
  return child;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  children.delete(child);
}

/** Polls until the server answers PING (true), or it died or 5 s passed (false). */
export async function answersPing(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await pingOnce(url)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

// A bare socket rather than an ioredis client: a client whose first connection is refused keeps a
// timer alive, and jest then reports that the test run did not exit.
function pingOnce(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** No braces: they would become a Redis Cluster hash tag and pin every key to one slot. */
export function uniquePrefix(label: string): string {
  return `sesame-test:${label}:${randomUUID()}:`;
}

export async function deleteKeysWithPrefix(redis: Redis | Cluster, prefix: string): Promise<void> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      await Promise.all(keys.map((key) => node.del(key)));
    } while (cursor !== '0');
  }
}

/** Deletes all a Sesame with this key prefix keeps in Redis: its store's keys and its mail queue's. */
export async function deleteSesameKeys(redis: Redis | Cluster, keyPrefix: string): Promise<void> {
  await deleteKeysWithPrefix(redis, keyPrefix);
  await deleteKeysWithPrefix(redis, mailQueuePrefix(keyPrefix));
}

export async function countKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

export async function createTestRedisStore(url: string, label: string): Promise<{ store: Store; redis: Redis; prefix: string; cleanup(): Promise<void> }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  // As Sesame's store connection sends (store/create-store.ts).
  writeOncePerTick(redis);
  const prefix = uniquePrefix(label);
  const store = createRedisStore(redis, { prefix });
  return {
    store,
    redis,
    prefix,
    async cleanup() {
      if (redis.status === 'ready') await deleteKeysWithPrefix(redis, prefix);
      await store.close();
    },
  };
}
