import { describe, expect, it } from '@jest/globals';
import { createDurableMailQueue } from '../../src/mail/durable-mail-queue.ts';
import type { MailJob } from '../../src/mail/mail-job.ts';
import { startMailWorker } from '../../src/mail/mail-worker.ts';
import { useMailQueueRedis } from '../helpers/mail-queue-redis.ts';

const queueRedis = useMailQueueRedis('queue-order');

const logoutToken = (clientId: string): MailJob => ({ kind: 'backchannel-logout', clientId, logoutToken: 'h.p.s', expiresAt: Math.floor(Date.now() / 1000) + 120 });
const signInMail = (to: string): MailJob => ({ kind: 'sign-in', to, clientName: 'App', link: 'http://x/interaction/u/link?t=x', code: '123456', expiresAt: new Date(Date.now() + 600_000).toISOString() });
const nameOf = (job: MailJob) => (job.kind === 'backchannel-logout' ? job.clientId : job.kind === 'sign-in' ? job.to : job.kind);

describe('the durable queue\'s order', () => {
  it('a sign-in mail queued behind logout tokens goes out before them', async () => {
    const { connection, workerConnection, prefix, secretBox } = queueRedis;
    const queue = createDurableMailQueue({ connection, prefix, secretBox, attempts: 1, backoffMs: 10 });
    const delivered: string[] = [];
    // The first job holds the worker's one slot until the rest are queued, as a slow app would.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await queue.enqueue(logoutToken('slow-app'));
    const worker = startMailWorker({
      connection: workerConnection,
      prefix,
      secretBox,
      concurrency: 1,
      deliver: async (job) => {
        if (delivered.length === 0) await held;
        delivered.push(nameOf(job));
      },
    });
    try {
      for (const app of ['app-1', 'app-2', 'app-3']) await queue.enqueue(logoutToken(app));
      await queue.enqueue(signInMail('waiting@example.com'));
      release();
      await queue.idle();
      expect(delivered).toEqual(['slow-app', 'waiting@example.com', 'app-1', 'app-2', 'app-3']);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
