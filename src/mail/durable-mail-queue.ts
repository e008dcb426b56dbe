import { Queue } from 'bullmq';
import { deriveSecretBox } from '../auth/derived-secret-box.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { Config } from '../config/config-schema.ts';
import type { RedisClient } from '../store/redis-connection.ts';
import { asStoreError } from '../store/store-unavailable.ts';
import type { HeldMail, MailQueue } from './mail-queue.ts';
import { MAIL_QUEUE_NAME, mailQueuePrefix } from './mail-queue-keys.ts';
import type { MailJob } from './mail-job.ts';
import { SECURITY_NOTICE_BACKOFF, securityNoticeSchedule } from './retry-schedule.ts';

/** The job as it rests in Redis: sealed, because a sign-in mail holds a live link and code. */
export interface SealedMailJob {
  sealed: string;
}

export const MAIL_JOB_ASSOCIATED_DATA = 'sign-in-mail-job';

/** How long a job given up is kept (sealed) for inspection: README "Mail that is never lost". */
export const KEEP_FAILED_SECONDS = 86_400;

/**
 * Where the queue lives in Redis and the key its jobs are sealed with, from the configuration: the
 * web processes, the workers and the CLI must agree on both. Codes and links are stored only as
 * HMACs elsewhere, so the seal is derived from the same secret (rotating HMAC_KEY strands queued mail).
 */
export function mailQueueLocation(config: Pick<Config, 'hmacKey' | 'redis'>): { prefix: string; secretBox: SecretBox } {
  return { prefix: mailQueuePrefix(config.redis.keyPrefix), secretBox: deriveSecretBox([config.hmacKey], 'sesame mail queue v1') };
}

export interface DurableMailQueueOptions {
  /** A fail-fast connection (an enqueue is on the request path); the caller owns and closes it. */
  connection: RedisClient;
  prefix: string;
  /** Seals each job: codes and links are stored only as HMACs everywhere else, so not in clear here either. */
  secretBox: SecretBox;
  /** Delivery attempts before a mail is given up (a security notice is tried for a day instead: src/mail/retry-schedule.ts). */
  attempts: number;
  /** First retry delay; each next one doubles (a security notice's up to 15 minutes). */
  backoffMs: number;
  /** How long a job that failed for good is kept for inspection (the worker removes it after: mail-worker.ts). @default KEEP_FAILED_SECONDS */
  keepFailedSeconds?: number;
  /**
   * How many jobs given up are kept at most, the oldest going first (`mailQueue.ceiling`, as for the
   * jobs waiting: mail-ceiling.ts does not count these, so they are bounded here). @default 50000
   */
  keepFailedAtMost?: number;
}

/**
 * Logout tokens wait behind every mail: BullMQ takes jobs without a priority before any with one.
 * An account signed out everywhere can queue dozens of them, each up to 5 s against a slow app,
 * and a sign-in mail must not wait for those. (Mail itself stays a plain job: the cheaper add.)
 */
const AFTER_THE_MAIL = { priority: 10 };

/**
 * Sent with a retry schedule of its own: the worker's backoff strategy (src/mail/mail-worker.ts)
 * caps the waits; a worker without it (older than this) cannot retry such a job.
 */
const securityNoticeOptions = (backoffMs: number) => ({ attempts: securityNoticeSchedule(backoffMs).attempts, backoff: { type: SECURITY_NOTICE_BACKOFF, delay: backoffMs } });

/**
 * Mail on a BullMQ queue in Redis: accepted jobs survive a crash of this process and are
 * sent by whichever worker runs (this process or `npm run worker`), with exponential backoff.
 */
export function createDurableMailQueue({ connection, prefix, secretBox, attempts, backoffMs, keepFailedSeconds = KEEP_FAILED_SECONDS, keepFailedAtMost = 50_000 }: DurableMailQueueOptions): MailQueue {
  const queue = new Queue<SealedMailJob>(MAIL_QUEUE_NAME, {
    connection: connection as never,
    prefix,
    // BullMQ checks the Redis version once per connection: not on the request path.
    defaultJobOptions: {
      attempts,
      backoff: { type: 'exponential', delay: backoffMs },
      // A sent mail leaves nothing behind; a failed one stays (sealed) for a day for inspection, and
      // a flood of failures (while the relay is down) keeps only the newest keepFailedAtMost.
      // BullMQ applies this age only when another job fails: the worker also removes them on a
      // schedule (mail-worker.ts), so that a quiet queue does not keep them longer.
      removeOnComplete: true,
      removeOnFail: { age: keepFailedSeconds, count: keepFailedAtMost },
    },
  });
  queue.on('error', () => {}); // connection errors surface on enqueue (and in the store's log line)
  const optionsByKind: Partial<Record<MailJob['kind'], object>> = { 'backchannel-logout': AFTER_THE_MAIL, 'security-notice': securityNoticeOptions(backoffMs) };

  const pendingStates = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
  const countsByBullState = () => queue.getJobCounts(...pendingStates, 'failed');

  const add = async (job: MailJob, extra: object = {}) => {
    try {
      return await queue.add(job.kind, { sealed: secretBox.seal(JSON.stringify(job), MAIL_JOB_ASSOCIATED_DATA) }, { ...optionsByKind[job.kind], ...extra });
    } catch (error) {
      throw asStoreError(error);
    }
  };

  return {
    async enqueue(job: MailJob) {
      await add(job);
    },
    // A delayed job: BullMQ's own timer sends it when the hold ends, from whichever worker runs,
    // whatever became of the process that queued it. Promoting or removing it fails where it is no
    // longer delayed (its hold ended: it is being sent) or Redis cannot be reached; either way it
    // goes out, as HeldMail says.
    async hold(job: MailJob, holdMs: number): Promise<HeldMail> {
      const held = await add(job, { delay: holdMs });
      return {
        release: () => held.promote().catch(() => {}),
        cancel: () => held.remove().catch(() => {}),
      };
    },
    async idle() {
      for (;;) {
        const counts = await countsByBullState();
        if (pendingStates.every((state) => (counts[state] ?? 0) === 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async jobCounts() {
      const counts = await countsByBullState().catch((error: unknown) => {
        throw asStoreError(error);
      });
      const count = (state: string) => counts[state] ?? 0;
      // Logout tokens wait behind mail as prioritized jobs; a job with children never occurs here.
      return { waiting: count('waiting') + count('prioritized') + count('waiting-children'), active: count('active'), delayed: count('delayed'), failed: count('failed') };
    },
    async close() {
      await queue.close();
    },
  };
}
