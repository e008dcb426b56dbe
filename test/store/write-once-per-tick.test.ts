import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { writeOncePerTick } from '../../src/store/write-once-per-tick.ts';
import { startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';

let redis: StartedRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** Counts the writes the connection's socket hands to the operating system (Writable's _write and _writev). */
function countFlushes(client: Redis): () => number {
  const stream = client.stream;
  let flushes = 0;
  const write = stream._write.bind(stream);
  const writev = stream._writev?.bind(stream);
  stream._write = (...args) => {
    flushes++;
    write(...args);
  };
  if (writev) {
    stream._writev = (...args) => {
      flushes++;
      writev(...args);
    };
  }
  return () => flushes;
}

describe('writeOncePerTick', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });
  const connect = async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    clients.push(client);
    writeOncePerTick(client);
    await client.ping();
    return { client, flushes: countFlushes(client) };
  };
  const key = uniquePrefix('tick');

  it('sends the commands of one tick in one write, including those issued after awaiting settled promises', async () => {
    const { client, flushes } = await connect();
    const replies = await Promise.all([
      client.set(`${key}a`, '1'),
      client.incr(`${key}n`),
      (async () => {
        await Promise.resolve();
        await null;
        return client.get(`${key}a`);
      })(),
      ...Array.from({ length: 10 }, () => client.incr(`${key}n`)),
    ]);
    expect(flushes()).toBe(1);
    expect(replies.slice(0, 3)).toEqual(['OK', 1, '1']);
    expect(await client.get(`${key}n`)).toBe('11');
    await client.del(`${key}a`, `${key}n`);
  });

  it('sends the commands of several callbacks of one turn (several requests) in one write', async () => {
    const { client, flushes } = await connect();
    // Two callbacks queued together run in the same check phase, each with its own microtasks,
    // as two requests read in the same poll phase do. (Not two zero timers: when the clock ticks
    // between setting them, they fall due in different turns, and under load the turn comes late.)
    const replies = await new Promise<unknown[]>((resolve) => {
      const sent: Promise<unknown>[] = [];
      setImmediate(() => sent.push(client.set(`${key}first`, '1')));
      setImmediate(() => {
        sent.push(client.get(`${key}first`));
        resolve(Promise.all(sent));
      });
    });
    expect(flushes()).toBe(1);
    expect(replies).toEqual(['OK', '1']);
    await client.del(`${key}first`);
  });

  it('holds nothing past the end of a turn: a command is on its way before the next turn begins', async () => {
    const { client, flushes } = await connect();
    const reply = client.set(`${key}alone`, 'x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes()).toBe(1);
    expect(await reply).toBe('OK');
    await client.del(`${key}alone`);
  });

  it('leaves commands sent before the connection is ready to ioredis\'s offline queue', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    clients.push(client);
    writeOncePerTick(client);
    const replies = await Promise.all([client.set(`${key}early`, 'x'), client.get(`${key}early`)]);
    expect(replies).toEqual(['OK', 'x']);
    await client.del(`${key}early`);
  });
});
