import { describe, expect, it } from '@jest/globals';
import { get } from 'node:http';
import { connect } from 'node:net';
import { publicSigningKeys } from '../../src/config/signing-keys.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// No app yet: the first request for each document must reach the provider.
const running = useSesame({ client: false });

describe.each([
  ['discovery', '/.well-known/openid-configuration', 'application/json; charset=utf-8'],
  ['JWKS', '/jwks', 'application/jwk-set+json; charset=utf-8'],
])('%s', (_name, path, type) => {
  it('is answered by the provider once, then from memory with the same body and an ETag', async () => {
    const first = await fetch(running.sesame.url + path);
    const firstBody = await first.text();
    // Through Koa: every such response carries a request id.
    expect(first.headers.get('x-request-id')).not.toBeNull();

    const second = await fetch(running.sesame.url + path);
    expect(second.status).toBe(200);
    expect(await second.text()).toBe(firstBody);
    expect(second.headers.get('x-request-id')).toBeNull();
    expect(second.headers.get('content-type')).toBe(type);
    expect(second.headers.get('access-control-allow-origin')).toBe('*');
    expect(second.headers.get('x-content-type-options')).toBe('nosniff');
    expect(second.headers.get('x-frame-options')).toBe('DENY');
    expect(second.headers.get('cache-control')).toBe('public, max-age=60');

    const revalidated = await fetch(running.sesame.url + path, { headers: { 'if-none-match': second.headers.get('etag')! } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
  });

  it('leaves anything but a plain GET of the exact path to the provider', async () => {
    const withQuery = await fetch(`${running.sesame.url}${path}?x=1`);
    expect(withQuery.headers.get('x-request-id')).not.toBeNull();
    const head = await fetch(running.sesame.url + path, { method: 'HEAD' });
    expect(head.headers.get('x-request-id')).not.toBeNull();
  });
});

it('publishes the public half of every signing key and nothing private (keys sign in process, oidc-provider publishes them)', async () => {
  const { keys } = (await (await fetch(`${running.sesame.url}/jwks`)).json()) as { keys: Record<string, unknown>[] };
  const byKid = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.kid).localeCompare(String(b.kid));
  expect([...keys].sort(byKid)).toEqual(publicSigningKeys(running.sesame.config.jwks).keys.sort(byKid));
  for (const key of keys) for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(member);
});

it('apps still discover and use Sesame through the cached documents', async () => {
  await fetch(`${running.sesame.url}/.well-known/openid-configuration`);
  const rp = await startRelyingParty(running.sesame.url);
  expect(rp.config.serverMetadata().issuer).toBe(running.sesame.url);
});

it('counts the answers served from memory in the metrics, by path', async () => {
  const count = async () => {
    const text = await (await fetch(`${running.sesame.url}/metrics`)).text();
    return Number(/^sesame_published_documents_served_total\{path="\/jwks"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };
  await fetch(`${running.sesame.url}/jwks`);
  const before = await count();
  await fetch(`${running.sesame.url}/jwks`);
  await fetch(`${running.sesame.url}/jwks`);
  expect(await count()).toBe(before + 2);
});

/** A GET with headers fetch() would not send as written (Host). */
function getWith(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
    }).on('error', reject);
  });
}

describe('behind a trusted proxy, a request cannot choose the host the documents name', () => {
  // Its own instance: the first discovery request after start is the one that gets cached.
  const proxied = useSesame({ client: false, config: { trustProxy: true } });

  it('discovery names the issuer\'s endpoints whatever Host, X-Forwarded-Host or X-Forwarded-Proto said, for the asker and everyone after', async () => {
    const issuer = proxied.sesame.url;
    const endpointsOf = (body: string) => {
      const document = JSON.parse(body) as Record<string, unknown>;
      return ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint'].map((name) => new URL(String(document[name])).origin);
    };
    const poisoned = await getWith(`${issuer}/.well-known/openid-configuration`, { host: 'evil.example', 'x-forwarded-host': 'evil.example:9999', 'x-forwarded-proto': 'https' });
    expect(poisoned.status).toBe(200);
    expect(endpointsOf(poisoned.body)).toEqual(Array(5).fill(issuer));
    const next = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(next.headers.get('x-request-id')).toBeNull(); // from the cache
    expect(endpointsOf(await next.text())).toEqual(Array(5).fill(issuer));
    const rp = await startRelyingParty(issuer);
    expect(new URL(rp.config.serverMetadata().token_endpoint!).origin).toBe(issuer);
  });
});

describe('a request line that names a whole URL', () => {
  const direct = useSesame({ client: false });

  it('cannot choose the host either: only its path counts', async () => {
    const issuer = direct.sesame.url;
    const { port } = new URL(issuer);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('GET http://evil.example:9999/.well-known/openid-configuration HTTP/1.1\r\nHost: evil.example:9999\r\nConnection: close\r\n\r\n'));
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).not.toContain('evil.example');
    const next = await fetch(`${issuer}/.well-known/openid-configuration`);
    const document = (await next.json()) as Record<string, string>;
    expect([document.authorization_endpoint, document.jwks_uri]).toEqual([`${issuer}/auth`, `${issuer}/jwks`]);
  });
});
