import { describe, expect, it } from '@jest/globals';
import { createInProcessMailQueue } from '../../src/mail/mail-queue.ts';
import type { MailJob } from '../../src/mail/mail-job.ts';
import { PermanentFailure } from '../../src/mail/permanent-rejection.ts';
import { securityNoticeSchedule } from '../../src/mail/retry-schedule.ts';
import type { SecurityNoticeJob } from '../../src/mail/security-notice-job.ts';
import type { SignInMailJob } from '../../src/mail/sign-in-mail-job.ts';

const job = (to: string): SignInMailJob => ({ kind: 'sign-in', to, clientName: 'App', link: 'http://x/interaction/u/link?t=x', code: '123456', expiresAt: new Date().toISOString() });
const to = (j: MailJob) => (j as SignInMailJob).to;
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('in-process mail queue', () => {
  it('does not start a job before its notBefore settles (the answer that queued it has left), and idle() waits for it', async () => {
    const delivered: string[] = [];
    const queue = createInProcessMailQueue({ deliver: async (j) => void delivered.push(to(j)) });
    let answerLeft!: () => void;
    await queue.enqueue(job('held@example.com'), { notBefore: new Promise<void>((resolve) => (answerLeft = resolve)) });
    await queue.enqueue(job('free@example.com'));
    await tick();
    expect(delivered).toEqual(['free@example.com']);
    // The held one is taken and waits for its answer: what /metrics reports as active.
    expect(await queue.jobCounts()).toEqual({ waiting: 0, active: 1, delayed: 0, failed: 0 });
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    answerLeft();
    await queue.idle();
    expect(delivered).toEqual(['free@example.com', 'held@example.com']);
    expect(await queue.jobCounts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await queue.close();
  });

  it('retries a passing failure, and gives up at once on a permanent refusal of the recipient or the message', async () => {
    const attempts: { to: string; attempt: number; final: boolean }[] = [];
    const refusals: Record<string, Error> = {
      'gone@example.com': Object.assign(new Error('550 5.1.1 No such user'), { responseCode: 550, command: 'RCPT TO' }),
      'busy@example.com': Object.assign(new Error('451 4.3.0 Try again later'), { responseCode: 451, command: 'RCPT TO' }),
      'sender@example.com': Object.assign(new Error('553 sender rejected'), { responseCode: 553, command: 'MAIL FROM' }),
      // What a delivery throws when it knows trying again cannot help (an app refusing a logout token).
      'refused@example.com': new PermanentFailure('expected 200 OK, got: 400 Bad Request'),
    };
    const queue = createInProcessMailQueue({
      deliver: async (j) => { throw refusals[to(j)]!; },
      retries: 2,
      backoffMs: () => 1,
      onError: (_error, j, attempt, final) => void attempts.push({ to: to(j), attempt, final }),
    });
    for (const to of Object.keys(refusals)) await queue.enqueue(job(to));
    await queue.idle();
    const finalAttempt = (to: string) => attempts.filter((a) => a.to === to).find((a) => a.final)?.attempt;
    expect(Object.keys(refusals).map((to) => [to, finalAttempt(to)])).toEqual([['gone@example.com', 1], ['busy@example.com', 3], ['sender@example.com', 3], ['refused@example.com', 1]]);
    await queue.close();
  });

  it('keeps trying a security notice through an outage that outlasts a sign-in mail\'s schedule, but not one the relay refuses for good', async () => {
    const notice = (to: string): SecurityNoticeJob => ({ kind: 'security-notice', to, event: 'account-deleted', at: new Date().toISOString(), device: 'Firefox on Linux' });
    const outageEnds = Date.now() + 300;
    const attempts: { to: string; attempt: number; final: boolean }[] = [];
    const delivered: string[] = [];
    const queue = createInProcessMailQueue({
      deliver: async (j) => {
        if (to(j) === 'gone@example.com') throw Object.assign(new Error('550 5.1.1 No such user'), { responseCode: 550, command: 'RCPT TO' });
        if (Date.now() < outageEnds) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ECONNREFUSED' });
        delivered.push(to(j));
      },
      // As src/sesame.ts wires it: a sign-in mail's 3 tries take 3 ms; a notice's schedule, a day.
      retries: 2,
      backoffMs: (attempt) => 2 ** (attempt - 1),
      scheduleFor: (j) => (j.kind === 'security-notice' ? securityNoticeSchedule(1) : undefined),
      onError: (_error, j, attempt, final) => void attempts.push({ to: to(j), attempt, final }),
    });
    await queue.enqueue(job('sign-in@example.com'));
    await queue.enqueue(notice('notice@example.com'));
    await queue.enqueue(notice('gone@example.com'));
    await queue.idle();
    const finalAttempt = (to: string) => attempts.filter((a) => a.to === to).find((a) => a.final)?.attempt;
    expect(finalAttempt('sign-in@example.com')).toBe(3);
    expect(finalAttempt('gone@example.com')).toBe(1);
    expect(finalAttempt('notice@example.com')).toBeUndefined();
    expect(delivered).toEqual(['notice@example.com']);
    await queue.close();
  });

  it('a notBefore that fails still lets the job go out', async () => {
    const delivered: string[] = [];
    const queue = createInProcessMailQueue({ deliver: async (j) => void delivered.push(to(j)) });
    await queue.enqueue(job('after-error@example.com'), { notBefore: Promise.reject(new Error('connection reset')) });
    await queue.idle();
    expect(delivered).toEqual(['after-error@example.com']);
    await queue.close();
  });
});
