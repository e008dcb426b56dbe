/** The BullMQ queue of sign-in mail. */
export const MAIL_QUEUE_NAME = 'sign-in-mail';

/**
 * BullMQ's key prefix. The braces make it a Redis Cluster hash tag: BullMQ's scripts touch several
 * keys of one queue at once, so they must all live in one slot (REDIS_KEY_PREFIX has no braces).
 */
export const mailQueuePrefix = (keyPrefix: string) => `{${keyPrefix}mail}`;
