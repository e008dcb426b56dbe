// Anything with an @ between characters that cannot end an address in a relay's answer: the
// recipient as Postfix (`<bob@example.com>: Recipient address rejected`) or others ('bob@…') name
// it. An apostrophe may be part of a local part (o'brien@), not of a domain.
const ADDRESS_LIKE = /[^\s<>()[\]",;:]+@[^\s<>()[\]"',;:]+/g;

/**
 * A delivery failure's message as it may be kept: in the log, and in Redis where BullMQ keeps a
 * failed job's reason and stack trace (for a day) and its events stream. A relay's refusal often
 * names the recipient, and addresses are personal data stored nowhere else in clear (the job
 * itself is sealed, the log names accounts by id). What the relay answered stays: 550 5.1.1 and
 * its reason are what the operator needs.
 */
export function withoutAddresses(message: string): string {
  return message.replace(ADDRESS_LIKE, '[address]');
}
