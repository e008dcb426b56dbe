import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config-schema.ts';
import { rateLimitKey } from '../../src/store/keys.ts';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { clearOfWindowStart } from '../helpers/rate-limit-window.ts';
import { countKeysWithPrefix, deleteKeysWithPrefix, uniquePrefix } from '../helpers/redis.ts';
import { finishAtApp, signInWithCodeAt } from '../helpers/sign-in.ts';
import { DEVICE_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// What oidc-provider keeps in Redis for someone who has not signed in (a sign-in started at /auth,
// a device code, a pushed request, the session of /device's form) counts against the client IP's
// rateLimits.signInStartsPerIp (oidc/limit-sign-in-starts.ts). Without it one client could fill
// Redis, which under noeviction then refuses everyone's writes. Here the budget is 3 per window,
// and each test comes from addresses of its own (TRUST_PROXY, X-Forwarded-For).

const LIMIT = 3;
const keyPrefix = uniquePrefix('sign-in-starts');
let admin: Redis;
// Registered before useSesame's, so that it runs while Redis is still up.
afterAll(async () => {
  await deleteKeysWithPrefix(admin, keyPrefix);
  admin.disconnect();
});
const running = useSesame({
  keyPrefix,
  config: {
    trustProxy: true,
    clients: [TEST_CLIENT, SERVER_APP_CLIENT, FIRST_PARTY_CLIENT, MACHINE_CLIENT, DEVICE_CLIENT],
    rateLimits: { ...(JSON.parse(readFileSync('config/default.json', 'utf8')) as { rateLimits: Config['rateLimits'] }).rateLimits, signInStartsPerIp: { limit: LIMIT, windowSeconds: 900 } },
  },
});
beforeAll(async () => {
  admin = new Redis(running.redis.url);
  await clearOfWindowStart();
});

let ipCounter = 0;
let ip: string;
beforeEach(() => {
  ipCounter++;
  ip = `203.0.113.${ipCounter}`;
});
const from = (address: string) => ({ 'x-forwarded-for': address });
const records = (model: string) => countKeysWithPrefix(admin, `${keyPrefix}oidc:${model}:`);

const verifier = randomBytes(32).toString('base64url');
const authUrl = (extra: Record<string, string> = {}) =>
  `${running.sesame.url}/auth?${new URLSearchParams({
    client_id: TEST_CLIENT.client_id,
    redirect_uri: TEST_CLIENT.redirect_uris![0]!,
    response_type: 'code',
    scope: 'openid email',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    ...extra,
  })}`;
const startSignIn = (address: string) => fetch(authUrl(), { redirect: 'manual', headers: { accept: 'text/html', ...from(address) } });

describe('sign-ins started at /auth', () => {
  it('keeps a sign-in for each request within the budget; past it, answers 429 with a page and keeps nothing', async () => {
    const before = await records('Interaction');
    for (let i = 0; i < LIMIT; i++) {
      const started = await startSignIn(ip);
      expect(started.status).toBe(303);
      expect(started.headers.get('location')).toMatch(/\/interaction\//);
    }
    expect(await records('Interaction')).toBe(before + LIMIT);

    const refused = await startSignIn(ip);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('location')).toBeNull();
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect(refused.headers.get('content-type')).toMatch(/text\/html/);
    expect(await refused.text()).toContain('Too many sign-ins were started from your network.');
    // Hammering on keeps nothing more.
    for (let i = 0; i < 5; i++) expect((await startSignIn(ip)).status).toBe(429);
    expect(await records('Interaction')).toBe(before + LIMIT);
  });

  it('counts IPv6 clients by their /64, and another network has its own budget', async () => {
    const net = `2001:db8:${ipCounter.toString(16)}:1`;
    for (let i = 0; i < LIMIT; i++) expect((await startSignIn(`${net}::${(i + 1).toString(16)}`)).status).toBe(303);
    expect((await startSignIn(`${net}:ffff:ffff:ffff:ffff`)).status).toBe(429);
    expect((await startSignIn(`2001:db8:${ipCounter.toString(16)}:2::1`)).status).toBe(303);
  });

  it('does not count a signed-in browser whose app gets its code without a prompt', async () => {
    // One sign-in (one start), then sign-ins without a prompt past the budget, from the same address.
    const browser = new HttpBrowser(undefined, from(ip));
    const { page } = await signInWithCodeAt(running, authUrl(), `starts-${ipCounter}@example.com`, browser);
    expect(await finishAtApp(browser, page)).toContain('code=');
    for (let i = 0; i < LIMIT + 2; i++) expect((await browser.navigate(authUrl())).leftTo).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
  });
});

describe('device codes and pushed requests', () => {
  const deviceAuth = (address: string) =>
    fetch(`${running.sesame.url}/device/auth`, { method: 'POST', headers: from(address), body: new URLSearchParams({ client_id: DEVICE_CLIENT.client_id, scope: 'openid' }) });
  const pushRequest = (address: string) =>
    fetch(`${running.sesame.url}/request`, {
      method: 'POST',
      headers: from(address),
      body: new URLSearchParams({ client_id: FIRST_PARTY_CLIENT.client_id, redirect_uri: FIRST_PARTY_CLIENT.redirect_uris![0]!, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
    });

  it('refuses a device code past the budget in JSON, and keeps neither it nor its user code', async () => {
    const [codesBefore, userCodesBefore] = [await records('DeviceCode'), await records('user-code')];
    for (let i = 0; i < LIMIT; i++) expect((await deviceAuth(ip)).status).toBe(200);
    const refused = await deviceAuth(ip);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited', error_description: expect.stringContaining('Too many sign-ins') });
    expect(await records('DeviceCode')).toBe(codesBefore + LIMIT);
    expect(await records('user-code')).toBe(userCodesBefore + LIMIT);
  });

  it('refuses a pushed authorization request past the budget in JSON, and keeps nothing of it', async () => {
    const before = await records('PushedAuthorizationRequest');
    for (let i = 0; i < LIMIT; i++) expect((await pushRequest(ip)).status).toBe(201);
    const refused = await pushRequest(ip);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'rate_limited' });
    expect(await records('PushedAuthorizationRequest')).toBe(before + LIMIT);
  });

  it('does not count what an app asks for with its secret (a confidential app\'s server): its pushes are not a stranger\'s', async () => {
    const before = await records('PushedAuthorizationRequest');
    const pushWithSecret = () =>
      fetch(`${running.sesame.url}/request`, {
        method: 'POST',
        headers: { ...from(ip), authorization: `Basic ${Buffer.from(`${SERVER_APP_CLIENT.client_id}:${SERVER_APP_CLIENT.client_secret}`).toString('base64')}` },
        body: new URLSearchParams({ client_id: SERVER_APP_CLIENT.client_id, redirect_uri: SERVER_APP_CLIENT.redirect_uris![0]!, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
      });
    for (let i = 0; i < LIMIT + 2; i++) expect((await pushWithSecret()).status).toBe(201);
    expect(await records('PushedAuthorizationRequest')).toBe(before + LIMIT + 2);
    // The address's budget is whole for a public client's pushes, which anyone can make.
    for (let i = 0; i < LIMIT; i++) expect((await pushRequest(ip)).status).toBe(201);
    expect((await pushRequest(ip)).status).toBe(429);
  });

  /** Pushes a request for the first-party app and returns its request_uri. */
  const pushedRequestUri = async (address: string) => {
    const pushed = await pushRequest(address);
    expect(pushed.status).toBe(201);
    return ((await pushed.json()) as { request_uri: string }).request_uri;
  };
  const startPushedSignIn = (address: string, requestUri: string) =>
    fetch(`${running.sesame.url}/auth?${new URLSearchParams({ client_id: FIRST_PARTY_CLIENT.client_id, request_uri: requestUri })}`, { redirect: 'manual', headers: { accept: 'text/html', ...from(address) } });

  it('counts a sign-in through a pushed request once: the push counts, its first /auth does not', async () => {
    const before = await records('Interaction');
    for (let i = 0; i < LIMIT; i++) {
      const started = await startPushedSignIn(ip, await pushedRequestUri(ip));
      expect(started.status).toBe(303);
      expect(started.headers.get('location')).toMatch(/\/interaction\//);
    }
    expect(await records('Interaction')).toBe(before + LIMIT);
    expect((await pushRequest(ip)).status).toBe(429);
  });

  it('counts every /auth after the first on one pushed request, and keeps nothing for one never pushed', async () => {
    const before = await records('Interaction');
    const requestUri = await pushedRequestUri(ip);
    // The push was the first count; its first sign-in is free, each further one (a reload, or
    // someone reusing it to make sign-ins) counts: LIMIT sign-ins in all, then a 429.
    for (let i = 0; i < LIMIT; i++) expect((await startPushedSignIn(ip, requestUri)).status).toBe(303);
    const refused = await startPushedSignIn(ip, requestUri);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('location')).toBeNull();
    expect(await records('Interaction')).toBe(before + LIMIT);
    // Unknown to the library: refused before it makes anything, from any address.
    const unknown = await startPushedSignIn(`198.51.100.${ipCounter}`, 'urn:ietf:params:oauth:request_uri:never-pushed');
    expect(unknown.status).toBe(400);
    expect(await records('Interaction')).toBe(before + LIMIT);
  });

  it('counts the sessions made for /device’s form in a browser that has none', async () => {
    const before = await records('Session');
    for (let i = 0; i < LIMIT; i++) expect((await fetch(`${running.sesame.url}/device`, { headers: from(ip) })).status).toBe(200);
    const refused = await fetch(`${running.sesame.url}/device`, { headers: from(ip) });
    expect(refused.status).toBe(429);
    expect(refused.headers.getSetCookie()).toEqual([]);
    expect(await records('Session')).toBe(before + LIMIT);
    // A browser that keeps its session cookie is not counted again.
    const browser = new HttpBrowser(undefined, from(`198.51.100.${ipCounter}`));
    for (let i = 0; i < LIMIT + 2; i++) expect((await browser.request(`${running.sesame.url}/device`)).status).toBe(200);
  });

  it('counts the sessions made for the sign-out confirmation in a browser that has none', async () => {
    const before = await records('Session');
    for (let i = 0; i < LIMIT; i++) expect((await fetch(`${running.sesame.url}/session/end`, { headers: from(ip) })).status).toBe(200);
    const refused = await fetch(`${running.sesame.url}/session/end`, { headers: from(ip) });
    expect(refused.status).toBe(429);
    expect(await records('Session')).toBe(before + LIMIT);
  });

  it('counts in one window key per client, which expires with its window', async () => {
    await deviceAuth(ip);
    const keys = await admin.keys(`${keyPrefix}${rateLimitKey('sign-in-starts-ip', '*', 0).replace(/:0$/, ':*')}`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await admin.ttl(key)).toBeGreaterThan(0);
  });
});

describe('a session cookie whose session is gone', () => {
  // The library makes a new session for a cookie naming one it cannot find, and not as `new`
  // (lib/models/session.js get: instantiate({})); the cookie's signature stays valid long after
  // its session expired. Sent again and again, each request would make a record of its own.
  const sessionCookiesOf = (response: Response) => response.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!).join('; ');

  it('counts each session made anew for it, and keeps none past the budget', async () => {
    const first = await fetch(`${running.sesame.url}/device`, { headers: from(`192.0.2.${ipCounter}`) });
    const staleCookie = sessionCookiesOf(first);
    expect(staleCookie).toMatch(/session/);
    const sessionId = /session=([^;]+)/.exec(staleCookie)![1]!;
    await admin.del(`${keyPrefix}oidc:Session:{${sessionId}}`);

    const before = await records('Session');
    const answers: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) answers.push((await fetch(`${running.sesame.url}/device`, { headers: { ...from(ip), cookie: staleCookie } })).status);
    expect(answers).toEqual([...Array<number>(LIMIT).fill(200), 429, 429, 429]);
    expect(await records('Session')).toBe(before + LIMIT);
  });

  it('keeps no session made for it when a sign-in at /auth is refused', async () => {
    const first = await fetch(`${running.sesame.url}/device`, { headers: from(`192.0.2.${ipCounter}`) });
    const staleCookie = sessionCookiesOf(first);
    const sessionId = /session=([^;]+)/.exec(staleCookie)![1]!;
    await admin.del(`${keyPrefix}oidc:Session:{${sessionId}}`);
    for (let i = 0; i < LIMIT; i++) await startSignIn(ip);

    const before = await records('Session');
    const refused = await fetch(authUrl(), { redirect: 'manual', headers: { accept: 'text/html', ...from(ip), cookie: staleCookie } });
    expect(refused.status).toBe(429);
    expect(await records('Session')).toBe(before);
  });
});
