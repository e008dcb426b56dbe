import { describe, expect, it } from '@jest/globals';
import { createDurableMailQueue } from '../../src/mail/durable-mail-queue.ts';
import { createInProcessMailQueue, type MailQueue } from '../../src/mail/mail-queue.ts';
import { startMailWorker, type MailWorker } from '../../src/mail/mail-worker.ts';
import type { SecurityNoticeJob } from '../../src/mail/security-notice-job.ts';
import { useMailQueueRedis } from '../helpers/mail-queue-redis.ts';

// A security notice is held before the change it tells of is made (src/mail/security-notices.ts):
// released, it goes out at once; cancelled, never; left alone (whatever failed after the hold),
// when its hold ends. Both queues, with their real timers and, for the durable one, a real worker.

const HOLD_MS = 1500;
const notice = (to: string): SecurityNoticeJob => ({ kind: 'security-notice', to, event: 'totp-removed', at: new Date().toISOString(), device: 'Firefox on Linux' });

const queueRedis = useMailQueueRedis('held-mail');

async function until(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function heldMailBehaviour(queue: MailQueue, delivered: { to: string; afterMs: number }[]) {
  const start = Date.now();
  const [released, cancelled, left] = await Promise.all(['released@example.com', 'cancelled@example.com', 'left@example.com'].map((to) => queue.hold(notice(to), HOLD_MS)));
  await released!.release();
  await cancelled!.cancel();
  await until(() => delivered.some((mail) => mail.to === 'released@example.com'), 'the released notice');
  // Released: sent at once, well before its hold would have ended.
  expect(Date.now() - start).toBeLessThan(HOLD_MS);
  await until(() => delivered.some((mail) => mail.to === 'left@example.com'), 'the notice left held');
  // Left alone (the request that held it failed before releasing it): sent when its hold ended.
  expect(delivered.find((mail) => mail.to === 'left@example.com')!.afterMs).toBeGreaterThanOrEqual(HOLD_MS - 50);
  await queue.idle();
  // Cancelled (the change was not made): never sent. A release or cancel after the fact changes nothing.
  await Promise.all([released!.release(), released!.cancel(), cancelled!.release(), left!.cancel()]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await queue.idle();
  expect(delivered.map((mail) => mail.to).sort()).toEqual(['left@example.com', 'released@example.com']);
}

describe('a mail held until the change it tells of is made', () => {
  it('in the process: released goes out at once, cancelled never, left alone when its hold ends', async () => {
    const delivered: { to: string; afterMs: number }[] = [];
    let start = Date.now();
    const queue = createInProcessMailQueue({ deliver: async (job) => void delivered.push({ to: (job as SecurityNoticeJob).to, afterMs: Date.now() - start }) });
    start = Date.now();
    await heldMailBehaviour(queue, delivered);
    expect(await queue.jobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await queue.close();
  });

  it('in Redis: the same, sent by a worker, and nothing of the cancelled one is left behind', async () => {
    const { connection, workerConnection, prefix, secretBox } = queueRedis;
    const queue = createDurableMailQueue({ connection, prefix, secretBox, attempts: 1, backoffMs: 10 });
    const delivered: { to: string; afterMs: number }[] = [];
    let start = Date.now();
    let worker: MailWorker | undefined;
    try {
      worker = startMailWorker({ connection: workerConnection, prefix, secretBox, concurrency: 4, deliver: async (job) => void delivered.push({ to: (job as SecurityNoticeJob).to, afterMs: Date.now() - start }) });
      start = Date.now();
      await heldMailBehaviour(queue, delivered);
      expect(await queue.jobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await worker?.close();
      await queue.close();
    }
  });
});
