import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  link?: string;
  code?: string;
  receivedAt: number;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /**
   * The next unclaimed mail to `to` that `match` accepts (e.g. the one for a given sign-in); by
   * default the next sign-in mail, so that a security notice to the same address is not taken for one.
   */
  waitForMail(to: string, options?: { timeoutMs?: number; match?: (mail: ReceivedMail) => boolean }): Promise<ReceivedMail>;
  /** From now on, refuses mail to `address` as a relay refuses an unknown mailbox: 550 to RCPT TO, naming the address as Postfix does. */
  refuse(address: string): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const LINK = /https?:\/\/\S+\/interaction\/\S+\/link\?\S+/;
const CODE = /^\s*(\d{6,10})\s*$/m;

/** The link and code of a sign-in mail, read from its text part as a person would. */
export function readSignInMail(text: string): { link?: string; code?: string } {
  return { link: LINK.exec(text)?.[0], code: CODE.exec(text)?.[1] };
}

/** What flow helpers need of a mailbox: the SMTP sink, or the dev outbox of a running Sesame. */
export type Mailbox = Pick<SmtpSink, 'waitForMail'>;

/** A real SMTP server in the test process; each received message is parsed and handed out once. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  const refused = new Set<string>();
  const handedOut = new Set<ReceivedMail>();
  const listeners = new Set<() => void>();

  const makeServer = () =>
    new SMTPServer({
      authOptional: true,
      // A relay that goes down drops its connections: smtp-server's default waits up to 30 s for
      // clients to leave first, and Sesame's pool keeps idle connections open. (0 means the default.)
      closeTimeout: 1,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (refused.has(asciiAddress(address.address))) return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: User unknown in local recipient table`), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            const text = parsed.text ?? '';
            const recipients = session.envelope.rcptTo.map((r) => asciiAddress(r.address));
            for (const to of recipients) {
              messages.push({
                to,
                subject: parsed.subject ?? '',
                text,
                html: typeof parsed.html === 'string' ? parsed.html : '',
                ...readSignInMail(text),
                receivedAt: Date.now(),
              });
            }
            for (const notify of listeners) notify();
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });

  let server = makeServer();
  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
  });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const port = await listen(0);

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitForMail(to, { timeoutMs = 10_000, match = isSignInMail } = {}) {
      const address = asciiAddress(to);
      return new Promise((resolve, reject) => {
        const check = () => {
          const mail = messages.find((m) => m.to === address && !handedOut.has(m) && match(m));
          if (!mail) return false;
          handedOut.add(mail);
          listeners.delete(check);
          clearTimeout(timer);
          resolve(mail);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no mail to ${address} within ${timeoutMs} ms; received for: ${messages.map((m) => m.to).join(', ') || 'nobody'}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    refuse(address) {
      refused.add(asciiAddress(address));
    },
    async pause() {
      await close();
    },
    async resume() {
      server = makeServer();
      await listen(port);
    },
    async stop() {
      await close();
    },
  };
}

const isSignInMail = (mail: ReceivedMail) => mail.link !== undefined;

/** Mail clients may send an internationalised domain in Unicode or in punycode: compare in one form. */
function asciiAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at).toLowerCase()}@${domainToASCII(address.slice(at + 1).toLowerCase())}`;
}
