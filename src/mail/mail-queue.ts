import type { MailJob } from './mail-job.ts';
import { isPermanentRejection } from './permanent-rejection.ts';
import type { RetrySchedule } from './retry-schedule.ts';

export interface EnqueueOptions {
  /**
   * Delivery does not start before this settles: the answer to the request that queued the job
   * has left. In this process the worker's work (an account lookup, rendering, SMTP) would
   * otherwise share the event loop with that answer, and its time would show in it only for the
   * addresses that get mail (an enumeration signal; see test/flows/enumeration-timing.test.ts).
   */
  notBefore?: Promise<unknown>;
}

/**
 * A mail accepted before the change it tells of is made (a security notice): it goes out when its
 * hold ends unless released sooner or cancelled. Neither throws: where the queue cannot be reached
 * then, the mail goes out when its hold ends, which errs towards telling.
 */
export interface HeldMail {
  /** The change was made: send it now. */
  release(): Promise<void>;
  /** The change was not made (a wrong code, an address taken meanwhile): do not send it. */
  cancel(): Promise<void>;
}

export interface MailQueue {
  /** Resolves once the job is accepted, before anything is sent: mail never waits on the request path. */
  enqueue(job: MailJob, options?: EnqueueOptions): Promise<void>;
  /**
   * Resolves once the job is accepted, to be sent after `holdMs` unless released or cancelled
   * first. What a change must not be made without: accepted before the change, it is in the
   * queue whatever fails after it (src/mail/security-notices.ts).
   */
  hold(job: MailJob, holdMs: number): Promise<HeldMail>;
  /** Resolves when every accepted job is sent or has failed for good. */
  idle(): Promise<void>;
  /** How many jobs are in each state now (the metrics' `sesame_mail_queue_jobs`). */
  jobCounts(): Promise<MailJobCounts>;
  close(): Promise<void>;
}

/**
 * waiting: to be sent as soon as a worker is free; active: being sent; delayed: waiting to be
 * tried again after a failure, or held (a security notice before its change, `hold`); failed:
 * given up (the durable queue keeps them a day).
 */
export type MailJobCounts = Record<'waiting' | 'active' | 'delayed' | 'failed', number>;

export interface InProcessMailQueueOptions {
  deliver: (job: MailJob) => Promise<unknown>;
  /** Retries after the first failure. @default 5 */
  retries?: number;
  /** @default exponential from 500 ms, capped at 30 s */
  backoffMs?: (attempt: number) => number;
  /** A schedule of its own for some jobs (security notices: src/mail/retry-schedule.ts); the two above for the rest. */
  scheduleFor?: (job: MailJob) => RetrySchedule | undefined;
  /** @default 4 */
  concurrency?: number;
  onError?: (error: unknown, job: MailJob, attempt: number, final: boolean) => void;
}

interface Waiting {
  job: MailJob;
  attempt: number;
  notBefore?: Promise<unknown>;
}

/**
 * A queue in this process's memory: enough for one process and the embedded mode. What is
 * queued is lost if the process dies; the durable Redis-backed queue is the production answer.
 */
export function createInProcessMailQueue({
  deliver,
  retries = 5,
  backoffMs = (attempt) => Math.min(500 * 2 ** (attempt - 1), 30_000),
  scheduleFor = () => undefined,
  concurrency = 4,
  onError = () => {},
}: InProcessMailQueueOptions): MailQueue {
  const defaultSchedule: RetrySchedule = { attempts: retries + 1, delayMs: backoffMs };
  const waiting: Waiting[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let running = 0;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const isIdle = () => running === 0 && waiting.length === 0 && timers.size === 0;
  const settleIdle = () => {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  function pump() {
    while (!closed && running < concurrency && waiting.length > 0) {
      const item = waiting.shift()!;
      running++;
      const ready = item.notBefore ? item.notBefore.then(() => undefined, () => undefined) : Promise.resolve();
      void ready.then(() => attemptDelivery(item)).finally(() => {
        running--;
        pump();
        settleIdle();
      });
    }
  }

  async function attemptDelivery({ job, attempt }: Waiting) {
    try {
      await deliver(job);
    } catch (error) {
      const schedule = scheduleFor(job) ?? defaultSchedule;
      const final = closed || attempt >= schedule.attempts || isPermanentRejection(error);
      onError(error, job, attempt, final);
      if (final) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        waiting.push({ job, attempt: attempt + 1 });
        pump();
        settleIdle();
      }, schedule.delayMs(attempt));
      timer.unref();
      timers.add(timer);
    }
  }

  return {
    async enqueue(job, { notBefore } = {}) {
      if (closed) throw new Error('mail queue is closed');
      waiting.push({ job, attempt: 1, notBefore });
      queueMicrotask(pump);
    },
    async hold(job, holdMs) {
      if (closed) throw new Error('mail queue is closed');
      let held = true;
      /** Ends the hold once, whichever comes first: the timer, a release or a cancel. */
      const endHold = (): boolean => {
        if (!held) return false;
        held = false;
        clearTimeout(timer);
        timers.delete(timer);
        return true;
      };
      const send = () => {
        if (!endHold()) return;
        waiting.push({ job, attempt: 1 });
        pump();
      };
      const timer = setTimeout(send, holdMs);
      timer.unref();
      timers.add(timer);
      return {
        async release() {
          send();
        },
        async cancel() {
          if (endHold()) settleIdle();
        },
      };
    },
    idle() {
      return isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    // A job given up is only reported (onError): this queue keeps none.
    async jobCounts() {
      return { waiting: waiting.length, active: running, delayed: timers.size, failed: 0 };
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      waiting.length = 0;
      while (running > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      settleIdle();
    },
  };
}
