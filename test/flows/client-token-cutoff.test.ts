import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { useRestartableDeployment } from '../helpers/restartable-deployment.ts';
import { signInWithCode } from '../helpers/sign-in.ts';
import { MACHINE_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

// tokens_not_before on an app's registration: after a leaked secret, the operator sets a new one
// and this, restarts, and every token the app held from before is refused, for every person.

const deployment = useRestartableDeployment('token-cutoff');
const { restartWith } = deployment;

const second = () => new Promise((resolve) => setTimeout(resolve, 1100));

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
});
