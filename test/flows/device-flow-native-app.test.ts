import { describe, expect, it } from '@jest/globals';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { deviceSignIn } from '../helpers/device-sign-in.ts';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, signInWithCode } from '../helpers/sign-in.ts';
import { DEVICE_CLIENT, testConfig } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An app registered with `application_type: "native"` (RFC 8252): oidc-provider asks the person on
// a consent page every time such an app is authorized (its consent check native_client_prompt),
// because another app on the same machine can claim a native app's redirect. A device app has no
// redirect, and its person typed the code and pressed Allow: that is the interaction, and the
// consent, so no consent page follows, as for any device app. Native apps of the
// authorization-code flow keep the library's rule.

const NATIVE_DEVICE_CLIENT: ClientRegistration = { ...DEVICE_CLIENT, client_id: 'native-cli', client_name: 'Native CLI', application_type: 'native' };
const NATIVE_CODE_CLIENT: ClientRegistration = {
  client_id: 'desktop-app',
  client_name: 'Desktop App',
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  scope: 'openid email',
};

const { rateLimits } = testConfig({ issuer: 'http://unused' });
const running = useSesame({ config: { clients: [NATIVE_DEVICE_CLIENT, NATIVE_CODE_CLIENT], rateLimits: { ...rateLimits, deviceCodeEntriesPerIp: { limit: 1000, windowSeconds: 900 } } }, client: NATIVE_CODE_CLIENT });
const { enterUserCode, decide, signInByEmailCode, startDeviceAs, pollOnce } = deviceSignIn(running);

describe('a native app with the device grant', () => {
  it('is connected by Allow and the sign-in after it, with no consent page', async () => {
    const browser = new HttpBrowser();
    const device = await startDeviceAs(NATIVE_DEVICE_CLIENT.client_id);
    const done = await signInByEmailCode(browser, await decide(browser, await enterUserCode(browser, device.user_code), 'confirm'), 'native-cli@example.com');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    expect(await pollOnce(device.device_code, NATIVE_DEVICE_CLIENT.client_id)).toMatchObject({ status: 200, body: { refresh_token: expect.any(String) } });
  });

  it('is connected by Allow alone in a browser signed in already, with no consent page', async () => {
    const { browser } = await signInWithCode(running, 'native-cli-sso@example.com');
    const device = await startDeviceAs(NATIVE_DEVICE_CLIENT.client_id);
    const done = await decide(browser, await enterUserCode(browser, device.user_code), 'confirm');
    expect(done.url).toBe(`${running.sesame.url}/device/connected`);
    expect(await pollOnce(device.device_code, NATIVE_DEVICE_CLIENT.client_id)).toMatchObject({ status: 200 });
  });
});

describe('a native app of the authorization-code flow', () => {
  it('still gets the consent page when single sign-on would authorize it without asking', async () => {
    const { browser } = await signInWithCode(running, 'desktop@example.com');
    const app = await startRelyingParty(running.sesame.url, NATIVE_CODE_CLIENT);
    const pending = await app.startAuthorization();
    const page = await browser.navigate(pending.url);
    expect(page.leftTo).toBeUndefined();
    expect(page.html).toContain('Desktop App wants to know who you are');
    expect((await app.handleCallback(await finishAtApp(browser, page), pending)).claims()).toMatchObject({ email: 'desktop@example.com' });
  });
});
