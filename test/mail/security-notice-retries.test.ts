import { describe, expect, it } from '@jest/globals';
import { createDurableMailQueue, mailQueueLocation } from '../../src/mail/durable-mail-queue.ts';
import type { SecurityNoticeJob } from '../../src/mail/security-notice-job.ts';
import { createRedisClient } from '../../src/store/redis-connection.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { uniquePrefix } from '../helpers/redis.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// A sign-in mail is tried 3 times, 20 ms then 40 ms apart: given up within a fraction of a second.
const running = useSesame({ keyPrefix: uniquePrefix('notice-retries'), config: { mailQueue: { worker: 'on', attempts: 3, backoffMs: 20, concurrency: 4, ceiling: 50_000 } } });

const value = async (counter: { get(): Promise<{ values: { value: number }[] }> }) => (await counter.get()).values[0]?.value ?? 0;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a security notice through a relay outage (durable queue)', () => {
  it('is still sent when the relay returns after a sign-in mail queued beside it was given up', async () => {
    const signInAddress = 'outage-sign-in@example.com';
    const notice: SecurityNoticeJob = { kind: 'security-notice', to: 'outage-notice@example.com', event: 'totp-added', at: new Date().toISOString(), device: 'Firefox on Linux' };
    const [failedBefore, attemptsBefore] = [await value(running.sesame.metrics.mailsFailed), await value(running.sesame.metrics.mailSendFailures)];
    await running.smtp.pause();
    try {
      // The notice as the CLI queues one (`user change-email`), on the servers' queue.
      const connection = createRedisClient(running.sesame.config.redis, { policy: 'fail-fast', connectionName: 'test:notice-retries' });
      await connection.connect();
      const queue = createDurableMailQueue({ connection, ...mailQueueLocation(running.sesame.config), attempts: running.sesame.config.mailQueue.attempts, backoffMs: running.sesame.config.mailQueue.backoffMs });
      await queue.enqueue(notice);
      await queue.close();
      connection.disconnect();
      const browser = new HttpBrowser();
      const emailPage = await browser.navigate((await running.rp.startAuthorization()).url);
      const check = await browser.navigate(`${emailPage.url}/email`, { form: { ...formFields(emailPage.html, '/email'), email: signInAddress } });
      expect(check.url).toMatch(/\/check$/);
      // The sign-in mail's whole schedule passes: it is given up, the notice is not.
      await until(async () => (await value(running.sesame.metrics.mailsFailed)) > failedBefore, 'the sign-in mail given up');
      const attemptsAtGiveUp = await value(running.sesame.metrics.mailSendFailures);
      // ...and then some: the notice keeps being tried, well past the sign-in mail's 3 attempts.
      await until(async () => (await value(running.sesame.metrics.mailSendFailures)) >= attemptsAtGiveUp + 3, 'the notice tried past 3 attempts');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await value(running.sesame.metrics.mailsFailed)).toBe(failedBefore + 1);
      expect(await value(running.sesame.metrics.mailSendFailures)).toBeGreaterThan(attemptsBefore + 6);
    } finally {
      await running.smtp.resume();
    }
    const mail = await running.smtp.waitForMail(notice.to, { timeoutMs: 10_000, match: (m) => m.text.includes('An authenticator app was set up') });
    expect(mail.to).toBe(notice.to);
    // The sign-in mail stays given up (its code would have expired in a real outage of this length).
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((m) => m.to === signInAddress)).toEqual([]);
  });
});
