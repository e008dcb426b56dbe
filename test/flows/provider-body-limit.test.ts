import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { DEVICE_CLIENT, MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// maxBodyBytes caps the bodies of oidc-provider's own endpoints as it caps Sesame's forms: the
// library would read up to its built-in 56 KiB (lib/shared/selective_body.js).
const MAX_BODY_BYTES = 16384;
const running = useSesame({ config: { maxBodyBytes: MAX_BODY_BYTES, clients: [TEST_CLIENT, MACHINE_CLIENT, DEVICE_CLIENT] } });

const basic = (client: { client_id: string; client_secret?: string }) => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

/** A form body of exactly `bytes` bytes: the fields, then a padding field the library ignores. */
function formOf(fields: Record<string, string>, bytes: number): string {
  const start = `${new URLSearchParams(fields).toString()}&pad=`;
  return start + 'x'.repeat(bytes - start.length);
}

/** One POST with a Content-Length, or in chunks without one (Transfer-Encoding: chunked). */
function post(path: string, body: string, { chunked = false, headers = {} }: { chunked?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(path, running.sesame.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8') }));
    });
    // The server may answer and close before it has read everything: that is the point.
    request.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    if (chunked) {
      for (let at = 0; at < body.length; at += 4096) request.write(body.slice(at, at + 4096));
      request.end();
    } else request.end(body);
  });
}

/**
 * Writes `bytes` on one connection as they are (a request and whatever follows it) and resolves
 * with everything the server sent until it closed the connection, or undefined if it kept it open.
 */
function exchangeOnOneConnection(bytes: string): Promise<string | undefined> {
  const url = new URL(running.sesame.url);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(bytes));
    let received = '';
    const keptOpen = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, 2000);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(keptOpen);
      resolve(received);
    });
  });
}

/** The library's endpoints that programs call, each with what a well-formed request carries. */
const API_ENDPOINTS: readonly { path: string; fields: Record<string, string>; headers?: Record<string, string> }[] = [
  { path: '/token', fields: { grant_type: 'client_credentials' }, headers: { authorization: basic(MACHINE_CLIENT) } },
  { path: '/token/introspection', fields: { token: 'x' }, headers: { authorization: basic(TEST_CLIENT) } },
  { path: '/token/revocation', fields: { token: 'x' }, headers: { authorization: basic(TEST_CLIENT) } },
  { path: '/request', fields: { client_id: TEST_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_CLIENT.redirect_uris![0]!, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }, headers: { authorization: basic(TEST_CLIENT) } },
  { path: '/device/auth', fields: { client_id: DEVICE_CLIENT.client_id, scope: 'openid' } },
  { path: '/me', fields: { access_token: 'x' } },
];

/** The library's endpoints a browser posts a form to. */
const PAGE_ENDPOINTS = ['/session/end/confirm', '/device'] as const;

function expectNoLeak(text: string) {
  expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
  expect(text).not.toMatch(/Error:/);
}

describe('bodies sent to oidc-provider\'s endpoints are capped by maxBodyBytes', () => {
  // Over Sesame's limit but under the library's own (the gap), and over both.
  describe.each([
    ['just over maxBodyBytes', MAX_BODY_BYTES + 1],
    ['over the library\'s own limit', 100_000],
  ])('a body %s', (_label, bytes) => {
    it.each(API_ENDPOINTS.flatMap((endpoint) => [false, true].map((chunked) => [endpoint.path, chunked ? 'in chunks' : 'with Content-Length', endpoint, chunked] as const)))(
      'at %s, sent %s, is a 413 invalid_request in JSON',
      async (_path, _how, { path, fields, headers }, chunked) => {
        const answer = await post(path, formOf(fields, bytes), { chunked, headers });
        expect([answer.status, answer.type]).toEqual([413, expect.stringContaining('application/json')]);
        expect(JSON.parse(answer.text)).toMatchObject({ error: 'invalid_request', error_description: `The request body is larger than ${MAX_BODY_BYTES} bytes.` });
      },
    );

    it.each(PAGE_ENDPOINTS.flatMap((path) => [false, true].map((chunked) => [path, chunked ? 'in chunks' : 'with Content-Length', chunked] as const)))(
      'at %s, sent %s by a browser, is a 413 error page',
      async (path, _how, chunked) => {
        const answer = await post(path, formOf({ xsrf: 'x', user_code: 'BCDF-GHJK' }, bytes), { chunked, headers: { accept: 'text/html' } });
        expect([answer.status, answer.type]).toEqual([413, expect.stringContaining('text/html')]);
        expect(answer.text).toContain(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
        expectNoLeak(answer.text);
      },
    );
  });

  // Refused, the rest of the body is not read (nor waited for): the connection closes after the
  // 413, and a request written after the body on the same connection gets no answer.
  it.each([
    ['with Content-Length', (body: string) => `Content-Length: ${body.length}\r\n\r\n${body}`],
    ['in chunks', (body: string) => `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
  ])('a body over maxBodyBytes sent %s closes the connection after the 413: nothing sent after it is answered', async (_how, framed) => {
    const host = new URL(running.sesame.url).host;
    const token = API_ENDPOINTS[0]!;
    const refused = `POST /token HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${token.headers!.authorization}\r\nContent-Type: application/x-www-form-urlencoded\r\n${framed(formOf(token.fields, MAX_BODY_BYTES + 1))}`;
    const next = `GET /account HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    const received = await exchangeOnOneConnection(refused + next);
    expect(received).toBeDefined();
    expect(received!.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 413']);
    expect(received).toMatch(/^Connection: close\r$/im);
  });

  it('a body of exactly maxBodyBytes is still taken, with Content-Length and in chunks', async () => {
    const token = API_ENDPOINTS[0]!;
    for (const chunked of [false, true]) {
      const answer = await post(token.path, formOf(token.fields, MAX_BODY_BYTES), { chunked, headers: token.headers });
      expect([answer.status, JSON.parse(answer.text)]).toEqual([200, expect.objectContaining({ token_type: 'Bearer' })]);
    }
    const pushed = API_ENDPOINTS.find((endpoint) => endpoint.path === '/request')!;
    const answer = await post(pushed.path, formOf(pushed.fields, MAX_BODY_BYTES), { chunked: true, headers: pushed.headers });
    expect([answer.status, JSON.parse(answer.text)]).toEqual([201, expect.objectContaining({ request_uri: expect.any(String) })]);
  });
});
