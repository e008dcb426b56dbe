import { describe, expect, it } from '@jest/globals';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { startRedis, uniquePrefix } from '../helpers/redis.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';
import { createKeySetStore } from '../../src/signing-keys/key-set-store.ts';
import { TEST_CLIENT } from '../helpers/test-config.ts';

// Redis goes away under a running Sesame and comes back on the same port. Every request must get a
// clear answer (never hang, never a 500), and Sesame must resume without a restart.

// A shared prefix: the test cleans nothing up, the Redis restarts empty anyway.
const running = useSesame({ keyPrefix: uniquePrefix('outage'), config: { signingKeys: { reloadIntervalSeconds: 1, promoteAfterSeconds: 3600 } } });

/** Each request during the outage must answer well within this: a hung request fails the test. */
const NO_HANG = { signal: AbortSignal.timeout(15_000) } as const;

describe('a Redis outage', () => {
  it('answers 503 at once while Redis is down, and recovers by itself when it returns', async () => {
    await signInWithCode(running, 'before@example.com');
    const browser = new HttpBrowser();
    const emailPage = await browser.navigate((await running.rp.startAuthorization()).url);
    expect(emailPage.status).toBe(200);

    await running.redis.stop();

    // The app's next authorization request: a page that says what is going on.
    const authorize = await fetch((await running.rp.startAuthorization()).url, { ...NO_HANG, headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(authorize.status).toBe(503);
    expect(authorize.headers.get('retry-after')).toBe('5');
    const authorizePage = await authorize.text();
    expect(authorizePage).toContain('Temporarily unavailable');
    expect(authorizePage).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+|Error:/);

    // A sign-in page already open.
    const interaction = await browser.request(emailPage.url);
    expect(interaction.status).toBe(503);
    expect(await interaction.text()).toContain('briefly unavailable');

    // An API client (the app's back end at the token endpoint) gets JSON.
    const token = await fetch(`${running.sesame.url}/token`, {
      ...NO_HANG,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }),
    });
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });

    // Probes: alive, not ready.
    expect((await fetch(`${running.sesame.url}/healthz`, NO_HANG)).status).toBe(200);
    const readyz = await fetch(`${running.sesame.url}/readyz`, NO_HANG);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ status: 'unavailable', checks: { store: 'down' } });

    // Redis returns on the same port: no restart of Sesame.
    running.redis = await startRedis([], { port: running.redis.port });
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${running.sesame.url}/readyz`, NO_HANG)).status !== 200) {
      if (Date.now() > deadline) throw new Error('Sesame did not become ready again after Redis returned');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Everything works again, the mail worker included.
    const { tokens } = await signInWithCode(running, 'after@example.com');
    expect(tokens.claims()!.email).toBe('after@example.com');
    // This Redis came back empty: the instance put back the signing keys it signs with, so an
    // instance started now would share them instead of seeding others from its JWKS_FILE.
    const keySets = createKeySetStore(running.sesame.store);
    const restoreDeadline = Date.now() + 15_000;
    while (!(await keySets.load())) {
      if (Date.now() > restoreDeadline) throw new Error('the key set was not restored');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await keySets.load())!.keys.map((k) => k.kid).sort()).toEqual(running.sesame.config.jwks.keys.map((k) => String(k.kid)).sort());
  });
});
