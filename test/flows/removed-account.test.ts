import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { HttpBrowser } from '../helpers/http-browser.ts';
import { finishAtApp, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

describe('an account removed while it is signed in (user remove)', () => {
  it('its browser session asks for an email again, and its access token no longer answers nor introspects as active', async () => {
    const { tokens, browser } = await signInWithCode(running, 'leaving@example.com');
    const oldSub = tokens.claims()!.sub;
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(true);
    await running.sesame.accounts.remove('leaving@example.com');
    // At once, before anything else happens to the session or its grant.
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, oldSub)).rejects.toMatchObject({ status: 401 });
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);

    // The same browser, still holding its session, starts another authorization: the sign-in
    // form, not an error page and not a code for an account that is gone.
    const pending = await running.rp.startAuthorization();
    const { emailForm, page } = await signInWithCodeAt(running, pending.url, 'leaving@example.com', browser);
    expect(emailForm.status).toBe(200);
    expect(emailForm.html).toContain('name="email"');
    // The login is another account than the session's, so oidc-provider first ends the old
    // session with a form the browser submits by itself, then resumes.
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html)?.[1];
    expect(xsrf).toBeDefined();
    const resumed = await browser.navigate(`${running.sesame.url}/session/end/confirm`, { form: { xsrf: xsrf!, logout: 'yes' } });
    // Signing in again makes a new account (sign-up is open here), under a new subject.
    const again = await running.rp.handleCallback(await finishAtApp(browser, resumed), pending);
    expect(again.claims()!.sub).not.toBe(oldSub);
    expect(again.claims()!.email).toBe('leaving@example.com');

    expect(await client.tokenIntrospection(running.rp.config, again.access_token)).toMatchObject({ active: true, sub: again.claims()!.sub });
  });

  it('an app\'s silent sign-in (prompt=none) in its browser is answered as one in a browser never signed in: the app does not learn that the account was removed', async () => {
    const silentAnswer = async (browser: HttpBrowser) => {
      const callback = new URL((await browser.navigate((await running.rp.startAuthorization({ prompt: 'none' })).url)).leftTo!);
      return [callback.searchParams.get('error'), callback.searchParams.get('error_description')];
    };
    const { browser } = await signInWithCode(running, 'gone-quietly@example.com');
    await running.sesame.accounts.remove('gone-quietly@example.com');
    const answer = await silentAnswer(browser);
    expect(answer[0]).toBe('login_required');
    expect(answer).toEqual(await silentAnswer(new HttpBrowser()));
  });
});
