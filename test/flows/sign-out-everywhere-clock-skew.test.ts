import { describe, expect, it } from '@jest/globals';
import * as client from 'openid-client';
import { withProcessClockOff } from '../helpers/move-clocks.ts';
import { signInAgain, signInWithCode, signInWithCodeAt } from '../helpers/sign-in.ts';
import { useSesame } from '../helpers/use-sesame.ts';

const running = useSesame();

// Sessions and tokens carry whole seconds, and the sign-out spares what began in its own second.
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));

// How far the clock of the instance that signs the person in runs ahead of the one that signs them
// out (`user sign-out` on an operator's host, another instance behind the load balancer).
const AHEAD_MS = 10_000;


describe('sign out everywhere, signed in by an instance whose clock runs ahead', () => {
  it('ends the browser session, the app tokens and the account page it issued just before; signing in again works at once', async () => {
    const email = 'clock-ahead@example.com';
    const { tokens, browser, accountBrowser } = await withProcessClockOff(AHEAD_MS, async () => {
      const signedIn = await signInWithCode({ ...running, authorizationParams: { scope: 'openid email offline_access', prompt: 'consent' } }, email);
      const { browser: pageBrowser, page } = await signInWithCodeAt(running, `${running.sesame.url}/account`, email);
      expect(page.html).toContain(email);
      return { ...signedIn, accountBrowser: pageBrowser };
    });
    const sub = tokens.claims()!.sub;
    expect((await client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).email).toBe(email);

    // Signed out by a process whose clock is right: later than the sign-in, earlier than what the
    // ahead clock wrote down for it.
    await nextSecond();
    await running.sesame.accounts.signOutEverywhere(sub);

    await expect(client.refreshTokenGrant(running.rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(running.rp.config, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
    expect((await client.tokenIntrospection(running.rp.config, tokens.access_token)).active).toBe(false);
    expect((await accountBrowser.navigate(`${running.sesame.url}/account`)).html).toContain('name="email"');

    // The browser that was signed in is asked for its email, and the same account signs in anew.
    const { emailForm, tokens: again } = await signInAgain(running, browser, email);
    expect(emailForm.html).toContain('name="email"');
    expect(again.claims()!.sub).toBe(sub);
    expect((await client.fetchUserInfo(running.rp.config, again.access_token, sub)).email).toBe(email);
  });
});
