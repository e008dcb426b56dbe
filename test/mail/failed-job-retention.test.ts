import { describe, expect, it } from '@jest/globals';
import { createDurableMailQueue } from '../../src/mail/durable-mail-queue.ts';
import { startMailWorker } from '../../src/mail/mail-worker.ts';
import type { SignInMailJob } from '../../src/mail/sign-in-mail-job.ts';
import { useMailQueueRedis } from '../helpers/mail-queue-redis.ts';

// README "Mail that is never lost": a job given up is kept a day, sealed, then goes. BullMQ applies
// removeOnFail's age only when another job fails; on a quiet queue the worker's schedule removes it.
// Here the day is a second and the schedule a fifth of one.

const queueRedis = useMailQueueRedis('failed-retention');

const mail: SignInMailJob = { kind: 'sign-in', to: 'given-up@example.com', clientName: 'App', link: 'http://x/interaction/u/link?t=x', code: '123456', expiresAt: new Date(Date.now() + 600_000).toISOString() };

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a mail given up', () => {
  it('is kept for its time, then removed though no other job fails after it', async () => {
    const { connection, workerConnection, prefix, secretBox } = queueRedis;
    const keepFailedSeconds = 1;
    const queue = createDurableMailQueue({ connection, prefix, secretBox, attempts: 1, backoffMs: 10, keepFailedSeconds });
    const worker = startMailWorker({ connection: workerConnection, prefix, secretBox, concurrency: 1, keepFailedSeconds, cleanEveryMs: 200, deliver: async () => {
      throw new Error('relay down');
    } });
    try {
      await queue.enqueue(mail);
      await until(async () => (await queue.jobCounts()).failed === 1, 'the mail given up');
      const failedAt = Date.now();
      // Kept while younger than its time, for inspection, across several cleaning rounds...
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect((await queue.jobCounts()).failed).toBe(1);
      const jobKey = `${prefix}:sign-in-mail:1`;
      expect(await connection.exists(jobKey)).toBe(1);
      // ...and gone soon after, with nothing else failing meanwhile.
      await until(async () => (await queue.jobCounts()).failed === 0, 'the mail removed', 5000);
      expect(Date.now() - failedAt).toBeGreaterThanOrEqual(keepFailedSeconds * 1000 - 50);
      expect(await connection.exists(jobKey)).toBe(0);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('in a flood of failures, only the newest are kept: as many as the queue\'s ceiling', async () => {
    const { connection, workerConnection, prefix, secretBox } = queueRedis;
    const queue = createDurableMailQueue({ connection, prefix, secretBox, attempts: 1, backoffMs: 10, keepFailedAtMost: 2 });
    const failed: string[] = [];
    const worker = startMailWorker({ connection: workerConnection, prefix, secretBox, concurrency: 1, deliver: async (job) => {
      failed.push((job as SignInMailJob).to);
      throw new Error('relay down');
    } });
    try {
      for (const to of ['one@example.com', 'two@example.com', 'three@example.com']) {
        await queue.enqueue({ ...mail, to });
        // One at a time, so that the oldest is known: each is given up before the next is queued.
        await until(async () => failed.includes(to) && (await queue.jobCounts()).active === 0, `${to} given up`);
      }
      await until(async () => failed.length === 3, 'three given up');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await queue.jobCounts()).failed).toBe(2);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
