import { MailQueueFull } from '../http/errors.ts';
import type { MailJobCounts } from './mail-queue.ts';

export interface MailCeilingOptions {
  /** `mailQueue.ceiling`: jobs waiting to be sent, from every process together, past which new sign-in mail is refused. */
  ceiling: number;
  /** The queue's counts (one Redis command on the durable queue). */
  counts: () => Promise<MailJobCounts>;
  /** How long a count is trusted. @default 2000 */
  refreshMs?: number;
  /** Each refusal (a metric, and a log line now and then). */
  onRefused: (waiting: number) => void;
  now?: () => number;
}

/**
 * The ceiling on all queued mail together. The per-address and per-network budgets bound what one
 * client can queue; clients on many networks (an IPv6 /48 holds 65,536 /64s) can queue without
 * bound, and while the relay is down nothing drains it: the queue would grow until Redis is out of
 * memory, and then every write of every request fails (or, with an eviction policy, sessions and
 * accounts are evicted). Past the ceiling only new sign-in and change-of-address mail is refused,
 * with a 503 page that says so; security notices and logout tokens are always accepted.
 *
 * It lets a flood deny sign-in mail to everyone, but a flood that fills it denies it already: a
 * mail queued behind that many waits longer than its code lives (and is dropped), or finds Redis
 * full. Jobs given up are not counted, so that failures kept a day cannot hold the door shut.
 *
 * Answered from the last count, read again when it is older than `refreshMs`: one round trip every
 * two seconds in a process, shared by the requests that come while it is read, and the same for
 * every address (nothing here depends on the address, so neither does the answer or its timing).
 */
export function createMailCeiling({ ceiling, counts, refreshMs = 2000, onRefused, now = Date.now }: MailCeilingOptions) {
  let waiting = 0;
  let countedAt = -Infinity;
  let refreshing: Promise<void> | undefined;

  const refresh = () =>
    (refreshing ??= counts()
      .then(
        (c) => {
          waiting = c.waiting + c.active + c.delayed;
        },
        // Redis away: the last count stands, and the request's own writes will answer 503.
        () => {},
      )
      .finally(() => {
        countedAt = now();
        refreshing = undefined;
      }));

  return {
    /** Throws MailQueueFull (a 503 page) when the queue is at its ceiling; call before a code is issued. */
    async assertRoom(): Promise<void> {
      if (now() - countedAt >= refreshMs) await refresh();
      if (waiting < ceiling) return;
      onRefused(waiting);
      throw new MailQueueFull();
    },
  };
}

export type MailCeiling = ReturnType<typeof createMailCeiling>;
