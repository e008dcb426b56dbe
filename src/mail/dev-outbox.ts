import { randomUUID } from 'node:crypto';
import type { MailMessage } from './mail-message.ts';
import type { Mailer } from './mailer.ts';

export interface StoredMail extends MailMessage {
  id: string;
  sentAt: number;
}

export type DevOutbox = Mailer & { messages(): StoredMail[] };

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
