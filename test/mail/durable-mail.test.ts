import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { finishAtApp } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

let admin: Redis;
const prefix = uniquePrefix('durable-mail');
// Registered before useSesame's: jest runs afterAll hooks in the order they were registered, and
// this client must be gone before its Redis stops.
afterAll(() => admin?.disconnect());
// What the process logs of its mail, at warn as an operator may set it: failed attempts are warnings.
const logLines: string[] = [];
const logger = createLogger({ level: 'warn', destination: new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }) });
const running = useSesame({ keyPrefix: prefix, logger });
beforeAll(() => {
  admin = new Redis(running.redis.url);
});

/** Everything BullMQ keeps of the mail queue, as raw text: what a stolen Redis dump would show. */
async function rawQueueContents(): Promise<string> {
  const keys = await admin.keys(`{${prefix}mail}*`);
  const parts: string[] = [];
  for (const key of keys) {
    const type = await admin.type(key);
    if (type === 'hash') parts.push(JSON.stringify(await admin.hgetall(key)));
    else if (type === 'string') parts.push(String(await admin.get(key)));
    // The events stream (BullMQ's 'failed' events carry the reason), the lists and sets of job ids.
    else if (type === 'stream') parts.push(JSON.stringify(await admin.xrange(key, '-', '+')));
    else if (type === 'list') parts.push(JSON.stringify(await admin.lrange(key, 0, -1)));
    else if (type === 'zset') parts.push(JSON.stringify(await admin.zrange(key, '0', '-1')));
    else if (type === 'set') parts.push(JSON.stringify(await admin.smembers(key)));
  }
  return parts.join('\n');
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `sesame_mail_queue_jobs` by state, as Prometheus scrapes it from /metrics. */
async function queueGauge(): Promise<Record<string, number>> {
  const text = await (await fetch(`${running.sesame.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^sesame_mail_queue_jobs\{state="(\w+)"\} (\d+)$/gm)].map(([, state, count]) => [state!, Number(count)]));
}
const backlog = (gauge: Record<string, number>) => (gauge.waiting ?? 0) + (gauge.active ?? 0) + (gauge.delayed ?? 0);

describe('sign-in mail through the durable queue', () => {
  it('answers at once while SMTP is down, keeps the mail sealed in Redis, and sends it when SMTP returns', async () => {
    const email = 'smtp-outage@example.com';
    const failuresBefore = (await running.sesame.metrics.mailSendFailures.get()).values[0]?.value ?? 0;
    await running.smtp.pause();
    let stored: string;
    const browser = new HttpBrowser();
    const pending = await running.rp.startAuthorization();
    try {
      const emailPage = await browser.navigate(pending.url);
      const uid = emailPage.url.split('/').pop()!;
      const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(emailPage.html, '/email'), email } });
      // The answer came before any mail could have been sent: the relay is down.
      expect(check.status).toBe(200);
      expect(check.url).toBe(`${running.sesame.url}/interaction/${uid}/check`);
      expect(running.smtp.messages.some((m) => m.to === email)).toBe(false);
      // The worker really tried, and failed, while the relay was down.
      await until(async () => ((await running.sesame.metrics.mailSendFailures.get()).values[0]?.value ?? 0) > failuresBefore, 'a failed delivery attempt');
      stored = await rawQueueContents();
      expect(stored).toContain('sealed');
      // The backlog shows on /metrics, for an alert to see (config/prometheus-alerts.yml).
      expect(backlog(await queueGauge())).toBe(1);
    } finally {
      await running.smtp.resume();
    }
    const mail = await running.smtp.waitForMail(email, { timeoutMs: 20_000 });
    // Nothing of the mail was readable in Redis while it waited.
    expect(stored).not.toContain(email);
    expect(stored).not.toContain(new URL(mail.link!).searchParams.get('t'));
    expect(stored).not.toMatch(new RegExp(`(?<!\\d)${mail.code}(?!\\d)`));

    // And the mail that arrived late still signs in.
    const uid = new URL(mail.link!).pathname.split('/')[2]!;
    const check = await browser.navigate(`${running.sesame.url}/interaction/${uid}/check`);
    const done = await browser.navigate(`${running.sesame.url}/interaction/${uid}/code`, { form: { ...formFields(check.html, '/code'), code: mail.code! } });
    const tokens = await running.rp.handleCallback(await finishAtApp(browser, done), pending);
    expect(tokens.claims()!.email).toBe(email);
    // A sent mail leaves nothing in the queue.
    await until(async () => !(await rawQueueContents()).includes('sealed'), 'the sent job to be removed');
    expect(await queueGauge()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  });

  // Last: the job it gives up stays in the queue (sealed) for a day, for inspection.
  it('gives up at once on a mail the relay refuses for good (550 to the recipient), instead of retrying it for minutes', async () => {
    const email = 'no-such-mailbox@example.com';
    running.smtp.refuse(email);
    const value = async (counter: { get(): Promise<{ values: { value: number }[] }> }) => (await counter.get()).values[0]?.value ?? 0;
    const [failedBefore, attemptsBefore] = [await value(running.sesame.metrics.mailsFailed), await value(running.sesame.metrics.mailSendFailures)];
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate((await running.rp.startAuthorization()).url);
    const check = await browser.navigate(`${emailPage.url}/email`, { form: { ...formFields(emailPage.html, '/email'), email } });
    expect(check.url).toMatch(/\/check$/);
    await until(async () => (await value(running.sesame.metrics.mailsFailed)) === failedBefore + 1, 'the mail given up');
    // One attempt, not the ten a passing failure gets.
    expect(await value(running.sesame.metrics.mailSendFailures)).toBe(attemptsBefore + 1);
    expect(running.smtp.messages.filter((mail) => mail.to === email)).toEqual([]);
    // Kept, and counted, among the failed.
    expect(await queueGauge()).toMatchObject({ failed: 1, waiting: 0, delayed: 0 });
    // The relay's answer named the address (Postfix's "550 5.1.1 <address>: Recipient address
    // rejected"): what is kept of the failure, in the job, in BullMQ's events and in the log, says
    // what the relay answered without whom it was about. The job itself stays sealed.
    const kept = await rawQueueContents();
    expect(kept).toContain('550');
    expect(kept).not.toContain(email);
    const logged = logLines.join('');
    expect(logged).toContain('550 5.1.1');
    expect(logged).not.toContain(email);
  });
});
