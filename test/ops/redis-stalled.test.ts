import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { formFields } from '../helpers/http-browser.ts';
import { freePort, startRedis, type StartedRedis } from '../helpers/redis.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, requestSignInMail, signInWithCode } from '../helpers/sign-in.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { startSesame, type RunningSesame } from '../helpers/start-sesame.ts';

// A Redis that stops answering without closing its connections: a hung process, a partitioned
// network, a long fork or a blocking command on a busy server. Unlike a stop, nothing tells the
// client: only its own command timeout can end the wait. SIGSTOP on the redis-server does exactly
// that (the kernel keeps the sockets open, nothing is read or answered).

let redis: StartedRedis;
let smtp: SmtpSink;
let sesame: RunningSesame;
let rp: RelyingParty;
let pid: number;
beforeAll(async () => {
  redis = await startRedis([], { port: await freePort() });
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
  admin.disconnect();
  smtp = await startSmtpSink();
  sesame = await startSesame({ redisUrl: redis.url, smtpUrl: smtp.url });
  rp = await startRelyingParty(sesame.url);
});
afterAll(async () => {
  process.kill(pid, 'SIGCONT');
  await sesame?.close();
  await smtp?.stop();
  await redis?.stop();
});

/** A request's time to its answer, and the answer. */
async function timed(request: () => Promise<Response>) {
  const started = Date.now();
  const response = await request();
  return { response, ms: Date.now() - started };
}

it('answers 503 within a few seconds while Redis does not answer, and goes on when it does', async () => {
  const { pending, uid, browser, mail, origin } = await requestSignInMail({ rp, smtp }, 'stalled@example.com');
  const check = await browser.navigate(`${origin}/interaction/${uid}/check`);
  const codeForm = { ...formFields(check.html, '/code'), code: mail.code! };

  process.kill(pid, 'SIGSTOP');
  try {
    const code = await timed(() => browser.request(`${origin}/interaction/${uid}/code`, { form: codeForm }));
    expect(code.response.status).toBe(503);
    expect(await code.response.text()).toContain('briefly unavailable');
    expect(code.ms).toBeLessThan(6000);

    const authorize = await timed(async () => fetch((await rp.startAuthorization()).url, { headers: { accept: 'text/html' }, redirect: 'manual', signal: AbortSignal.timeout(15_000) }));
    expect(authorize.response.status).toBe(503);
    expect(authorize.ms).toBeLessThan(6000);

    const readyz = await timed(() => fetch(`${sesame.url}/readyz`, { signal: AbortSignal.timeout(15_000) }));
    expect(readyz.response.status).toBe(503);
    expect(readyz.ms).toBeLessThan(6000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  const deadline = Date.now() + 20_000;
  while ((await fetch(`${sesame.url}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error('Sesame did not become ready again after Redis answered');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The entry that timed out was counted (Redis ran the count when it woke) but never honoured:
  // the code is taken only after the count answers, so it was not spent, and it signs in now.
  const again = await browser.navigate(`${origin}/interaction/${uid}/code`, { form: codeForm });
  expect((await rp.handleCallback(await finishAtApp(browser, again), pending)).claims()!.email).toBe('stalled@example.com');
  expect((await signInWithCode({ rp, smtp }, 'after-stall@example.com')).tokens.claims()!.email).toBe('after-stall@example.com');
});
