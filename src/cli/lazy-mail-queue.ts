import type { MailQueue } from '../mail/mail-queue.ts';

/**
 * A mail queue made at its first use. Most CLI commands queue nothing (listing, showing,
 * exporting, keys), and the durable queue costs a fifth of a second or more before it does
 * anything: BullMQ's modules, and its connection's checks of the server.
 */
export function lazyMailQueue(make: () => Promise<MailQueue>): MailQueue {
  let made: Promise<MailQueue> | undefined;
  const queue = () => (made ??= make());
  return {
    enqueue: async (job, options) => (await queue()).enqueue(job, options),
    hold: async (job, holdMs) => (await queue()).hold(job, holdMs),
    jobCounts: async () => (await queue()).jobCounts(),
    // Nothing made, nothing to wait for or to close.
    idle: async () => (made ? (await made).idle() : undefined),
    close: async () => (made ? (await made).close() : undefined),
  };
}
