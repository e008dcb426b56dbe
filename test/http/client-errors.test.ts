import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createClientErrorAnswer } from '../../src/http/client-errors.ts';
import { createHttpServer } from '../../src/http/http-server.ts';
import type { Logger } from '../../src/logger.ts';

let server: Server;
let port: number;
let logLines = 0;

beforeAll(async () => {
  const logger = { info: () => void logLines++ } as unknown as Logger;
  // Rendering takes a moment, as a template does: bytes keep arriving meanwhile.
  const answer = createClientErrorAnswer({ logger, renderErrorPage: async ({ title }) => new Promise((resolve) => setTimeout(() => resolve(`<h1>${title}</h1>`), 20)) });
  // A response that streams: its headers leave at once, its end 300 ms later (long enough that the
  // bytes sent meanwhile arrive before it, however busy the machine).
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.write('part1 ');
    setTimeout(() => res.end('part2'), 300);
  });
  server.on('clientError', answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Writes each chunk `gapMs` apart on one connection; resolves with all that came back once it closes. */
function exchange(chunks: string[], gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => chunks.forEach((chunk, i) => setTimeout(() => socket.writable && socket.write(chunk), i * gapMs)));
    let received = '';
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('answering what the HTTP parser refused', () => {
  it('never writes a page into a response already on its way: the connection is closed instead', async () => {
    // The garbage follows once the response's first bytes are back, not after a fixed gap: on a
    // busy machine the request may not have been answered yet 10 ms on.
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (data) => {
        if (text === '') socket.write('\x00\x01garbage\r\n\r\n');
        text += data.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it('answers and logs once per connection, however many more bytes follow', async () => {
    logLines = 0;
    const received = await exchange(['BAD\x00 / HTTP/1.1\r\n\r\n', 'more\r\n', 'more\r\n', 'more\r\n'], 1);
    expect(received.match(/HTTP\/1\.1 400 /g)).toHaveLength(1);
    expect(logLines).toBe(1);
  });
});

describe('the server Sesame listens with (http-server.ts)', () => {
  let slow: Server;
  let slowPort: number;
  beforeAll(async () => {
    const answer = createClientErrorAnswer({ logger: { info: () => {} } as unknown as Logger, renderErrorPage: async ({ title }) => `<h1>${title}</h1>` });
    // Short limits so the test need not wait Sesame's real ones; the handler reads the whole body,
    // then takes longer than the limits to answer.
    slow = createHttpServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    slow.on('request', (req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.end('answered'), 1500));
    });
    slow.on('clientError', answer);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    slowPort = (slow.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => slow.close(() => resolve())));

  /** Sends `text` and keeps the connection open; resolves with what came back when the server closes it, or `still open` after `waitMs`. */
  const sendAndWait = (text: string, waitMs: number) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(slowPort, '127.0.0.1', () => socket.write(text));
      let received = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(`still open: ${received}`);
      }, waitMs);
      socket.on('data', (data) => (received += data.toString('latin1')));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(received);
      });
      socket.on('error', reject);
    });

  it('refuses a request whose body stops short of its Content-Length, instead of holding the handler for five minutes', async () => {
    const received = await sendAndWait('POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a%40', 5000);
    expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*<h1>The request took too long<\/h1>$/);
  });

  it('refuses headers that never end', async () => {
    expect(await sendAndWait('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1', 5000)).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('does not cut off a request that arrived whole and is slow to answer', async () => {
    const received = await sendAndWait('POST /form HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\na=1', 5000);
    expect(received).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*answered$/);
  });
});
