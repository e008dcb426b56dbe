import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { DEVICE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// The device authorization grant (RFC 8628): a TV or a command-line tool (openid-client's device
// functions) gets a user code, a person types it at /device in a browser, and the device's polling
// receives the tokens. Here, the device's side.

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const running = useSesame({ config: { clients: [TEST_CLIENT, DEVICE_CLIENT] }, client: DEVICE_CLIENT });

const startDevice = (scope = 'openid email offline_access') => client.initiateDeviceAuthorization(running.rp.config, { scope });

/** One poll of the token endpoint, as a device sends it: the JSON answer and its status. */
async function pollOnce(deviceCode: string) {
  const response = await fetch(`${running.sesame.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: DEVICE_CLIENT.client_id }),
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

describe('device authorization grant', () => {
  it('discovery advertises the device authorization endpoint and grant type', async () => {
    const discovery = (await (await fetch(`${running.sesame.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.device_authorization_endpoint).toBe(`${running.sesame.url}/device/auth`);
    expect(discovery.grant_types_supported).toContain(DEVICE_GRANT);
  });

  it('a device gets a user code to show, the address to type it at, and the interval to poll at', async () => {
    const device = await startDevice();
    expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(device.verification_uri).toBe(`${running.sesame.url}/device`);
    expect(device.interval).toBe(1);
    expect(device.expires_in).toBeGreaterThan(590);
  });

  it('the device polling for an expired code gets expired_token', async () => {
    const device = await startDevice();
    // Ten minutes on: the code's expiry moved into the past (the record outlives it: store-adapter.ts).
    const key = oidcRecordKey('DeviceCode', device.device_code);
    const record = (await running.sesame.store.get<Record<string, unknown>>(key))!;
    await running.sesame.store.set(key, { ...record, exp: Math.floor(Date.now() / 1000) - 1 }, 3600);
    const poll = await pollOnce(device.device_code);
    expect(poll).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    expect(poll.type).toMatch(/^application\/json/);
  });

  it('a device polling faster than the interval is told slow_down (JSON), and authorization_pending once it waits', async () => {
    const device = await startDevice();
    const first = await pollOnce(device.device_code);
    expect(first).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(first.type).toMatch(/^application\/json/);
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await pollOnce(device.device_code)).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
  });

  it('an app not registered for the device grant is refused at /device/auth, in JSON', async () => {
    const response = await fetch(`${running.sesame.url}/device/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_CLIENT.client_id}:${TEST_CLIENT.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ scope: 'openid email' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    // A program's endpoint: none of the page machinery, the data policy (oidc/provider-api-paths.ts).
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(await response.json()).toMatchObject({ error: 'unauthorized_client', error_description: expect.stringContaining(`add "${DEVICE_GRANT}" to its grant_types`) });
  });
});
