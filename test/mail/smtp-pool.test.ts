import { afterEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { composeMimeMessage, parseMailbox } from '../../src/mail/mime-message.ts';
import { createSmtpPool, type SmtpPool } from '../../src/mail/smtp-pool.ts';
import { freePort } from '../helpers/redis.ts';

// A real SMTP server (smtp-server) that counts the connections it accepts and keeps what it receives.
async function startRelay(options: Partial<SMTPServerOptions> = {}) {
  const received: { to: string[]; data: string }[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    connections: () => connections,
    /** Closes every connection from the relay's side, as a relay that times out idle clients does. */
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const from = parseMailbox('Sesame <no-reply@sesame.test>');
const message = (to: string) => composeMimeMessage(from, { to, subject: 'Sign in', text: `Hello ${to}\n`, html: '<p>Hello</p>' });

describe('SMTP pool', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const pool = (port: number, options: Partial<Parameters<typeof createSmtpPool>[0]> = {}): SmtpPool => {
    const created = createSmtpPool({ host: '127.0.0.1', port, secure: false, ...options });
    cleanups.push(() => created.close());
    return created;
  };
  const relay = async (options: Partial<SMTPServerOptions> = {}) => {
    const started = await startRelay(options);
    cleanups.push(() => started.close());
    return started;
  };

  it('sends concurrent messages over at most maxConnections connections, and reuses them', async () => {
    const server = await relay();
    const smtp = pool(server.port, { maxConnections: 3 });
    const recipients = Array.from({ length: 30 }, (_, i) => `user${i}@example.com`);
    await Promise.all(recipients.map((to) => smtp.send({ from: from.address, to }, message(to))));
    expect(server.received.map((mail) => mail.to[0]).sort()).toEqual([...recipients].sort());
    expect(server.received.every((mail) => mail.data.includes('Subject: Sign in'))).toBe(true);
    expect(server.connections()).toBeLessThanOrEqual(3);
    await smtp.send({ from: from.address, to: 'again@example.com' }, message('again@example.com'));
    expect(server.connections()).toBeLessThanOrEqual(3);
  });

  it('replaces a connection after maxMessagesPerConnection messages', async () => {
    const server = await relay();
    const smtp = pool(server.port, { maxConnections: 1, maxMessagesPerConnection: 2 });
    for (let i = 0; i < 5; i++) await smtp.send({ from: from.address, to: `m${i}@example.com` }, message(`m${i}@example.com`));
    expect(server.received).toHaveLength(5);
    expect(server.connections()).toBe(3);
  });

  it('opens the successor of a retired connection at once, so the next mail does not wait for a new greeting', async () => {
    const server = await relay();
    const smtp = pool(server.port, { maxConnections: 1, maxMessagesPerConnection: 2 });
    for (let i = 0; i < 2; i++) await smtp.send({ from: from.address, to: `m${i}@example.com` }, message(`m${i}@example.com`));
    // No third mail asked for yet: the relay sees the second connection anyway.
    const deadline = Date.now() + 5000;
    while (server.connections() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.connections()).toBe(2);
    await smtp.send({ from: from.address, to: 'm2@example.com' }, message('m2@example.com'));
    expect(server.received.map((mail) => mail.to[0])).toEqual(['m0@example.com', 'm1@example.com', 'm2@example.com']);
    expect(server.connections()).toBe(2);
  });

  it('drops a connection the relay closed while it was idle and sends the next message on a new one', async () => {
    const server = await relay();
    const smtp = pool(server.port, { maxConnections: 1 });
    await smtp.send({ from: from.address, to: 'before@example.com' }, message('before@example.com'));
    // Closed by the relay while idle (not by a timeout on the relay, which under load could also
    // catch the new connection before its greeting).
    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await smtp.send({ from: from.address, to: 'after@example.com' }, message('after@example.com'));
    expect(server.received.map((mail) => mail.to[0])).toEqual(['before@example.com', 'after@example.com']);
    expect(server.connections()).toBe(2);
  });

  it('rejects a message the relay refuses, and goes on sending the next ones', async () => {
    const server = await relay({
      onRcptTo(address, _session, callback) {
        callback(address.address.startsWith('refused') ? Object.assign(new Error('no such mailbox'), { responseCode: 550 }) : undefined);
      },
    });
    const smtp = pool(server.port, { maxConnections: 1 });
    await expect(smtp.send({ from: from.address, to: 'refused@example.com' }, message('refused@example.com'))).rejects.toThrow(/no such mailbox/);
    await smtp.send({ from: from.address, to: 'fine@example.com' }, message('fine@example.com'));
    expect(server.received.map((mail) => mail.to[0])).toEqual(['fine@example.com']);
  });

  it('logs in when the relay asks for credentials, and fails with wrong ones', async () => {
    const options: Partial<SMTPServerOptions> = {
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        callback(auth.username === 'mailer' && auth.password === 'right' ? null : new Error('bad credentials'), { user: auth.username });
      },
    };
    const server = await relay(options);
    await pool(server.port, { auth: { user: 'mailer', pass: 'right' } }).send({ from: from.address, to: 'authed@example.com' }, message('authed@example.com'));
    expect(server.received.map((mail) => mail.to[0])).toEqual(['authed@example.com']);
    // The cause, not "the connection closed": the log line is an operator's only clue.
    await expect(pool(server.port, { auth: { user: 'mailer', pass: 'wrong' } }).send({ from: from.address, to: 'x@example.com' }, message('x@example.com'))).rejects.toThrow(/Invalid login/);
    await expect(pool(server.port, { auth: { user: 'mailer', pass: 'wrong' } }).verify()).rejects.toThrow(/Invalid login/);
  });

  it('verify() answers whether the relay can be reached', async () => {
    const server = await relay();
    await expect(pool(server.port).verify()).resolves.toBeUndefined();
    const nobody = await freePort();
    await expect(pool(nobody, { connectionTimeoutMs: 1000 }).verify()).rejects.toThrow(/ECONNREFUSED/);
    await expect(pool(nobody, { connectionTimeoutMs: 1000 }).send({ from: from.address, to: 'x@example.com' }, message('x@example.com'))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('after close() sends nothing more', async () => {
    const server = await relay();
    const smtp = pool(server.port);
    await smtp.send({ from: from.address, to: 'last@example.com' }, message('last@example.com'));
    smtp.close();
    await expect(smtp.send({ from: from.address, to: 'late@example.com' }, message('late@example.com'))).rejects.toThrow(/closed/);
    expect(server.received).toHaveLength(1);
  });
});
