import { describe, expect, it } from '@jest/globals';
import { createInProcessMailQueue } from '../../src/mail/mail-queue.ts';
import type { SignInMailJob } from '../../src/mail/sign-in-mail-job.ts';

const job = (to: string): SignInMailJob => ({ kind: 'sign-in', to, clientName: 'App', link: 'http://x/interaction/u/link?t=x', code: '123456', expiresAt: new Date().toISOString() });
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('in-process mail queue', () => {
  it('does not start a job before its notBefore settles (the answer that queued it has left), and idle() waits for it', async () => {
    const delivered: string[] = [];
    const queue = createInProcessMailQueue({ deliver: async (j) => void delivered.push(j.to) });
    let answerLeft!: () => void;
    await queue.enqueue(job('held@example.com'), { notBefore: new Promise<void>((resolve) => (answerLeft = resolve)) });
    await queue.enqueue(job('free@example.com'));
    await tick();
    expect(delivered).toEqual(['free@example.com']);
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    answerLeft();
    await queue.idle();
    expect(delivered).toEqual(['free@example.com', 'held@example.com']);
    await queue.close();
  });

  it('a notBefore that fails still lets the job go out', async () => {
    const delivered: string[] = [];
    const queue = createInProcessMailQueue({ deliver: async (j) => void delivered.push(j.to) });
    await queue.enqueue(job('after-error@example.com'), { notBefore: Promise.reject(new Error('connection reset')) });
    await queue.idle();
    expect(delivered).toEqual(['after-error@example.com']);
    await queue.close();
  });
});
