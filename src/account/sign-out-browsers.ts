import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { InvalidRequest } from '../http/errors.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import type { AccountDeps } from './account-deps.ts';
import type { AccountSession } from './account-session.ts';

/**
 * POST /account/browsers/sign-out — `browser` is one signed-in browser's handle, or "others" for
 * every browser but this one (a lost laptop, a shared computer left signed in). Behind a recent
 * sign-in, as ASVS V3.3.4 asks: whoever is at an unattended browser must not be able to sign its
 * owner out everywhere else.
 */
export function createSignOutBrowsers({ config, accounts, browserSessions, audit }: Pick<AccountDeps, 'config' | 'accounts' | 'browserSessions' | 'audit'>) {
  const secure = cookiesAreSecure(config.issuer);
  return async function signOutBrowsers(ctx: Context) {
    const account: Account = ctx.state.account;
    const browser: string = ctx.state.form.browser ?? '';
    if (browser !== 'others' && !browserSessions.isHandle(browser)) throw new InvalidRequest({ key: 'account.browsers.error.choose' });
    // The account pages tied to no browser session (left open where the address was changed) are
    // in no list, and would outlive every session this ends: they end too, but for this one.
    if (browser === 'others') await accounts.endDetachedPages(account.id, { except: (ctx.state.accountSession as AccountSession).sid });
    const { sessionsEnded } = await browserSessions.signOut(account.id, browser, verifiedSessionIdOf(ctx, secure), { ctx });
    audit.record({ event: 'browsers.signed_out', accountId: account.id, which: browser === 'others' ? 'others' : 'one', sessionsEnded });
    ctx.status = 303;
    // One already signed out (in another tab, or it expired) is not an error: it is what was asked.
    ctx.redirect(`/account?done=${browser === 'others' ? 'browsers-signed-out' : sessionsEnded > 0 ? 'browser-signed-out' : 'browser-gone'}`);
  };
}
