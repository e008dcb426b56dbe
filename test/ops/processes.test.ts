import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { spawnNode } from '../helpers/node-process.ts';
import { freePort, startRedis, uniquePrefix, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { prepareSesameDir, startSesameProcess, type SesameProcess } from '../helpers/sesame-process.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';

// Sesame as operators run it: separate processes on one Redis, killed and stopped by signals.

let redis: StartedRedis;
let smtp: SmtpSink;
let dir: string;
let env: Record<string, string>;
const running: SesameProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtpSink();
  // Quick retries, so the test does not wait through production's backoff.
  ({ dir, env } = prepareSesameDir({ mailQueue: { attempts: 50, backoffMs: 200, concurrency: 2, ceiling: 50_000 } }));
  Object.assign(env, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('processes'), SMTP_URL: smtp.url });
});

afterAll(async () => {
  for (const sesame of running) await sesame.stop();
  await smtp?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function start(role?: 'worker', extra: Record<string, string> = {}): Promise<{ sesame: SesameProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sesame = await startSesameProcess({ dir, env: { ...env, PORT: String(port), ISSUER: url, ...extra }, role });
  running.push(sesame);
  return { sesame, url };
}

describe('start-up', () => {
  it('a port already in use is one clear log line and exit 1, not a stack trace', async () => {
    const port = await freePort();
    const holder = createServer().listen(port, '0.0.0.0');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      const child = spawnNode('src/main.ts', [], { cwd: dir, env: { ...env, PORT: String(port), ISSUER: `http://127.0.0.1:${port}` } });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise((resolveExit) => child.once('exit', resolveExit));
      expect(code).toBe(1);
      expect(output).toContain(`cannot listen: port ${port} is already in use`);
      expect(output).not.toMatch(/Unhandled 'error' event|\n\s+at /);
    } finally {
      holder.close();
    }
  });
});

describe('mail that is never lost', () => {
  it('delivers a mail queued by a process that was killed, from a worker started afterwards (npm run worker)', async () => {
    const email = 'survivor@example.com';
    await smtp.pause();
    const { sesame: web, url } = await start(undefined, { MAIL_WORKER: 'on' });
    const rp = await startRelyingParty(url);
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate((await rp.startAuthorization()).url);
    const uid = emailPage.url.split('/').pop()!;
    const check = await browser.navigate(`${url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email } });
    expect(check.url).toBe(`${url}/interaction/${uid}/check`);
    // It tried to send, failed (the relay is down), and is killed without a chance to clean up.
    await web.waitForOutput(/sign-in mail failed, will retry/);
    web.child.kill('SIGKILL');
    expect(await web.exited()).toBeNull();

    await smtp.resume();
    const { sesame: worker, url: workerUrl } = await start('worker');
    const mail = await smtp.waitForMail(email, { timeoutMs: 20_000 });
    expect(mail.link).toContain(`${url}/interaction/${uid}/link?t=`);

    // The worker process answers probes and counts what it sent.
    expect((await fetch(`${workerUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${workerUrl}/metrics`)).text()).toMatch(/^sesame_mails_sent_total 1$/m);
    worker.child.kill('SIGTERM');
    expect(await worker.exited()).toBe(0);
  });
});

describe('graceful shutdown on SIGTERM', () => {
  it('stops accepting, finishes the request in flight, then closes the mail worker and Redis and exits 0', async () => {
    const { sesame, url } = await start();
    const { port } = new URL(url);
    // A request whose body is still arriving: in flight from the server's point of view.
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    const responded = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const body = 'email=late%40example.com&csrf=x';
    // "Expect: 100-continue": the server answers "100 Continue" once it has taken the request in hand.
    socket.write(`POST /interaction/some-uid/email HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nAccept: text/html\r\nExpect: 100-continue\r\n\r\n`);
    await new Promise<void>((resolve) => {
      const check = () => (response.includes('100 Continue') ? (socket.off('data', check), resolve()) : undefined);
      socket.on('data', check);
    });
    socket.write(body.slice(0, 10));

    sesame.child.kill('SIGTERM');
    await sesame.waitForOutput(/shutting down/);
    // No new connections...
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    // ...but the one in flight gets its whole answer.
    socket.write(body.slice(10));
    // The server closes the connection after the answer: it is shutting down.
    await responded;
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 403 /);
    expect(response).toContain('This form has expired');
    expect(await sesame.exited()).toBe(0);
    expect(sesame.output()).toMatch(/"msg":"shut down"/);
    const lines = sesame.output().split('\n').filter((l) => l.includes('"msg":"request"'));
    expect(lines.some((l) => l.includes('"path":"/interaction/some-uid/email"') && l.includes('"status":403'))).toBe(true);
  });
});
