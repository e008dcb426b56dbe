import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { emailChangeCodeTo, enterEmailChangeCode, requestEmailChange } from '../helpers/email-change.ts';
import { formFields, tableRows } from '../helpers/http-browser.ts';
import { oidcRecordKey } from '../../src/store/keys.ts';
import { startRelyingParty } from '../helpers/relying-party.ts';
import { useRestartableDeployment } from '../helpers/restartable-deployment.ts';
import { requestSignInMail, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';

// Who may have an account, and where, is read at start-up: an operator tightens it and restarts.
// What was begun under the old settings must not finish against the new ones.

const deployment = useRestartableDeployment('policy-restart');
const { restartWith } = deployment;

describe('a change of address asked for before SIGNUP_DOMAINS was set', () => {
  it('is not made by its code once a restart set the domains: the account stays at its address', async () => {
    await restartWith({});
    const { browser, page } = await signInWithCodeAt({ smtp: deployment.smtp }, `${deployment.proxy.url}/account`, 'leaving@example.com');
    expect(page.url).toBe(`${deployment.proxy.url}/account`);
    const { page: confirm } = await requestEmailChange(deployment.proxy.url, browser, 'private@elsewhere.net');
    expect(confirm.url).toBe(`${deployment.proxy.url}/account/email/confirm`);
    const { code } = await emailChangeCodeTo(deployment.smtp, 'private@elsewhere.net');

    const sesame = await restartWith({ signupDomains: ['example.com'] });
    const done = await enterEmailChangeCode(deployment.proxy.url, browser, confirm, code!);
    expect(done.status).toBe(400);
    expect(done.url).toBe(`${deployment.proxy.url}/account/email?problem=outside-domains`);
    expect(done.html).toContain('Accounts here use addresses at example.com: enter one of those.');
    expect(await sesame.accounts.findByEmail('private@elsewhere.net')).toBeUndefined();
    expect(await sesame.accounts.findByEmail('leaving@example.com')).toBeDefined();
  });
});

describe('an app whose registration gains allowed_email_domains', () => {
  const tool = { ...SERVER_APP_CLIENT, client_id: 'staff-tool', client_name: 'Staff Tool' } satisfies ClientRegistration;
  const offline = { scope: 'openid email offline_access', prompt: 'consent' };

  it('from the restart on: refuses its tokens of accounts elsewhere, asks their browsers for another address, and finishes no sign-in begun with one', async () => {
    await restartWith({ clients: [TEST_CLIENT, tool] });
    const before = await startRelyingParty(deployment.proxy.url, tool);
    const visitor = await signInWithCode({ rp: before, smtp: deployment.smtp, authorizationParams: offline }, 'visitor@home.example');
    const staff = await signInWithCode({ rp: before, smtp: deployment.smtp, authorizationParams: offline }, 'staff@corp.example');
    // Begun before the restart, its mail already out.
    const begun = await requestSignInMail({ rp: before, smtp: deployment.smtp }, 'late@home.example');

    const sesame = await restartWith({ clients: [TEST_CLIENT, { ...tool, allowed_email_domains: ['corp.example'] }] });
    const app = await startRelyingParty(deployment.proxy.url, tool);
    const refreshes = (token: string) => client.refreshTokenGrant(app.config, token).then(() => 'works', (error: { error?: string }) => error.error);
    const userinfo = (token: string) => fetch(`${deployment.proxy.url}/me`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
    expect(await refreshes(visitor.tokens.refresh_token!)).toBe('invalid_grant');
    expect(await userinfo(visitor.tokens.access_token)).toBe(401);
    expect((await client.tokenIntrospection(app.config, visitor.tokens.access_token)).active).toBe(false);
    expect(await userinfo(staff.tokens.access_token)).toBe(200);
    expect(await refreshes(staff.tokens.refresh_token!)).toBe('works');

    const asked = await visitor.browser.navigate((await app.startAuthorization()).url);
    expect(asked.html).toContain('You are signed in as visitor@home.example, and Staff Tool is only for addresses at corp.example. Sign in with one of those.');

    const check = await begun.browser.navigate(`${deployment.proxy.url}/interaction/${begun.uid}/check`);
    const refused = await begun.browser.navigate(`${deployment.proxy.url}/interaction/${begun.uid}/code`, { form: { ...formFields(check.html, '/code'), code: begun.mail.code! } });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('Staff Tool is only for addresses at corp.example. Go back and sign in with one of those.');
    expect(await sesame.accounts.findByEmail('late@home.example')).toBeUndefined();
  });

  it('is no longer listed under "Apps with access" of accounts elsewhere, whose tokens it cannot use, and "Remove access" still ends what they gave it', async () => {
    await restartWith({ clients: [TEST_CLIENT, tool] });
    const before = await startRelyingParty(deployment.proxy.url, tool);
    const visitor = await signInWithCode({ rp: before, smtp: deployment.smtp, authorizationParams: offline }, 'listed-visitor@home.example');
    const staff = await signInWithCode({ rp: before, smtp: deployment.smtp, authorizationParams: offline }, 'listed-staff@corp.example');
    const appsOn = async (browser: typeof visitor.browser) => {
      const page = await browser.navigate(`${deployment.proxy.url}/account`);
      expect(page.url).toBe(`${deployment.proxy.url}/account`);
      const browsers = tableRows(page.html, 'signed-in-browsers', 'browser').map((row) => row.text);
      return { page, apps: page.html.includes('No app can act for you now.') ? [] : tableRows(page.html, 'apps-with-access', 'app').map((row) => row.value), browsers };
    };
    const listedBefore = await appsOn(visitor.browser);
    expect(listedBefore.apps).toEqual([tool.client_id]);
    // "Where you are signed in" names the app under the browser that signed in to it.
    expect(listedBefore.browsers).toEqual([expect.stringContaining(tool.client_name)]);

    const sesame = await restartWith({ clients: [TEST_CLIENT, { ...tool, allowed_email_domains: ['corp.example'] }] });
    const { page, apps, browsers } = await appsOn(visitor.browser);
    expect(apps).toEqual([]);
    // Nor under the browser: the app's tokens are refused and the browser asked for another address.
    expect(browsers).toHaveLength(1);
    expect(browsers[0]).not.toContain(tool.client_name);
    const staffPage = await appsOn(staff.browser);
    expect(staffPage.apps).toEqual([tool.client_id]);
    expect(staffPage.browsers).toEqual([expect.stringContaining(tool.client_name)]);
    // The page still open from before the restart: its button ends what the app holds, though refused now.
    const removed = await visitor.browser.navigate(`${deployment.proxy.url}/account/apps/remove`, { form: { csrf: formFields(page.html, '/account/sign-out').csrf!, app: tool.client_id } });
    expect(removed.url).toBe(`${deployment.proxy.url}/account?done=app-access-removed`);
    expect(await sesame.store.get(oidcRecordKey('RefreshToken', visitor.tokens.refresh_token!))).toBeUndefined();
  });
});
