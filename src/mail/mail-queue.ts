import type { SignInMailJob } from './sign-in-mail-job.ts';

export interface MailQueue {
  /** Resolves once the job is accepted, before anything is sent: mail never waits on the request path. */
  enqueue(job: SignInMailJob): Promise<void>;
  /** Resolves when every accepted job is sent or has failed for good. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface InProcessMailQueueOptions {
  deliver: (job: SignInMailJob) => Promise<unknown>;
  /** Retries after the first failure. @default 5 */
  retries?: number;
  /** @default exponential from 500 ms, capped at 30 s */
  backoffMs?: (attempt: number) => number;
  /** @default 4 */
  concurrency?: number;
  onError?: (error: unknown, job: SignInMailJob, attempt: number, final: boolean) => void;
}

/**
 * A queue in this process's memory: enough for one process and the embedded mode. What is
 * queued is lost if the process dies; the durable Redis-backed queue is the production answer.
 */
export function createInProcessMailQueue({
  deliver,
  retries = 5,
  backoffMs = (attempt) => Math.min(500 * 2 ** (attempt - 1), 30_000),
  concurrency = 4,
  onError = () => {},
}: InProcessMailQueueOptions): MailQueue {
  const waiting: { job: SignInMailJob; attempt: number }[] = [];
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
      void attemptDelivery(item).finally(() => {
        running--;
        pump();
        settleIdle();
      });
    }
  }

  async function attemptDelivery({ job, attempt }: { job: SignInMailJob; attempt: number }) {
    try {
      await deliver(job);
    } catch (error) {
      const final = closed || attempt > retries;
      onError(error, job, attempt, final);
      if (final) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        waiting.push({ job, attempt: attempt + 1 });
        pump();
        settleIdle();
      }, backoffMs(attempt));
      timer.unref();
      timers.add(timer);
    }
  }

  return {
    async enqueue(job) {
      if (closed) throw new Error('mail queue is closed');
      waiting.push({ job, attempt: 1 });
      queueMicrotask(pump);
    },
    idle() {
      return isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
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
