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

  it('ignores registrations without an address, and malformed ones', async () => {
    const fetchFor = registeredOutboundFetch([{ client_id: 'plain' }, { client_id: 'broken', backchannel_logout_uri: 'not a url' }]);
    await expect(fetchFor(`${origin}/`, {})).rejects.toThrow(/no registered client names it/);
  });
});
