import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { formFields, HttpBrowser, tableRows } from '../helpers/http-browser.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { useRestartableDeployment } from '../helpers/restartable-deployment.ts';
import { sessionIdOf, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

// tokens_not_before on an app's registration: after a leaked secret, the operator sets a new one
// and this, restarts, and every token the app held from before is refused, for every person.

const deployment = useRestartableDeployment('token-cutoff');
const { restartWith } = deployment;

/** Waits into the next whole second: tokens carry whole seconds, the cutoff milliseconds. */
const second = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

describe('tokens_not_before', () => {
  it('refuses every token the app got before it (refresh, userinfo, introspection, a machine\'s token), and none issued after', async () => {
    await restartWith({ clients: [TEST_CLIENT, MACHINE_CLIENT] });
    const app = await startRelyingParty(deployment.proxy.url);
    const machine = await startRelyingParty(deployment.proxy.url, MACHINE_CLIENT);
    const { tokens } = await signInWithCode({ rp: app, smtp: deployment.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'cutoff@example.com');
    const machineToken = await client.clientCredentialsGrant(machine.config);
    // A refresh in between: the refresh token it returns belongs to the chain begun before the cutoff.
    const rotated = await client.refreshTokenGrant(app.config, tokens.refresh_token!);
    await second();
    const cutoff = new Date().toISOString();
    await second();

    // The operator's answer: the cutoff on both apps, and a restart.
    await restartWith({ clients: [{ ...TEST_CLIENT, tokens_not_before: cutoff }, { ...MACHINE_CLIENT, tokens_not_before: cutoff }] });
    const appNow = await startRelyingParty(deployment.proxy.url);
    const machineNow = await startRelyingParty(deployment.proxy.url, MACHINE_CLIENT);
    const refreshes = (token: string) => client.refreshTokenGrant(appNow.config, token).then(() => 'works', (error: { error?: string }) => error.error);
    const userinfo = (token: string) => fetch(`${deployment.proxy.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
    expect(await refreshes(rotated.refresh_token ?? tokens.refresh_token!)).toBe('invalid_grant');
    expect(await userinfo(rotated.access_token)).toBe(401);
    expect((await client.tokenIntrospection(appNow.config, rotated.access_token)).active).toBe(false);
    expect((await client.tokenIntrospection(machineNow.config, machineToken.access_token)).active).toBe(false);

    // What the apps get from now on works.
    const fresh = await signInWithCode({ rp: appNow, smtp: deployment.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'cutoff@example.com');
    expect(await userinfo(fresh.tokens.access_token)).toBe(200);
    expect(await refreshes(fresh.tokens.refresh_token!)).toBe('works');
    const machineFresh = await client.clientCredentialsGrant(machineNow.config);
    expect((await client.tokenIntrospection(machineNow.config, machineFresh.access_token)).active).toBe(true);
  });

  it('"Apps with access" counts no refresh token from before it: the app is listed while a browser can sign in to it again, and "Remove access" still ends what it held', async () => {
    await restartWith({ clients: [TEST_CLIENT] });
    const app = await startRelyingParty(deployment.proxy.url);
    const email = 'cutoff-listed@example.com';
    const { browser, tokens } = await signInWithCode({ rp: app, smtp: deployment.smtp, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
    /** The app's row on the account page of `viewer` (undefined: not listed). */
    const appRow = async (viewer: HttpBrowser) => {
      const page = await viewer.navigate(`${deployment.proxy.url}/account`);
      expect(page.url).toBe(`${deployment.proxy.url}/account`);
      const rows = page.html.includes('No app can act for you now.') ? [] : tableRows(page.html, 'apps-with-access', 'app');
      return { page, row: rows.find((row) => row.value === TEST_CLIENT.client_id)?.text };
    };
    expect((await appRow(browser)).row).toMatch(/signed in on one browser .*keep access while you are not using it/);
    await second();
    const cutoff = new Date().toISOString();
    await second();

    const sesame = await restartWith({ clients: [{ ...TEST_CLIENT, tokens_not_before: cutoff }] });
    // That browser signs in to the app again without a question, with tokens from now: it has access through it, and only through it.
    const { row } = await appRow(browser);
    expect(row).toMatch(/signed in on one browser/);
    expect(row).not.toContain('keep access');
    // Once that browser's session is gone, nothing the app holds works: it is not listed.
    await sesame.store.delete(oidcRecordKey('Session', sessionIdOf(browser, deployment.proxy.url)));
    const { browser: elsewhere } = await signInWithCodeAt({ smtp: deployment.smtp }, `${deployment.proxy.url}/account`, email, new HttpBrowser());
    const { page, row: gone } = await appRow(elsewhere);
    expect(gone).toBeUndefined();
    // "Remove access" (a page open from before): the refresh token, refused already, goes too.
    const removed = await elsewhere.navigate(`${deployment.proxy.url}/account/apps/remove`, { form: { csrf: formFields(page.html, '/account/sign-out').csrf!, app: TEST_CLIENT.client_id } });
    expect(removed.url).toBe(`${deployment.proxy.url}/account?done=app-access-removed`);
    expect(await sesame.store.get(oidcRecordKey('RefreshToken', tokens.refresh_token!))).toBeUndefined();
  });
});
