import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as client from 'openid-client';
import type { ClientRegistration } from '../../src/config/config-schema.ts';
import { formFields, HttpBrowser } from '../helpers/http-browser.ts';
import { startRelyingParty, type RelyingParty } from '../helpers/relying-party.ts';
import { finishAtApp, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { SERVER_APP_CLIENT, TEST_CLIENT } from '../helpers/test-config.ts';
import { useSesame } from '../helpers/use-sesame.ts';

// An app registered with allowed_email_domains: an internal tool beside a public app, on one Sesame
// whose sign-up is open to everyone.

const STAFF_TOOL: ClientRegistration = { ...SERVER_APP_CLIENT, client_id: 'staff-tool', client_name: 'Staff Tool', allowed_email_domains: ['corp.example'] };

// Internal tools often want the authenticator app too.
const STRICT_STAFF_TOOL: ClientRegistration = { ...STAFF_TOOL, client_id: 'strict-staff-tool', client_name: 'Strict Staff Tool', mfa: 'required' };

const running = useSesame({ config: { clients: [TEST_CLIENT, STAFF_TOOL, STRICT_STAFF_TOOL] } });
let staffTool: RelyingParty;
let strictStaffTool: RelyingParty;
beforeAll(async () => {
  staffTool = await startRelyingParty(running.sesame.url, STAFF_TOOL);
  strictStaffTool = await startRelyingParty(running.sesame.url, STRICT_STAFF_TOOL);
});

// Sesame runs in this process: moving Date.now ages the sessions it holds.
const realNow = Date.now.bind(Date);
afterEach(() => {
  jest.restoreAllMocks();
});

describe('an app only for addresses at its domains', () => {
  it('says so on its email form, refuses another domain there before any mail, and signs in its own', async () => {
    const browser = new HttpBrowser();
    const form = await browser.navigate((await staffTool.startAuthorization()).url);
    expect(form.html).toContain('Staff Tool is for addresses at corp.example.');
    const uid = form.url.split('/').pop()!;
    const refused = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(form.html, '/email'), email: 'someone@home.example' } });
    expect(refused.status).toBe(400);
    // One message says the rule: the error, not the form's hint beside it.
    expect(refused.html).toContain('Staff Tool is only for addresses at corp.example. Enter an address there.');
    expect(refused.html).not.toContain('Staff Tool is for addresses at corp.example.');
    await running.sesame.mailIdle();
    expect(running.smtp.messages.filter((mail) => mail.to === 'someone@home.example')).toHaveLength(0);

    const { tokens } = await signInWithCode({ ...running, rp: staffTool }, 'engineer@corp.example');
    expect(tokens.claims()).toMatchObject({ email: 'engineer@corp.example' });
    // The public app is not affected by the staff tool's rule.
    expect((await signInWithCode(running, 'someone@home.example')).tokens.claims()).toMatchObject({ email: 'someone@home.example' });
  });

  it('does not count an address whose local part routes the mail elsewhere as at its domain, on the form or signed in already', async () => {
    // Mail to "outsider%home.example@corp.example" through a relay that serves corp.example may be
    // delivered to outsider@home.example (Postfix's allow_percent_hack is on by default): whoever
    // proves that mailbox proves nothing about corp.example.
    const routed = 'outsider%home.example@corp.example';
    const browser = new HttpBrowser();
    const form = await browser.navigate((await staffTool.startAuthorization()).url);
    const uid = form.url.split('/').pop()!;
    const refused = await browser.navigate(`${running.sesame.url}/interaction/${uid}/email`, { form: { ...formFields(form.html, '/email'), email: routed } });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Staff Tool is only for addresses at corp.example.');

    // Sign-up is open to every address through the public app: the account is made there, and the
    // staff tool does not take it by single sign-on.
    const { browser: signedIn } = await signInWithCode(running, routed);
    const page = await signedIn.navigate((await staffTool.startAuthorization()).url);
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(page.html).toContain(`You are signed in as ${routed}, and Staff Tool is only for addresses at corp.example.`);
    expect(page.html).not.toContain('Staff Tool is for addresses at corp.example.');
  });

  it('asks a browser signed in with another domain for an address at its own, and does not hand it the other account', async () => {
    const { browser } = await signInWithCode(running, 'dual@home.example');
    const pending = await staffTool.startAuthorization();
    const { emailForm, page } = await signInWithCodeAt(running, pending.url, 'dual@corp.example', browser);
    expect(emailForm.url).toMatch(/\/interaction\/[^/]+$/);
    expect(emailForm.html).toContain('You are signed in as dual@home.example, and Staff Tool is only for addresses at corp.example. Sign in with one of those.');
    // Another account than the session's: oidc-provider ends the old session first, with a form
    // the browser submits by itself, then resumes.
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html)?.[1];
    const resumed = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { xsrf: xsrf!, logout: 'yes' } });
    const tokens = await staffTool.handleCallback(await finishAtApp(browser, resumed), pending);
    expect(tokens.claims()).toMatchObject({ email: 'dual@corp.example' });

    // Signed in at the app's domain now: the next authorization goes through by single sign-on.
    const again = await staffTool.startAuthorization();
    const callback = await finishAtApp(browser, await browser.navigate(again.url));
    expect((await staffTool.handleCallback(callback, again)).claims()).toMatchObject({ email: 'dual@corp.example' });
  });

  it('answers a silent sign-in (prompt=none) of a browser signed in at another domain as it answers one not signed in at all', async () => {
    // The app learns that it must send the person to sign in, and nothing about the address or
    // the rule: the same error_description as for any browser it cannot sign in silently.
    const silentError = async (browser: HttpBrowser) => {
      const callback = new URL((await browser.navigate((await staffTool.startAuthorization({ prompt: 'none' })).url)).leftTo!);
      return [callback.searchParams.get('error'), callback.searchParams.get('error_description')];
    };
    const { browser } = await signInWithCode(running, 'silent@home.example');
    const outside = await silentError(browser);
    expect(outside[0]).toBe('login_required');
    expect(outside).toEqual(await silentError(new HttpBrowser()));
  });

  it('says why it asks a browser signed in long ago at another domain, and does not fill in that address, where an authenticator would be set up', async () => {
    // A session older than 5 minutes, without an authenticator, that an app with mfa "required"
    // would step up: the email is asked for again in any case, but for this app's domain.
    const { browser } = await signInWithCode(running, 'weeks-ago@home.example');
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 6 * 60_000);
    const page = await browser.navigate((await strictStaffTool.startAuthorization()).url);
    expect(page.url).toMatch(/\/interaction\/[^/]+$/);
    expect(page.html).toContain('You are signed in as weeks-ago@home.example, and Strict Staff Tool is only for addresses at corp.example. Sign in with one of those.');
    expect(page.html).not.toContain('Before you set one up, confirm it’s you with your email.');
    expect(/<input id="email"[^>]*>/.exec(page.html)![0]).not.toContain('weeks-ago@home.example');
  });

  it('stops honouring the app\'s tokens once the account moves to another domain, and only that app\'s', async () => {
    const { tokens: staffTokens, browser } = await signInWithCode({ ...running, rp: staffTool, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, 'mover@corp.example');
    const publicApp = await running.rp.startAuthorization();
    const publicTokens = await running.rp.handleCallback(await finishAtApp(browser, await browser.navigate(publicApp.url)), publicApp);
    const account = (await running.sesame.accounts.findByEmail('mover@corp.example'))!;
    expect((await running.sesame.accounts.changeEmail(account.id, 'mover@corp.example', 'mover@home.example', { proven: true })).ok).toBe(true);

    await expect(client.fetchUserInfo(staffTool.config, staffTokens.access_token, account.id)).rejects.toMatchObject({ status: 401 });
    await expect(client.refreshTokenGrant(staffTool.config, staffTokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await client.fetchUserInfo(running.rp.config, publicTokens.access_token, account.id)).toMatchObject({ email: 'mover@home.example' });
  });
});
