import { randomUUID } from 'node:crypto';
import type { MailMessage } from './mail-message.ts';
import type { Mailer } from './mailer.ts';
import { isPublicHttpsIssuer } from '../config/config-schema.ts';

export interface StoredMail extends MailMessage {
  id: string;
  sentAt: number;
}

export type DevOutbox = Mailer & { messages(): StoredMail[] };

/**
 * Whether /dev/outbox may show the outbox: not with an https issuer at a public name. Such an issuer
 * is a deployment (production refuses non-loopback http issuers, and a tunnel to a laptop is as
 * public), and a deployment started without NODE_ENV=production and SMTP_URL would otherwise hand
 * everyone's sign-in links to whoever opens the page. The mail is still in the log.
 */
export function devOutboxPageShown(issuer: string): boolean {
  return URL.canParse(issuer) && !isPublicHttpsIssuer(issuer);
}

/** Development stand-in for SMTP: keeps the newest mail in memory for /dev/outbox and logs each one. */
export function createDevOutbox({ log = () => {}, capacity = 50 }: { log?: (mail: MailMessage) => void; capacity?: number } = {}): DevOutbox {
  const stored: StoredMail[] = [];
  return {
    async send(message) {
      stored.unshift({ ...message, id: randomUUID(), sentAt: Date.now() });
      stored.length = Math.min(stored.length, capacity);
      log(message);
    },
    async verify() {},
    async close() {},
    messages: () => stored.map((mail) => ({ ...mail })),
  };
}
