import { createTransport } from 'nodemailer';
import type { MailMessage } from './mail-message.ts';
import { composeMimeMessage, parseMailbox } from './mime-message.ts';

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Readiness: resolves when the transport can reach its server. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

/** SMTP through nodemailer. Short timeouts: a dead server fails a send (to be retried) rather than hanging it. */
export function createSmtpMailer({ smtpUrl, from }: { smtpUrl: string; from: string }): Mailer {
  const url = new URL(smtpUrl);
  const sender = parseMailbox(from);
  const transport = createTransport({
    host: url.hostname,
    port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
    secure: url.protocol === 'smtps:',
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    pool: true,
    maxConnections: 4,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(message) {
      // Composed here (mime-message.ts); nodemailer only carries it over SMTP.
      await transport.sendMail({ envelope: { from: sender.address, to: [message.to] }, raw: composeMimeMessage(sender, message) });
    },
    async verify() {
      await transport.verify();
    },
    async close() {
      transport.close();
    },
  };
}
