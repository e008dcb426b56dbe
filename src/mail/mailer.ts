import type { MailMessage } from './mail-message.ts';
import { composeMimeMessage, parseMailbox } from './mime-message.ts';
import { createSmtpPool } from './smtp-pool.ts';

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Readiness: resolves when the transport can reach its server. */
  verify(): Promise<void>;
  close(): Promise<void>;
}

/**
 * SMTP: the message composed here (mime-message.ts), carried by nodemailer's SMTP connections
 * (smtp-pool.ts). Short timeouts: a dead server fails a send (to be retried) rather than hanging it.
 */
export function createSmtpMailer({ smtpUrl, from, maxConnections }: { smtpUrl: string; from: string; maxConnections: number }): Mailer {
  const url = new URL(smtpUrl);
  const sender = parseMailbox(from);
  const secure = url.protocol === 'smtps:';
  const pool = createSmtpPool({
    // An IPv6 literal comes back from URL in brackets; a socket wants it bare.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || (secure ? 465 : 587),
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    maxConnections,
    connectionTimeoutMs: 10_000,
    socketTimeoutMs: 20_000,
  });
  return {
    async send(message) {
      await pool.send({ from: sender.address, to: message.to }, composeMimeMessage(sender, message));
    },
    async verify() {
      await pool.verify();
    },
    async close() {
      pool.close();
    },
  };
}
