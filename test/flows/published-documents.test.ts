import { describe, expect, it } from '@jest/globals';
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
