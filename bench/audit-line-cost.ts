// `npm run bench:audit`: the CPU one audit line costs (README "Audit log", Cost), measured as the
// README states it: written synchronously to /dev/null, inside a request's origin as the app's
// middleware sets it. Pin it to one core (`taskset -c 1 npm run bench:audit`) for steady numbers.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import Koa from 'koa';
import { pino } from 'pino';
import { createLogger } from '../src/logger.ts';
import { createAuditLog, type AuditEvent } from '../src/observability/audit-log.ts';
import { noteReplayedGrantSource } from '../src/oidc/replayed-grant-source.ts';

const LINES = 200_000;
const ROUNDS = 5;
const logger = createLogger({ level: 'warn', destination: pino.destination({ dest: '/dev/null', sync: true }) });
const audit = createAuditLog({ logger, hmacKey: 'k'.repeat(43) });

// A request as Koa hands it to the middleware: the origin is read from it for every line.
const req = new IncomingMessage(new Socket());
req.headers['user-agent'] = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const ctx = new Koa().createContext(req, new ServerResponse(req));
Object.defineProperty(ctx.request, 'ip', { value: '203.0.113.9' });
ctx.state.requestId = '4077eded-e0c5-4e1c-b7b8-f52485dbccc2';

async function microsecondsPerLine(event: AuditEvent, browser: boolean): Promise<number[]> {
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await audit.trackRequests({ browser })(ctx, async () => {
      const start = process.cpuUsage();
      for (let i = 0; i < LINES; i++) audit.record(event);
      const used = process.cpuUsage(start);
      rounds.push((used.user + used.system) / LINES);
    });
  }
  return rounds.sort((a, b) => a - b);
}

const accountId = '4077eded-e0c5-4e1c-b7b8-f52485dbccc2';
const cases: [string, AuditEvent, boolean][] = [
  ['sign_in.completed (a browser)', { event: 'sign_in.completed', accountId, clientId: 'my-app', amr: ['email'], acr: 'urn:sesame:acr:email' }, true],
  ['sign_in.mail_requested (a browser, keyed hash)', { event: 'sign_in.mail_requested', clientId: 'my-app', address: 'alice@example.com' }, true],
  ['token.refreshed (an app: no browser)', { event: 'token.refreshed', clientId: 'my-app', accountId }, false],
];
for (const [name, event, browser] of cases) {
  const rounds = await microsecondsPerLine(event, browser);
  console.log(`${name}: median ${rounds[2]!.toFixed(1)} µs of CPU per line (${rounds.map((r) => r.toFixed(1)).join(', ')})`);
}

// Every record the adapter finds goes through this; all but a replayed one return at once.
const found = { accountId, grantId: 'g', clientId: 'my-app', exp: 1 } as Parameters<typeof noteReplayedGrantSource>[0];
const start = process.cpuUsage();
for (let i = 0; i < 10_000_000; i++) noteReplayedGrantSource(found);
const used = process.cpuUsage(start);
console.log(`noteReplayedGrantSource, a record not used before: ${(((used.user + used.system) * 1000) / 10_000_000).toFixed(1)} ns`);
