import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * The mailboxes of the simulated users, on the load generator's core: an SMTP server that hands
 * each sign-in code to the worker waiting for that address. It reads the code from the raw
 * message without a full MIME parser, to stay cheap at hundreds of mails per second.
 */
export interface MailSink {
  url: string;
  received(): number;
  waitForCode(to: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startMailSink(): Promise<MailSink> {
  const waiting = new Map<string, (code: string) => void>();
  const early = new Map<string, string>();
  let received = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received++;
        const code = findCode(Buffer.concat(chunks).toString('latin1'));
        for (const { address } of session.envelope.rcptTo) {
          const to = address.toLowerCase();
          const deliver = waiting.get(to);
          if (deliver && code) {
            waiting.delete(to);
            deliver(code);
          } else if (code) early.set(to, code);
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => received,
    waitForCode(to, timeoutMs = 30_000) {
      const address = to.toLowerCase();
      const already = early.get(address);
      if (already) {
        early.delete(address);
        return Promise.resolve(already);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(address);
          reject(new Error(`no sign-in mail for ${address} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(address, (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The text part carries the code on a line of its own; it is 7-bit, quoted-printable or base64.
function findCode(raw: string): string | undefined {
  const plain = /^\s*(\d{6,10})\s*$/m.exec(raw.replace(/=\r?\n/g, ''));
  if (plain) return plain[1];
  for (const block of raw.match(/(?:^[A-Za-z0-9+/=]{20,}\r?\n)+/gm) ?? []) {
    const decoded = /^\s*(\d{6,10})\s*$/m.exec(Buffer.from(block.replace(/\s+/g, ''), 'base64').toString('utf8'));
    if (decoded) return decoded[1];
  }
  return undefined;
}
