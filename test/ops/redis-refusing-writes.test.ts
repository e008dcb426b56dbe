import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { formFields } from '../helpers/http-browser.ts';
import { freePort, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// Redis that answers but refuses writes, as it does in operation rather than in a clean stop:
// memory full under noeviction (OOM), and a node demoted to a replica by a failover (READONLY).
// PING still answers in both, so a readiness check that only pings says "ready" while every
// sign-in fails. Each case needs a redis-server of its own: CONFIG SET and REPLICAOF act on the
// whole server.

/** Each request must answer well within this: a hung request fails the test. */
const NO_HANG = { signal: AbortSignal.timeout(15_000) } as const;

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await smtp?.stop();
});

async function readyz(sesame: RunningSesame) {
  const response = await fetch(`${sesame.url}/readyz`, NO_HANG);
  return { status: response.status, body: await response.json() };
}

async function waitUntilReady(sesame: RunningSesame, what: string) {
  const deadline = Date.now() + 20_000;
  while ((await readyz(sesame)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`Sesame did not become ready again after ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis out of memory (maxmemory reached, noeviction)', () => {
  let redis: StartedRedis;
  let admin: Redis;
  let sesame: RunningSesame;
  let rp: RelyingParty;
  beforeAll(async () => {
    redis = await startRedis([], { port: await freePort() });
    admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url });
    rp = await startRelyingParty(sesame.url);
  });
  afterAll(async () => {
    await admin?.config('SET', 'maxmemory', '0').catch(() => undefined);
    await sesame?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('says unready, answers a sign-in with the 503 page rather than a 500, and resumes when memory is freed', async () => {
    const { pending, uid, browser, mail, origin } = await requestSignInMail({ rp, smtp }, 'oom@example.com');
    const check = await browser.navigate(`${origin}/interaction/${uid}/check`);

    // Any write is now refused: "OOM command not allowed when used memory > 'maxmemory'".
    await admin.config('SET', 'maxmemory', '1');
    expect(await readyz(sesame)).toEqual({ status: 503, body: expect.objectContaining({ status: 'unavailable', checks: expect.objectContaining({ store: 'down' }) }) });

    const answer = await browser.request(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    expect(answer.status).toBe(503);
    const page = await answer.text();
    expect(page).toContain('briefly unavailable');
    expect(page).not.toMatch(/OOM|maxmemory|at .*\.ts:\d+|Error:/);

    // A new sign-in from the app, too (the authorization request writes the interaction).
    const authorize = await fetch((await rp.startAuthorization()).url, { ...NO_HANG, headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(authorize.status).toBe(503);

    await admin.config('SET', 'maxmemory', '0');
    await waitUntilReady(sesame, 'memory was freed');
    // Nothing was half done: the refused attempt was counted before the code would have been
    // taken, and the count was refused too, so the same code still signs the person in.
    const again = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    const tokens = await rp.handleCallback(await finishAtApp(browser, again), pending);
    expect(tokens.claims()!.email).toBe('oom@example.com');
    // And a new sign-in from the start.
    expect((await signInWithCode({ rp, smtp }, 'oom-after@example.com')).tokens.claims()!.email).toBe('oom-after@example.com');
  });

  it('a link confirmed while Redis refuses writes is not spent: it works once memory is freed', async () => {
    const { pending, browser, mail } = await requestSignInMail({ rp, smtp }, 'oom-link@example.com');
    const confirm = await browser.navigate(mail.link!);
    const action = new URL(/action="([^"]*\/link)"/.exec(confirm.html)![1]!, mail.link!).href;
    const fields = formFields(confirm.html, '/link');
    await admin.config('SET', 'maxmemory', '1');
    // GETDEL alone is allowed when memory is full: the link was taken, the session then not saved.
    const refused = await browser.request(action, { form: fields });
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain('briefly unavailable');
    await admin.config('SET', 'maxmemory', '0');
    await waitUntilReady(sesame, 'memory was freed');
    const page = await browser.navigate(action, { form: fields });
    const tokens = await rp.handleCallback(await finishAtApp(browser, page), pending);
    expect(tokens.claims()!.email).toBe('oom-link@example.com');
  });
});

/**
 * A TCP proxy standing for a managed Redis's primary endpoint (a DNS name that a failover points
 * at the new primary): new connections go to `target`, those already open stay where they were.
 */
async function startEndpoint(target: number): Promise<{ port: number; pointAt(port: number): void; stop(): Promise<void> }> {
  let current = target;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(current, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    pointAt: (port) => {
      current = port;
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a failover behind one endpoint (the old primary becomes a replica)', () => {
  let first: StartedRedis;
  let second: StartedRedis;
  let endpoint: Awaited<ReturnType<typeof startEndpoint>>;
  let sesame: RunningSesame;
  let rp: RelyingParty;
  const admins: Redis[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    // A replica writes the data it receives to dump.rdb in its directory: not in the repository.
    dirs.push(mkdtempSync(join(tmpdir(), 'sesame-failover-')), mkdtempSync(join(tmpdir(), 'sesame-failover-')));
    first = await startRedis(['--dir', dirs[0]!], { port: await freePort() });
    second = await startRedis(['--dir', dirs[1]!], { port: await freePort() });
    const replica = new Redis(second.url, { maxRetriesPerRequest: 1 });
    admins.push(replica);
    await replica.replicaof('127.0.0.1', first.port);
    endpoint = await startEndpoint(first.port);
    sesame = await startSesame({ redisUrl: `redis://127.0.0.1:${endpoint.port}`, smtpUrl: smtp.url });
    rp = await startRelyingParty(sesame.url);
  });
  afterAll(async () => {
    await sesame?.close();
    for (const admin of admins) admin.disconnect();
    await endpoint?.stop();
    await first?.stop();
    await second?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while its connections still reach the demoted node, and moves to the new primary by itself', async () => {
    await signInWithCode({ rp, smtp }, 'before-failover@example.com');
    const oldPrimary = new Redis(first.url, { maxRetriesPerRequest: 1 });
    const newPrimary = new Redis(second.url, { maxRetriesPerRequest: 1 });
    admins.push(oldPrimary, newPrimary);
    // The replica has everything (it was in sync): wait for that, as a failover would.
    const deadline = Date.now() + 10_000;
    while (!/master_link_status:up/.test(await newPrimary.info('replication'))) {
      if (Date.now() > deadline) throw new Error('the replica did not sync');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // The failover: the replica is promoted, the endpoint names it, and the old primary follows it.
    await newPrimary.replicaof('NO', 'ONE');
    endpoint.pointAt(second.port);
    await oldPrimary.replicaof('127.0.0.1', second.port);

    // The first request after it may meet the old node (READONLY): a clear 503, never a 500.
    const authorize = await fetch((await rp.startAuthorization()).url, { ...NO_HANG, headers: { accept: 'text/html' }, redirect: 'manual' });
    expect([303, 302, 503]).toContain(authorize.status);

    // Then Sesame is on the new primary without a restart: ready, and sign-ins (mail included) work.
    await waitUntilReady(sesame, 'the failover');
    const { tokens } = await signInWithCode({ rp, smtp }, 'after-failover@example.com');
    expect(tokens.claims()!.email).toBe('after-failover@example.com');
    expect(await newPrimary.dbsize()).toBeGreaterThan(0);
  });
});
