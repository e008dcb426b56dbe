import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { signInAgain, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

// Sessions and tokens carry whole seconds, and the sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

describe('sign out everywhere (user sign-out, user reset-mfa)', () => {
  it('ends the browser sessions, the app tokens (a rotated refresh token too) and the account page; signing in again works at once', async () => {
    const email = 'everywhere@example.com';
    const { tokens, browser } = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
    const sub = tokens.claims()!.sub;
    // Rotated once before the sign-out: the chain began before it all the same.
    const rotated = await client.refreshTokenGrant(running.rp.config, tokens.refresh_token!);
    const { browser: accountBrowser, page: accountPage } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
    expect(accountPage.html).toContain(email);
    expect((await client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).email).toBe(email);

    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(sub);

    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(running.rp.config, rotated.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const accountAgain = await accountBrowser.navigate(`${running.sesame.url}/account`);
    expect(accountAgain.html).toContain('name="email"');

    // The browser that was signed in is asked for its email, and the same account signs in anew.
    const { emailForm, tokens: again } = await signInAgain(running, browser, email);
    expect(emailForm.html).toContain('name="email"');
    expect(again.claims()!.sub).toBe(sub);
    expect((await client.fetchUserInfo(running.rp.config, again.access_token, sub)).email).toBe(email);
  });
});
