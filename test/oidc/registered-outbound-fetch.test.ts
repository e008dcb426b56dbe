import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registeredOutboundFetch } from '../../src/oidc/registered-outbound-fetch.ts';

let server: Server;
let origin = '';
const received: string[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request.url ?? '');
    if (request.url === '/moved-keys.json') {
      response.writeHead(302, { location: '/internal-admin?secret=1' });
      return response.end();
    }
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('registeredOutboundFetch', () => {
  it('calls an address a client registered, even on a private network, and nothing else', async () => {
    const fetchFor = registeredOutboundFetch([
      { client_id: 'app', backchannel_logout_uri: `${origin}/logout?from=sesame` },
      { client_id: 'keys', jwks_uri: `${origin}/keys.json` },
    ]);
    received.length = 0;
    expect(await (await fetchFor(`${origin}/logout?from=sesame`, { method: 'POST', signal: AbortSignal.timeout(2500) })).text()).toBe('ok');
    expect((await fetchFor(new URL(`${origin}/keys.json`), {})).status).toBe(200);
    expect(received).toEqual(['/logout?from=sesame', '/keys.json']);

    // Another path, query or host than the ones written down is refused before any connection.
    for (const other of [`${origin}/logout`, `${origin}/logout?from=elsewhere`, `${origin}/admin`, 'http://169.254.169.254/latest/meta-data/']) {
      await expect(fetchFor(other, {})).rejects.toThrow(/no registered client names it/);
    }
    expect(received).toHaveLength(2);
  });

  it('never follows a redirect from a registered address to one nobody registered', async () => {
    const fetchFor = registeredOutboundFetch([{ client_id: 'keys', jwks_uri: `${origin}/moved-keys.json` }]);
    received.length = 0;
    // A key fetch (the library leaves redirects to fetch's default) fails instead of following.
    await expect(fetchFor(`${origin}/moved-keys.json`, {})).rejects.toThrow();
    // Where the library asks to see the redirect itself (back-channel logout), it gets the 302.
    expect((await fetchFor(`${origin}/moved-keys.json`, { redirect: 'manual' })).status).toBe(302);
    expect(received).toEqual(['/moved-keys.json', '/moved-keys.json']);
  });

  it('ignores registrations without an address, and malformed ones', async () => {
    const fetchFor = registeredOutboundFetch([{ client_id: 'plain' }, { client_id: 'broken', backchannel_logout_uri: 'not a url' }]);
    await expect(fetchFor(`${origin}/`, {})).rejects.toThrow(/no registered client names it/);
  });
});
