import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { SecretBox } from '../auth/secret-box.ts';
import type { RedisClient } from '../store/redis-connection.ts';
import { KEEP_FAILED_SECONDS, MAIL_JOB_ASSOCIATED_DATA, type SealedMailJob } from './durable-mail-queue.ts';
import { MAIL_QUEUE_NAME } from './mail-queue-keys.ts';
import type { MailJob } from './mail-job.ts';
import { isPermanentRejection } from './permanent-rejection.ts';
import { SECURITY_NOTICE_BACKOFF, securityNoticeDelayMs } from './retry-schedule.ts';
import { withoutAddresses } from './without-addresses.ts';

export interface MailWorkerOptions {
  /** A blocking connection (maxRetriesPerRequest: null); BullMQ duplicates it for its blocking reads. The caller closes it. */
  connection: RedisClient;
  prefix: string;
  secretBox: SecretBox;
  deliver: (job: MailJob) => Promise<unknown>;
  concurrency: number;
  /** Called for each failed attempt; `final` when no retry is left. `job` is undefined where it could not be read. */
  onFailure?: (error: Error, job: MailJob | undefined, attempt: number, final: boolean) => void;
  onConnectionError?: (error: Error) => void;
  /** How long a job given up is kept, as the queue was told (durable-mail-queue.ts). @default KEEP_FAILED_SECONDS */
  keepFailedSeconds?: number;
  /** How often the jobs given up longer ago than that are removed. @default 10 minutes */
  cleanEveryMs?: number;
}

/** Removed per script call: each call holds Redis for as long as it deletes. */
const CLEAN_BATCH = 1000;

export interface MailWorker {
  /** Lets the job being sent finish, then stops taking jobs; what is left stays queued for the next worker. */
  close(): Promise<void>;
}

function noticeBackoff(attemptsMade: number, type?: string, _error?: Error, job?: { opts: { backoff?: number | { delay?: number } } }): number {
  const backoff = job?.opts.backoff;
  const firstDelayMs = typeof backoff === 'object' ? backoff.delay : undefined;
  if (type !== SECURITY_NOTICE_BACKOFF || firstDelayMs === undefined) throw new Error(`unknown backoff ${type}`);
  return securityNoticeDelayMs(firstDelayMs, attemptsMade);
}

/** Takes mail off the durable queue and sends it; several workers in several processes can share one queue. */
export function startMailWorker({ connection, prefix, secretBox, deliver, concurrency, onFailure = () => {}, onConnectionError = () => {}, keepFailedSeconds = KEEP_FAILED_SECONDS, cleanEveryMs = 10 * 60_000 }: MailWorkerOptions): MailWorker {
  const open = (job: Job<SealedMailJob>) => JSON.parse(secretBox.open(job.data.sealed, MAIL_JOB_ASSOCIATED_DATA)) as MailJob;
  // Failures of the processor below are reported by it, while the job is still active, so that
  // whoever waits for the queue to be idle finds them reported (the 'failed' event comes only
  // after Redis has moved the job). The event still reports the rest: a job that stalled too often.
  const reported = new WeakSet<Error>();
  const worker = new Worker<SealedMailJob>(
    MAIL_QUEUE_NAME,
    async (job: Job<SealedMailJob>) => {
      const attempt = job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      let mail: MailJob | undefined;
      try {
        mail = open(job);
        await deliver(mail);
      } catch (caught) {
        const error = caught instanceof Error ? caught : new Error(String(caught));
        const permanent = isPermanentRejection(error);
        onFailure(error, mail, attempt, permanent || attempt >= attempts);
        // BullMQ keeps what is thrown in clear (the job's failedReason and stack trace, its events
        // stream): a copy without the addresses a relay's answer may name. An UnrecoverableError
        // is failed at once, whatever attempts are left.
        const kept = withoutAddresses(error.message);
        const thrown = permanent ? new UnrecoverableError(kept) : new Error(kept);
        reported.add(thrown);
        throw thrown;
      }
    },
    {
      connection: connection as never,
      prefix,
      concurrency,
      // A worker that died mid-send gives its job back after this long.
      lockDuration: 30_000,
      stalledInterval: 15_000,
      // The one backoff type BullMQ does not know: a security notice's waits, capped (src/mail/retry-schedule.ts).
      settings: { backoffStrategy: noticeBackoff },
    },
  );
  worker.on('failed', (job, error) => {
    if (!job || reported.has(error)) return;
    let mail: MailJob | undefined;
    try {
      mail = open(job);
    } catch {}
    onFailure(error, mail, job.attemptsMade, job.attemptsMade >= (job.opts.attempts ?? 1));
  });
  worker.on('error', onConnectionError);

  // A job given up holds a sealed mail and the relay's answer: kept a day (README), not more.
  // BullMQ's removeOnFail age is applied only when another job fails, so after a quiet day the
  // last failures would stay until the next one, however far off: removed here on a schedule.
  // Each worker does it (one clean is cheap when there is nothing to remove), and one at a time.
  const failedJobs = new Queue(MAIL_QUEUE_NAME, { connection: connection as never, prefix });
  failedJobs.on('error', () => {});
  let cleaning: Promise<void> | undefined;
  const clean = async () => {
    try {
      for (;;) {
        const removed = await failedJobs.clean(keepFailedSeconds * 1000, CLEAN_BATCH, 'failed');
        if (removed.length < CLEAN_BATCH) return;
      }
    } catch (error) {
      onConnectionError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const cleaner = setInterval(() => {
    cleaning ??= clean().finally(() => (cleaning = undefined));
  }, cleanEveryMs);
  cleaner.unref();
  return {
    async close() {
      clearInterval(cleaner);
      await worker.close();
      // Not waiting for a clean under way: on this connection it waits for Redis however long it
      // is away, and what it did not remove the next worker will.
      await failedJobs.close();
    },
  };
}
