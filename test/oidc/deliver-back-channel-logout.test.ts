import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { isPermanentRejection } from '../../src/mail/permanent-rejection.ts';
import type { BackChannelLogoutJob } from '../../src/oidc/back-channel-logout-job.ts';
import { fixedClients } from '../../src/oidc/client-registry.ts';
import { createBackChannelLogoutDelivery } from '../../src/oidc/deliver-back-channel-logout.ts';

// An app's back-channel endpoint: each path answers with the status in its name (/answer/204),
// /moved redirects, /silent never answers.
let server: Server;
let origin = '';
const received: { path: string; contentType: string | undefined; body: string }[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = request.url ?? '';
      received.push({ path, contentType: request.headers['content-type'], body });
      if (path === '/silent') return;
      if (path === '/moved') {
        response.writeHead(302, { location: '/answer/200' });
        return response.end();
      }
      response.statusCode = Number(path.split('/')[2]);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const NOW = Date.UTC(2026, 11, 2, 12);
const job = (clientId: string, expiresAt = NOW / 1000 + 600): BackChannelLogoutJob => ({ kind: 'backchannel-logout', clientId, logoutToken: 'header.payload.signature', expiresAt });
const app = (clientId: string, path: string): ClientRegistration => ({ client_id: clientId, backchannel_logout_uri: `${origin}${path}` });

function deliveryTo(...clients: ClientRegistration[]) {
  return createBackChannelLogoutDelivery({ clients: fixedClients(clients), now: () => NOW, timeoutMs: 200 });
}

/** What the delivery threw, and whether the queue would give the job up at once. */
async function failureOf(attempt: Promise<unknown>): Promise<{ message: string; permanent: boolean }> {
  const error = await attempt.then(
    () => {
      throw new Error('expected the delivery to fail');
    },
    (thrown: Error) => thrown,
  );
  return { message: error.message, permanent: isPermanentRejection(error) };
}

describe('back-channel logout delivery (the mail worker posting a queued logout token)', () => {
  it('posts the token as a form to the address registered for the app; 200 and 204 are delivered', async () => {
    received.length = 0;
    const deliver = deliveryTo(app('ok-app', '/answer/200'), app('no-content-app', '/answer/204'));
    expect(await deliver(job('ok-app'))).toBe('delivered');
    expect(await deliver(job('no-content-app'))).toBe('delivered');
    expect(received).toEqual([
      { path: '/answer/200', contentType: 'application/x-www-form-urlencoded', body: 'logout_token=header.payload.signature' },
      { path: '/answer/204', contentType: 'application/x-www-form-urlencoded', body: 'logout_token=header.payload.signature' },
    ]);
  });

  it('a refusal the app would repeat fails for good: a 4xx (it could not validate the token), a redirect (never followed)', async () => {
    received.length = 0;
    const deliver = deliveryTo(app('refusing-app', '/answer/400'), app('gone-app', '/answer/404'), app('moving-app', '/moved'));
    expect(await failureOf(deliver(job('refusing-app')))).toEqual({ message: `expected 200 OK from ${origin}/answer/400, got: 400 Bad Request`, permanent: true });
    expect(await failureOf(deliver(job('gone-app')))).toMatchObject({ permanent: true });
    expect(await failureOf(deliver(job('moving-app')))).toEqual({ message: `expected 200 OK from ${origin}/moved, got: 302 Found`, permanent: true });
    expect(received.map((call) => call.path)).toEqual(['/answer/400', '/answer/404', '/moved']);
  });

  it('an app that is down, busy or slow is asked again later: a 5xx, 429, no answer in time, a refused connection', async () => {
    // A port nothing listens on: a server closed at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const deliver = deliveryTo(
      app('down-app', '/answer/503'),
      app('busy-app', '/answer/429'),
      app('slow-app', '/silent'),
      { client_id: 'unreachable-app', backchannel_logout_uri: `http://127.0.0.1:${closedPort}/logout` },
    );
    expect(await failureOf(deliver(job('down-app')))).toEqual({ message: `expected 200 OK from ${origin}/answer/503, got: 503 Service Unavailable`, permanent: false });
    expect(await failureOf(deliver(job('busy-app')))).toMatchObject({ permanent: false });
    expect(await failureOf(deliver(job('slow-app')))).toMatchObject({ permanent: false, message: expect.stringContaining('timeout') });
    expect(await failureOf(deliver(job('unreachable-app')))).toMatchObject({ permanent: false });
  });

  it('a token past its expiry is not sent (the app would refuse it), and an app no longer registered is not called', async () => {
    received.length = 0;
    const deliver = deliveryTo(app('ok-app', '/answer/200'), { client_id: 'no-address-app' });
    expect(await failureOf(deliver(job('ok-app', NOW / 1000)))).toEqual({ message: 'the logout token expired before the app accepted it', permanent: true });
    expect(await deliver(job('removed-app'))).toBe('app-gone');
    expect(await deliver(job('no-address-app'))).toBe('app-gone');
    expect(received).toEqual([]);
  });
});
