// `npm run bench`: every server under test on core 0, this load generator (and wrk) on core 1,
// each measurement repeated and interleaved, every ratio taken within this one run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { generateSigningKeys } from '../src/config/signing-keys.ts';
import { median, quantile, runClosedLoop, type Measurement } from './load/closed-loop.ts';
import { bareFlowUntilCode, exchangeCode, refresh, sesameSignInUntilCode, type FlowTarget } from './load/flows.ts';
import { HttpSession, keepAliveAgent } from './load/http-session.ts';
import { startMailSink, type MailSink } from './load/mail-sink.ts';
import { startTripCounter } from './load/redis-trip-counter.ts';
import { runWrk, type WrkRequest } from './load/wrk.ts';
import { basicAuth, BENCH_APP, BENCH_MACHINE, benchClients } from './servers/bench-clients.ts';

const SERVER_CORE = 0;
const LOAD_CORE = 1;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
// BENCH_MEMORY_SIGN_INS= (empty) skips the memory phase; BENCH_ONLY=regex runs only matching scenarios.
const MEMORY_CHECKPOINTS = (process.env.BENCH_MEMORY_SIGN_INS ?? '10000,20000').split(',').filter(Boolean).map(Number);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, 'i') : undefined;
const SIGNING_ALG = process.env.BENCH_SIGNING_ALG ?? 'ES256';
const HIGH = 32;

if (!process.env.BENCH_PINNED) {
  for (const tool of ['taskset', 'wrk', 'redis-server']) {
    if (spawnSync('which', [tool]).status !== 0) {
      process.stderr.write(`bench needs ${tool}: apt-get install ${tool === 'taskset' ? 'util-linux' : tool}\n`);
      process.exit(2);
    }
  }
  // Re-run this script pinned to the load core; the servers are pinned to the other one.
  const child = spawnSync('taskset', ['-c', String(LOAD_CORE), process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(child.status ?? 1);
}

const children: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'sesame-bench-'));
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

interface Row {
  group: string;
  name: string;
  runs: (Measurement & { cpuMsPerOp: number; redisCpuMsPerOp: number; wakeUpsPerOp: number; redisWakeUpsPerOp: number; serverCoreBusy: number; loadCoreBusy: number; mailWait?: { p50Ms: number; p99Ms: number } })[];
}
const rows: Row[] = [];
const log = (message: string) => process.stderr.write(`${message}\n`);

async function main() {
  const jwksFile = join(scratch, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateSigningKeys()));
  const clientsFile = join(scratch, 'clients.json');
  writeFileSync(clientsFile, JSON.stringify(benchClients(SIGNING_ALG)));
  // Sesame runs in the scratch directory with the shipped defaults, except the abuse limits: a load
  // test is thousands of sign-ins from one address, exactly what they exist to stop. The counters
  // are still kept (and counted in the Redis work below); only their budgets are out of reach.
  mkdirSync(join(scratch, 'config'));
  const defaults = JSON.parse(readFileSync('config/default.json', 'utf8')) as { rateLimits: Record<string, { limit: number; windowSeconds: number }> };
  for (const budget of Object.values(defaults.rateLimits)) budget.limit = 1_000_000;
  writeFileSync(join(scratch, 'config/default.json'), JSON.stringify(defaults));
  const secrets = { COOKIE_KEYS: randomBytes(32).toString('base64url'), HMAC_KEY: randomBytes(32).toString('base64url'), ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64url')}` };

  const redisPort = await freePort();
  const redisServer = startPinned('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
  const admin = new Redis(redisPort, '127.0.0.1', { lazyConnect: true });
  admin.on('error', () => {});
  await waitFor(async () => {
    if (admin.status !== 'ready') await admin.connect().catch(() => {});
    return (await admin.ping()) === 'PONG';
  });
  const mail = await startMailSink();

  const hello = await startNodeServer('bench/servers/hello-koa.ts', {}, '/');
  const bare = await startNodeServer('bench/servers/bare-provider.ts', { CLIENTS_FILE: clientsFile, JWKS_FILE: jwksFile, COOKIE_KEYS: secrets.COOKIE_KEYS }, '/.well-known/openid-configuration');
  const sesameEnv = (port: number, redis: number, prefix: string) => ({
    NODE_ENV: 'production',
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    REDIS_URL: `redis://127.0.0.1:${redis}`,
    REDIS_KEY_PREFIX: prefix,
    SMTP_URL: mail.url,
    MAIL_FROM: 'Sesame <no-reply@bench.example>',
    CLIENTS_FILE: clientsFile,
    JWKS_FILE: jwksFile,
    SIGNUP: 'open',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    ...secrets,
  });
  const sesame = await startNodeServer('src/main.ts', (port) => sesameEnv(port, redisPort, 'bench:'), '/.well-known/openid-configuration', scratch);

  const agent = keepAliveAgent(HIGH * 2);
  const bareTarget: FlowTarget = { origin: bare.url, agent };
  const sesameTarget: FlowTarget = { origin: sesame.url, agent };
  let sesameSignIns = 0;
  const email = (worker: number) => `worker-${worker}@bench.example`;
  let mailWaits: number[] = [];
  const sesameSignIn = async (worker: number) => {
    const { code, verifier, mailWaitMs } = await sesameSignInUntilCode(sesameTarget, mail, email(worker));
    mailWaits.push(mailWaitMs);
    await exchangeCode(sesameTarget, code, verifier);
    sesameSignIns++;
  };
  const bareSignIn = async (worker: number) => {
    const { code, verifier } = await bareFlowUntilCode(bareTarget, `worker-${worker}`);
    await exchangeCode(bareTarget, code, verifier);
  };

  log(`bench: ${RUNS} runs of ${SECONDS} s each; servers on core ${SERVER_CORE}, load on core ${LOAD_CORE}; Sesame ID tokens signed ${SIGNING_ALG}`);
  // Tokens to use repeatedly for userinfo and introspection.
  const { code, verifier } = await sesameSignInUntilCode(sesameTarget, mail, email(0));
  const tokens = await exchangeCode(sesameTarget, code, verifier);

  // Each measure starts the CPU meter where its timed part begins (and may pause it), so the server
  // CPU per operation leaves out warm-ups and the sign-ins that make codes and refresh tokens to use.
  const wrk = (name: string, group: string, request: WrkRequest) => ({ name, group, measure: (meter: CpuMeter) => {
    meter.start();
    return runWrk(request, { concurrency: HIGH, seconds: SECONDS, core: LOAD_CORE, scratchDir: scratch });
  } });
  const clientCredentials = (url: string): WrkRequest => ({ url: `${url}/token`, method: 'POST', body: 'grant_type=client_credentials', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(BENCH_MACHINE) } });
  const loop = (name: string, group: string, concurrency: number, op: (worker: number) => Promise<unknown>) => ({ name, group, measure: (meter: CpuMeter) => runClosedLoop({ concurrency, seconds: SECONDS, op, onMeasuring: () => meter.start() }) });
  // Sesame's sign-ins also report how long each mail took to arrive (the sign-in's latency includes it).
  const sesameLoop = (name: string, concurrency: number) => ({ name, group: 'Sesame, Redis', measure: async (meter: CpuMeter) => {
    const measured = await runClosedLoop({ concurrency, seconds: SECONDS, op: sesameSignIn, onMeasuring: () => { meter.start(); mailWaits = []; } });
    const waits = mailWaits.sort((a, b) => a - b);
    return { ...measured, mailWait: { p50Ms: quantile(waits, 0.5), p99Ms: quantile(waits, 0.99) } };
  } });

  const scenarios = [
    wrk('hello-world (bare Koa)', 'ceiling', { url: `${hello.url}/` }),
    // Sesame's own cost per request, before any work: /healthz passes every middleware but does nothing.
    wrk('healthz (every middleware, no work)', 'Sesame, Redis', { url: `${sesame.url}/healthz` }),
    wrk('discovery', 'bare oidc-provider, memory', { url: `${bare.url}/.well-known/openid-configuration` }),
    wrk('discovery', 'Sesame, Redis', { url: `${sesame.url}/.well-known/openid-configuration` }),
    wrk('jwks', 'bare oidc-provider, memory', { url: `${bare.url}/jwks` }),
    wrk('jwks', 'Sesame, Redis', { url: `${sesame.url}/jwks` }),
    wrk('token: client_credentials', 'bare oidc-provider, memory', clientCredentials(bare.url)),
    wrk('token: client_credentials', 'Sesame, Redis', clientCredentials(sesame.url)),
    wrk('userinfo', 'Sesame, Redis', { url: `${sesame.url}/me`, headers: { authorization: `Bearer ${tokens.access_token}` } }),
    wrk('introspection', 'Sesame, Redis', { url: `${sesame.url}/token/introspection`, method: 'POST', body: `token=${tokens.access_token}`, headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(BENCH_APP) } }),
    { name: 'token: code exchange', group: 'bare oidc-provider, memory', measure: (meter: CpuMeter) => measureCodeExchange(meter, bareTarget, (worker) => bareFlowUntilCode(bareTarget, `worker-${worker}`)) },
    { name: 'token: code exchange', group: 'Sesame, Redis', measure: (meter: CpuMeter) => measureCodeExchange(meter, sesameTarget, (worker) => sesameSignInUntilCode(sesameTarget, mail, email(worker))) },
    { name: 'token: refresh with rotation', group: 'bare oidc-provider, memory', measure: (meter: CpuMeter) => measureRefresh(meter, bareTarget, (worker) => bareFlowUntilCode(bareTarget, `worker-${worker}`, OFFLINE)) },
    { name: 'token: refresh with rotation', group: 'Sesame, Redis', measure: (meter: CpuMeter) => measureRefresh(meter, sesameTarget, (worker) => sesameSignInUntilCode(sesameTarget, mail, email(worker), OFFLINE)) },
    loop('complete sign-in, c=1', 'bare oidc-provider, memory', 1, bareSignIn),
    sesameLoop('complete sign-in, c=1', 1),
    loop(`complete sign-in, c=${HIGH}`, 'bare oidc-provider, memory', HIGH, bareSignIn),
    sesameLoop(`complete sign-in, c=${HIGH}`, HIGH),
  ];
  for (let run = 1; run <= RUNS; run++) {
    for (const scenario of scenarios.filter((s) => !ONLY || ONLY.test(`${s.group}: ${s.name}`))) {
      log(`run ${run}/${RUNS}: ${scenario.group}: ${scenario.name}`);
      // CPU the server side spent (the server process, and Redis for Sesame), per operation.
      const servers = scenario.group === 'ceiling' ? [hello.pid] : scenario.group.startsWith('bare') ? [bare.pid] : [sesame.pid];
      const meter = new CpuMeter(`${scenario.group}: ${scenario.name}`, servers, redisServer.pid!);
      const measured = await scenario.measure(meter);
      meter.stop();
      const result = { ...measured, cpuMsPerOp: meter.serverMs / measured.ops, redisCpuMsPerOp: meter.redisMs / measured.ops, wakeUpsPerOp: meter.serverWakeUps / measured.ops, redisWakeUpsPerOp: meter.redisWakeUps / measured.ops, ...meter.coresBusy() };
      let row = rows.find((r) => r.name === scenario.name && r.group === scenario.group);
      if (!row) rows.push((row = { name: scenario.name, group: scenario.group, runs: [] }));
      row.runs.push(result);
    }
  }

  const trips = process.env.BENCH_SKIP_TRIPS ? undefined : await countRedisWork(sesameEnv, redisPort, admin, mail);
  const bareSteps = process.env.BENCH_SKIP_TRIPS ? undefined : await measureBareSteps(bare);
  const memory = await measureMemory(sesame.pid, () => sesameSignIns, sesameSignIn);

  report(trips, bareSteps, memory);
  if (process.env.BENCH_PROFILE_DIR) {
    // The servers' --cpu-prof makes the directory only when they exit, after this file.
    mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
    writeFileSync(join(process.env.BENCH_PROFILE_DIR, 'windows.json'), JSON.stringify(CpuMeter.windows, null, 1));
    // SIGTERM lets the servers shut down normally, which is when --cpu-prof writes the profile.
    sesame.stop();
    bare.stop();
    await new Promise((r) => setTimeout(r, 2000));
  }
  agent.destroy();
  admin.disconnect();
  await mail.close();
}

const OFFLINE = { scope: 'openid email offline_access', prompt: 'consent' };

/**
 * Codes are made first (not timed), then exchanged as fast as the endpoint allows, in rounds until
 * the exchanges alone have taken a second: one round is over in a tenth of that, too short to read
 * the CPU it took (/proc counts in ticks of 10 ms).
 */
async function measureCodeExchange(meter: CpuMeter, target: FlowTarget, makeCode: (worker: number) => Promise<{ code: string; verifier: string }>): Promise<Measurement> {
  // oidc-provider's memory adapter is an LRU of 1,000 records and a flow leaves five behind: more
  // codes than this and the bare library's oldest ones are silently evicted before they are used.
  const perWorker = Number(process.env.BENCH_CODES_PER_WORKER ?? 4);
  const latencies: number[] = [];
  let exchangingMs = 0;
  while (exchangingMs < 1000) {
    const pools = await Promise.all(Array.from({ length: HIGH }, async (_, worker) => {
      const pool = [];
      for (let i = 0; i < perWorker; i++) pool.push(await makeCode(worker));
      return pool;
    }));
    meter.start();
    const started = performance.now();
    await Promise.all(pools.map(async (pool) => {
      for (const { code, verifier } of pool) {
        const t = performance.now();
        await exchangeCode(target, code, verifier);
        latencies.push(performance.now() - t);
      }
    }));
    exchangingMs += performance.now() - started;
    meter.stop();
  }
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / (exchangingMs / 1000), p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), ops: latencies.length };
}

/** Each worker rotates its own refresh token chain, as one app instance per user would. */
async function measureRefresh(meter: CpuMeter, target: FlowTarget, makeCode: (worker: number) => Promise<{ code: string; verifier: string }>): Promise<Measurement> {
  const chains = await Promise.all(Array.from({ length: HIGH }, async (_, worker) => {
    const { code, verifier } = await makeCode(worker);
    const tokens = await exchangeCode(target, code, verifier);
    if (!tokens.refresh_token) throw new Error('no refresh token issued for offline_access');
    return tokens.refresh_token;
  }));
  return runClosedLoop({
    concurrency: HIGH,
    seconds: SECONDS,
    onMeasuring: () => meter.start(),
    op: async (worker) => {
      const rotated = (await refresh(target, chains[worker]!)).refresh_token;
      // Both servers must do the same work: consume the old token and store a new one.
      if (!rotated || rotated === chains[worker]) throw new Error('the refresh token was not rotated');
      chains[worker] = rotated;
    },
  });
}

interface TripShare {
  /** All of Sesame's connections: the store's (request path), the mail worker's. */
  total: number;
  /** The store's connection only: what the HTTP requests of the sign-in wait for. */
  requestPath: number;
}

interface RedisWork {
  signIns: number;
  /** Concurrency 1: nothing to share a batch with, the worker idles between mails. */
  sequential: TripShare & { commands: number };
  byStep: StepCost[];
}

/**
 * A second Sesame whose Redis connections run through the trip-counting proxy, driven at
 * concurrency 1: every request-path trip then belongs to the request in flight, and nothing shares
 * a batch by luck (under concurrency the proxy could not tell one request's batches apart).
 */
async function countRedisWork(env: (port: number, redis: number, prefix: string) => Record<string, string>, redisPort: number, admin: Redis, mail: MailSink): Promise<RedisWork> {
  const counter = await startTripCounter(redisPort);
  const counted = await startNodeServer('src/main.ts', (port) => env(port, counter.port, 'bench-count:'), '/.well-known/openid-configuration', scratch);
  const target: FlowTarget = { origin: counted.url, agent: keepAliveAgent(HIGH * 2) };
  const signIn = async (worker: number) => {
    const { code, verifier } = await sesameSignInUntilCode(target, mail, `counted-${worker}@bench.example`);
    await exchangeCode(target, code, verifier);
  };
  for (let worker = 0; worker < HIGH; worker++) await signIn(worker);
  await new Promise((r) => setTimeout(r, 200));
  const requestPath = 'web:store';
  const snapshot = (): TripShare => ({ total: counter.trips(), requestPath: counter.trips(requestPath) });
  const since = (before: TripShare, n: number): TripShare => ({ total: (counter.trips() - before.total) / n, requestPath: (counter.trips(requestPath) - before.requestPath) / n });

  const steps = observeSteps(counted.pid, () => counter.trips(requestPath));
  HttpSession.observe = steps.observe;
  const signIns = 50;
  const statsBefore = commandTotal(await admin.info('commandstats'));
  const sequentialBefore = snapshot();
  for (let i = 0; i < signIns; i++) {
    steps.nextSignIn();
    await signIn(0);
  }
  // Let mail delivery (off the request path) finish: its Redis work belongs to the sign-in too.
  await new Promise((r) => setTimeout(r, 300));
  const sequential = { ...since(sequentialBefore, signIns), commands: (commandTotal(await admin.info('commandstats')) - statsBefore) / signIns };
  HttpSession.observe = undefined;

  target.agent.destroy();
  counted.stop();
  await counter.close();
  return { signIns, sequential, byStep: steps.result(signIns) };
}

/** The bare library's sign-in step by step, as countRedisWork does Sesame's: CPU and time per step at concurrency 1. */
async function measureBareSteps(bare: { url: string; pid: number }): Promise<StepCost[]> {
  const target: FlowTarget = { origin: bare.url, agent: keepAliveAgent(2) };
  const signIn = async () => {
    const { code, verifier } = await bareFlowUntilCode(target, 'stepwise');
    await exchangeCode(target, code, verifier);
  };
  for (let i = 0; i < 20; i++) await signIn();
  const steps = observeSteps(bare.pid);
  HttpSession.observe = steps.observe;
  const signIns = 50;
  for (let i = 0; i < signIns; i++) {
    steps.nextSignIn();
    await signIn();
  }
  HttpSession.observe = undefined;
  target.agent.destroy();
  return steps.result(signIns);
}

interface StepCost {
  name: string;
  /** Redis round trips on the request path (Sesame only). */
  trips: number | undefined;
  /** The server's CPU, every thread, while the step was in flight (work done then for other reasons, such as mail, lands here too). */
  cpuMs: number;
  /** The median time the load generator waited for the step's answer. */
  p50Ms: number;
}

/**
 * Per step of a sign-in, in order (the two visits of /interaction/:uid and of /auth/:uid are
 * different steps): the server's CPU while it was in flight, its duration and, given a counter,
 * Redis round trips. For HttpSession.observe, at concurrency 1.
 */
function observeSteps(pid: number, trips?: () => number) {
  const byStep = new Map<string, { trips: number; cpuMs: number; durations: number[] }>();
  let step = 0;
  let before = { trips: 0, cpuMs: 0, at: 0 };
  return {
    nextSignIn: () => {
      step = 0;
    },
    observe: {
      before: () => {
        before = { trips: trips?.() ?? 0, cpuMs: cpuUse([pid]).ms, at: performance.now() };
      },
      after: (method: string, path: string) => {
        const name = `${++step}. ${method} ${path.replace(/\?.*$/, '').replace(/\/interaction\/[^/]+/, '/interaction/:uid').replace(/\/auth\/[^/]+/, '/auth/:uid')}`;
        const seen = byStep.get(name) ?? { trips: 0, cpuMs: 0, durations: [] };
        seen.durations.push(performance.now() - before.at);
        byStep.set(name, { trips: seen.trips + (trips?.() ?? 0) - before.trips, cpuMs: seen.cpuMs + cpuUse([pid]).ms - before.cpuMs, durations: seen.durations });
      },
    },
    result: (signIns: number): StepCost[] =>
      [...byStep].map(([name, seen]) => ({ name, trips: trips ? seen.trips / signIns : undefined, cpuMs: seen.cpuMs / signIns, p50Ms: median(seen.durations) })),
  };
}

// INFO commandstats counts commands run inside scripts and MULTI too; ours (INFO) are left out.
function commandTotal(info: string): number {
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== 'info') total += Number(match[2]);
  return total;
}

async function measureMemory(pid: number, done: () => number, signIn: (worker: number) => Promise<void>): Promise<[number, number][]> {
  const points: [number, number][] = [];
  for (const checkpoint of MEMORY_CHECKPOINTS) {
    log(`memory: signing in until ${checkpoint} sign-ins (${done()} so far)`);
    await Promise.all(Array.from({ length: HIGH }, async (_, worker) => {
      while (done() < checkpoint) await signIn(worker);
    }));
    points.push([done(), rssMiB(pid)]);
  }
  return points;
}

/** CPU the server side spends while started: the server processes, and Redis apart. Start and stop may alternate. */
class CpuMeter {
  /**
   * When each scenario was measured, on the monotonic clock V8's profiler also stamps its samples
   * with (µs): bench/profile-summary.ts keeps only a scenario's samples, leaving out the sign-ins
   * that made its codes and tokens.
   */
  static readonly windows: { scenario: string; fromUs: number; toUs: number }[] = [];
  serverMs = 0;
  redisMs = 0;
  serverWakeUps = 0;
  redisWakeUps = 0;
  private readonly cores = { server: { busy: 0, all: 0 }, load: { busy: 0, all: 0 } };
  private running: { server: CpuUse; redis: CpuUse; cores: ReturnType<typeof coreTicks>; fromUs: number } | undefined;
  private readonly scenario: string;
  private readonly servers: readonly number[];
  private readonly redisPid: number;

  constructor(scenario: string, servers: readonly number[], redisPid: number) {
    this.scenario = scenario;
    this.servers = servers;
    this.redisPid = redisPid;
  }

  private threadsAtStart: Map<string, CpuUse> | undefined;

  start() {
    if (process.env.BENCH_THREADS && !this.running) this.threadsAtStart = cpuUseByThreadName(this.servers);
    this.running ??= { server: cpuUse(this.servers), redis: cpuUse([this.redisPid]), cores: coreTicks(), fromUs: monotonicUs() };
  }

  stop() {
    if (!this.running) return;
    if (this.threadsAtStart) logThreadUse(this.scenario, this.threadsAtStart, cpuUseByThreadName(this.servers));
    const server = cpuUse(this.servers);
    const redis = cpuUse([this.redisPid]);
    this.serverMs += server.ms - this.running.server.ms;
    this.redisMs += redis.ms - this.running.redis.ms;
    this.serverWakeUps += server.timeslices - this.running.server.timeslices;
    this.redisWakeUps += redis.timeslices - this.running.redis.timeslices;
    const cores = coreTicks();
    for (const core of ['server', 'load'] as const) {
      for (const key of ['busy', 'all'] as const) this.cores[core][key] += cores[core][key] - this.running.cores[core][key];
    }
    CpuMeter.windows.push({ scenario: this.scenario, fromUs: this.running.fromUs, toUs: monotonicUs() });
    this.running = undefined;
  }

  /**
   * How busy each core was while measured (a server core short of 100 % is waiting on something
   * other than its own CPU; a load core at 100 % measures the load generator, not the server).
   */
  coresBusy() {
    const { server, load } = this.cores;
    return { serverCoreBusy: server.busy / server.all, loadCoreBusy: load.busy / load.all };
  }
}

/** Jiffies per core from /proc/stat: busy (neither idle, waiting on I/O nor stolen) and in all. */
function coreTicks() {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const core = (n: number) => {
    const fields = lines.find((line) => line.startsWith(`cpu${n} `))!.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [number, number, number, number, number, number, number, number];
    const all = user + nice + system + idle + iowait + irq + softirq + steal;
    return { busy: all - idle - iowait - steal, all };
  };
  return { server: core(SERVER_CORE), load: core(LOAD_CORE) };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

interface CpuUse {
  ms: number;
  timeslices: number;
}

/**
 * CPU time of processes so far, every thread (the crypto thread pool signs tokens), in ms with
 * nanosecond precision (/proc/PID/task/TID/schedstat): /proc/PID/stat counts in ticks of 10 ms,
 * too coarse for windows of a fraction of a second. Also how many times a thread was put on the
 * CPU: a process that waits on a socket is woken once per answer, and on a VM each wake-up costs
 * far more than the callback it runs.
 */
function cpuUse(pids: readonly number[]): CpuUse {
  let ns = 0;
  let timeslices = 0;
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [runNs, , slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        ns += Number(runNs);
        timeslices += Number(slices);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  }
  return { ms: ns / 1e6, timeslices };
}

/**
 * The server's CPU by thread name (BENCH_THREADS=1): the event loop (MainThread), V8's helpers
 * (V8Worker: garbage collection and compilation) and libuv's pool. Tells whether a difference
 * in CPU per operation is the code that runs or the garbage it leaves.
 */
function cpuUseByThreadName(pids: readonly number[]): Map<string, CpuUse> {
  const byName = new Map<string, CpuUse>();
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [runNs, , slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const sum = byName.get(name) ?? { ms: 0, timeslices: 0 };
        byName.set(name, { ms: sum.ms + Number(runNs) / 1e6, timeslices: sum.timeslices + Number(slices) });
      } catch {
        // the thread ended between the listing and the read
      }
    }
  }
  return byName;
}

function logThreadUse(scenario: string, before: Map<string, CpuUse>, after: Map<string, CpuUse>) {
  const parts = [...after].flatMap(([name, { ms, timeslices }]) => {
    const from = before.get(name) ?? { ms: 0, timeslices: 0 };
    const wakeUps = timeslices - from.timeslices;
    return wakeUps === 0 ? [] : [`${name} ${(ms - from.ms).toFixed(0)} ms in ${wakeUps} wake-ups`];
  });
  log(`  threads of ${scenario}: ${parts.join(', ')}`);
}

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

function report(trips: RedisWork | undefined, bareSteps: StepCost[] | undefined, memory: [number, number][]) {
  const med = (row: Row, key: Exclude<keyof Row['runs'][number], 'mailWait'>) => median(row.runs.map((r) => r[key]));
  const find = (group: string, name: string) => rows.find((r) => r.group === group && r.name === name);
  const out: string[] = [];
  out.push(`\nSesame benchmark: medians of ${RUNS} runs × ${SECONDS} s (each ratio: the median of the runs' own ratios); servers on core ${SERVER_CORE}, load on core ${LOAD_CORE}; node ${process.version}; Sesame ID tokens ${SIGNING_ALG}\n`);
  out.push('| group | measurement | per second | p50 ms | p99 ms | server CPU ms/op | Redis CPU ms/op | server wake-ups/op | Redis wake-ups/op | server core busy | load core busy |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const percent = (row: Row, key: 'serverCoreBusy' | 'loadCoreBusy') => `${(100 * med(row, key)).toFixed(0)} %`;
  for (const row of rows) {
    const sesame = row.group.startsWith('Sesame');
    const redisCpu = sesame ? med(row, 'redisCpuMsPerOp').toFixed(3) : '';
    const redisWakeUps = sesame ? med(row, 'redisWakeUpsPerOp').toFixed(2) : '';
    out.push(`| ${row.group} | ${row.name} | ${med(row, 'rate').toFixed(0)} | ${med(row, 'p50Ms').toFixed(2)} | ${med(row, 'p99Ms').toFixed(2)} | ${med(row, 'cpuMsPerOp').toFixed(3)} | ${redisCpu} | ${med(row, 'wakeUpsPerOp').toFixed(2)} | ${redisWakeUps} | ${percent(row, 'serverCoreBusy')} | ${percent(row, 'loadCoreBusy')} |`);
  }

  const withMail = rows.filter((row) => row.runs.every((r) => r.mailWait));
  if (withMail.length > 0) {
    out.push('\n| Sesame: from the "check your email" page to the mail in the inbox | p50 ms | p99 ms |', '| --- | ---: | ---: |');
    for (const row of withMail) out.push(`| ${row.name} | ${median(row.runs.map((r) => r.mailWait!.p50Ms)).toFixed(1)} | ${median(row.runs.map((r) => r.mailWait!.p99Ms)).toFixed(1)} |`);
  }

  // Run by run: round i measured both sides minutes apart at most, while the machine's speed drifts
  // over a whole bench; the median of those paired ratios holds steadier than a ratio of medians.
  const ratio = (a: Row | undefined, b: Row | undefined) => (a && b ? median(a.runs.map((run, i) => run.rate / b.runs[i]!.rate)) : NaN);
  const bareGroup = 'bare oidc-provider, memory';
  const sesameGroup = 'Sesame, Redis';
  const helloRow = find('ceiling', 'hello-world (bare Koa)');
  const checks: [string, number, string, boolean][] = [];
  for (const c of ['1', String(HIGH)]) {
    const r = ratio(find(sesameGroup, `complete sign-in, c=${c}`), find(bareGroup, `complete sign-in, c=${c}`));
    checks.push([`complete sign-ins at c=${c}, Sesame on Redis / bare library on memory`, r, '>= 1.00', r >= 1]);
  }
  const highRow = find(sesameGroup, `complete sign-in, c=${HIGH}`);
  if (highRow) checks.push([`complete sign-in p99 at c=${HIGH} (ms)`, med(highRow, 'p99Ms'), '< 250', med(highRow, 'p99Ms') < 250]);
  for (const name of ['token: client_credentials', 'token: code exchange', 'token: refresh with rotation']) {
    const r = ratio(find(sesameGroup, name), find(bareGroup, name));
    checks.push([`${name}, Sesame / bare library`, r, '>= 0.90', r >= 0.9]);
  }
  for (const name of ['discovery', 'jwks']) {
    const r = ratio(find(sesameGroup, name), helloRow);
    checks.push([`${name}, Sesame / bare Koa hello-world`, r, '>= 1.00', r >= 1]);
  }
  // The abuse limits' counts and lock reads travel in the batches that read the interaction
  // (interaction/start-limit-checks.ts): they cost no round trip of their own.
  if (trips) {
    checks.push(['Redis round trips per complete sign-in (request path and mail worker)', trips.sequential.total, '<= 25', trips.sequential.total <= 25]);
  }
  if (memory.length >= 2) {
    const [[n1, m1], [n2, m2]] = [memory[0]!, memory.at(-1)!];
    checks.push([`RSS growth from ${n1} to ${n2} sign-ins (MiB; ${m1.toFixed(0)} → ${m2.toFixed(0)})`, m2 - m1, '<= 10% of first', m2 - m1 <= m1 * 0.1]);
  }
  out.push('\n| target | measured | wanted | met |');
  out.push('| --- | ---: | --- | --- |');
  for (const [name, value, wanted, met] of checks.filter(([, value]) => Number.isFinite(value))) out.push(`| ${name} | ${value.toFixed(2)} | ${wanted} | ${met ? 'yes' : '**no**'} |`);

  if (!trips) {
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }
  out.push(`\nRedis work per complete sign-in (${trips.signIns} sign-ins one after another): ${trips.sequential.total.toFixed(1)} round trips in all, ${trips.sequential.requestPath.toFixed(1)} of them on the request path (the store's connection) and the rest by the mail worker; ${trips.sequential.commands.toFixed(1)} commands (INFO commandstats, every instance on the bench's Redis).`);
  // Side by side, step by step, at concurrency 1: where a passwordless sign-in on Redis spends
  // what the bare library's form post on memory does not.
  const total = (steps: StepCost[], key: 'cpuMs' | 'p50Ms') => steps.reduce((sum, step) => sum + step[key], 0);
  const table = (title: string, steps: StepCost[]) => {
    out.push(`\n| ${title} | Redis round trips | server CPU ms | answered in ms (p50) |`);
    out.push('| --- | ---: | ---: | ---: |');
    for (const step of steps) out.push(`| ${step.name} | ${step.trips === undefined ? '' : step.trips.toFixed(1)} | ${step.cpuMs.toFixed(2)} | ${step.p50Ms.toFixed(2)} |`);
    out.push(`| all steps | ${steps[0]?.trips === undefined ? '' : steps.reduce((sum, step) => sum + (step.trips ?? 0), 0).toFixed(1)} | ${total(steps, 'cpuMs').toFixed(2)} | ${total(steps, 'p50Ms').toFixed(2)} |`);
  };
  table('Sesame, step of a sign-in (concurrency 1; the mail is sent during step 4)', trips.byStep);
  if (bareSteps) table('bare library, step of a sign-in (concurrency 1)', bareSteps);
  process.stdout.write(`${out.join('\n')}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function startPinned(command: string, args: string[], env: Record<string, string>, cwd?: string): ChildProcess {
  const child = spawn('taskset', ['-c', String(SERVER_CORE), command, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'], cwd });
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors = (errors + chunk).slice(-4000)));
  child.on('exit', (code, signal) => {
    if (code && !stopping.has(child)) log(`${command} ${args[0] ?? ''} exited ${code ?? signal}:\n${errors}`);
  });
  children.push(child);
  return child;
}
const stopping = new Set<ChildProcess>();

async function startNodeServer(script: string, env: Record<string, string> | ((port: number) => Record<string, string>), readyPath: string, cwd?: string) {
  const port = await freePort();
  // Sesame's and the bare library's profiles, named by script, to compare the two.
  const profiled = process.env.BENCH_PROFILE_DIR && script !== 'bench/servers/hello-koa.ts';
  const profile = profiled ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${script.replace(/\W+/g, '-')}-\${pid}.cpuprofile`] : [];
  // BENCH_SESAME_DIR: another checkout's Sesame under the same load, for before/after comparisons.
  const path = script === 'src/main.ts' && process.env.BENCH_SESAME_DIR ? resolve(process.env.BENCH_SESAME_DIR, script) : resolve(script);
  const child = startPinned(process.execPath, [...profile, '--disable-warning=ExperimentalWarning', path], { PORT: String(port), ...(typeof env === 'function' ? env(port) : env) }, cwd);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(url + readyPath)).ok);
  return {
    url,
    pid: child.pid!,
    stop: () => {
      stopping.add(child);
      child.kill('SIGTERM');
    },
  };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('a server did not start in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    process.exit(1);
  },
);
