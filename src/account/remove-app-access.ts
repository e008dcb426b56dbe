import type { Context } from 'koa';
import type { Account } from '../accounts/accounts.ts';
import { InvalidRequest } from '../http/errors.ts';
import type { AccountDeps } from './account-deps.ts';

/**
 * POST /account/apps/remove — `app` is the client id of one app in "Apps with access". Not behind
 * a recent sign-in: it only takes access away, as forgetting a remembered browser does, and a
 * person who finds an app they do not trust should not be slowed down.
 */
export function createRemoveAppAccess({ appsWithAccess, audit }: Pick<AccountDeps, 'appsWithAccess' | 'audit'>) {
  return async function removeAppAccess(ctx: Context) {
    const account: Account = ctx.state.account;
    const app: unknown = ctx.state.form.app;
    if (!appsWithAccess.isRegisteredApp(app)) throw new InvalidRequest({ key: 'account.apps.error.choose' });
    const { grantsRevoked } = await appsWithAccess.removeAccess(account.id, app, { ctx });
    audit.record({ event: 'app_access.removed', accountId: account.id, clientId: app, grantsRevoked });
    ctx.status = 303;
    // Removed in another tab already, or it expired: what was asked is done all the same.
    ctx.redirect(`/account?done=${grantsRevoked > 0 ? 'app-access-removed' : 'app-had-no-access'}`);
  };
}
