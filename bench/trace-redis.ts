// `npm run bench:trace`: one complete sign-in at concurrency 1 with every Redis command Sesame sends,
// grouped by the HTTP request in flight. The tool for finding round trips to remove.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { generateSigningKeys } from '../src/config/signing-keys.ts';
import { exchangeCode, refresh, sesameSignInUntilCode } from './load/flows.ts';
import { HttpSession, keepAliveAgent } from './load/http-session.ts';
import { startMailSink } from './load/mail-sink.ts';
import { startTripCounter } from './load/redis-trip-counter.ts';
import { benchClients } from './servers/bench-clients.ts';

const scratch = mkdtempSync(join(tmpdir(), 'sesame-trace-'));
const freePort = () => new Promise<number>((ok) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => ok(port)); }); });

const redisPort = await freePort();
const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const mail = await startMailSink();
await new Promise((r) => setTimeout(r, 300));
const counter = await startTripCounter(redisPort);
writeFileSync(join(scratch, 'jwks.json'), JSON.stringify(generateSigningKeys()));
writeFileSync(join(scratch, 'clients.json'), JSON.stringify(benchClients('ES256')));
const port = await freePort();
const sesame = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', resolve('src/main.ts')], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, REDIS_URL: `redis://127.0.0.1:${counter.port}`,
    SMTP_URL: mail.url, MAIL_FROM: 'Sesame <no-reply@bench.example>', CLIENTS_FILE: join(scratch, 'clients.json'), JWKS_FILE: join(scratch, 'jwks.json'),
    COOKIE_KEYS: randomBytes(32).toString('base64url'), HMAC_KEY: randomBytes(32).toString('base64url'), ENCRYPTION_KEYS: `trace:${randomBytes(32).toString('base64url')}`, LOG_LEVEL: 'warn',
  },
});
const origin = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${origin}/.well-known/openid-configuration`)).ok) break; } catch { /* starting */ }
  if (i > 200) throw new Error('Sesame did not start');
  await new Promise((r) => setTimeout(r, 100));
}
const target = { origin, agent: keepAliveAgent(2) };
const signIn = async () => { const { code, verifier } = await sesameSignInUntilCode(target, mail, 'trace@bench.example'); await exchangeCode(target, code, verifier); };
await signIn();

const monitor = await new Redis(redisPort, '127.0.0.1').monitor();
const lines: string[] = [];
monitor.on('monitor', (_time: string, args: string[], source: string) => lines.push(`${source.includes('lua') ? '    (lua) ' : ''}${args.map((a) => a.replace(/^sesame:/, '').slice(0, 70)).join(' ').slice(0, 160)}`));
await new Promise((r) => setTimeout(r, 100));
let tripsBefore = 0;
let total = 0;
const requestPath = 'web:store';
const workerBefore = counter.trips('mail-worker');
HttpSession.observe = {
  before: (method, path) => {
    tripsBefore = counter.trips(requestPath);
    counter.log.length = 0;
    lines.push(`\n== ${method} ${path}`);
  },
  after: () => {
    const trips = counter.trips(requestPath) - tripsBefore;
    total += trips;
    lines.push(`   -- ${trips} round trip(s)${process.env.TRACE_TRIPS ? `\n${counter.log.map((l) => `      > ${l.slice(0, 110)}`).join('\n')}` : ''}`);
  },
};
await signIn();
await new Promise((r) => setTimeout(r, 300));
const signInTotal = total;
const workerTrips = counter.trips('mail-worker') - workerBefore;

// A refresh with rotation, as the bench measures it: the sign-in that makes its token is not traced.
const observe = HttpSession.observe;
HttpSession.observe = undefined;
const offline = await sesameSignInUntilCode(target, mail, 'trace@bench.example', { scope: 'openid email offline_access', prompt: 'consent' });
const { refresh_token: refreshToken } = await exchangeCode(target, offline.code, offline.verifier);
await new Promise((r) => setTimeout(r, 300));
lines.push('\n\n#### a refresh with rotation');
total = 0;
HttpSession.observe = observe;
await refresh(target, refreshToken!);
HttpSession.observe = undefined;
process.stdout.write(`${lines.join('\n')}\n\n${signInTotal} round trips on the request path of a sign-in (the store's connection), ${workerTrips} by the mail worker for its mail; ${total} for a refresh\n`);
monitor.disconnect();
sesame.kill();
redisServer.kill();
target.agent.destroy();
await mail.close();
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
