import type { Context } from 'koa';
import { collectAccountData } from '../accounts/account-data.ts';
import type { Account } from '../accounts/accounts.ts';
import { cookiesAreSecure } from '../http/secure-cookies.ts';
import { verifiedSessionIdOf } from '../oidc/session-cookie.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * POST /account/export — everything Sesame keeps about the person, as one JSON file they can keep
 * or hand on, without asking the administrator (accounts/account-data.ts says what is in it).
 * A form with the page's CSRF token, not a link: the cookies go with a top-level GET from any
 * site (SameSite=Lax), and another site must not be able to drop the file into the downloads of
 * whoever is at the browser.
 */
export function createExportAccountData({ config, secondFactor, browserSessions, appsWithAccess, emailChanges, audit }: Pick<AccountDeps, 'config' | 'secondFactor' | 'browserSessions' | 'appsWithAccess' | 'emailChanges' | 'audit'>) {
  const secure = cookiesAreSecure(config.issuer);
  return async function exportAccountData(ctx: Context) {
    const account: Account = ctx.state.account;
    const data = await collectAccountData(account, { secondFactor, browserSessions, appsWithAccess, emailChanges }, { issuer: config.issuer, currentSessionId: verifiedSessionIdOf(ctx, secure) });
    ctx.set('Content-Disposition', `attachment; filename="${config.appName.replace(/[^A-Za-z0-9_-]+/g, '-')}-account-${data.exportedAt.slice(0, 10)}.json"`);
    ctx.type = 'application/json';
    ctx.body = `${JSON.stringify(data, null, 2)}\n`;
    audit.record({ event: 'account.exported', accountId: account.id });
  };
}
